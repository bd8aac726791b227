# ruff: noqa: F811 - the fixtures imported from the other test modules are parameters of the tests
"""The dashboards' workbooks that were missing (issue 10 §3 "everything exports to Excel"): a
province officer's workbook of a commune of the province, and the drill-down's workbook of one
766 indicator (the leader's, the department head's, the province's): rows written by hand from
the hand-worked fixture, text never a formula, the cap, who may download what."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.testing import make_commune, make_user

from .test_dashboard import feedback  # noqa: F401 - five feedback items of the ward
from .test_index766 import fixture_commune  # noqa: F401 - the hand-worked 766 fixture
from .test_province import _clock, province  # noqa: F401 - the pinned clock, a small province

pytestmark = pytest.mark.django_db

URL = "/chat-luong/"
PERIOD = "tu=2026-03-02&den=2026-04-30"
LAND = "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu"
ECONOMIC = "Phòng Kinh tế, Hạ tầng và Đô thị"
HEADER = ["Mã", "Thủ tục", "Phòng", "Hạn", "Giải quyết xong", "Lý do"]


def leader_of(ward):
    return User.objects.get(commune=ward, role=Role.COMMUNE_LEADER)


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    wb = load_workbook(io.BytesIO(response.content))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    return wb


def sheet_rows(wb):
    """The sheet's rows without the trailing empty cells of the write-only sheet."""
    out = []
    for row in wb.active.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        out.append(values)
    return out


def drill_part(rows):
    """The rows after the header row (the one starting with «Mã»)."""
    start = next(n for n, row in enumerate(rows) if row[:1] == ["Mã"])
    return rows[start + 1 :]


# ------------------------------------------------------------------------------------------
# the drill-down's workbook
# ------------------------------------------------------------------------------------------


def test_indicator_export_has_every_late_dossier_as_on_the_page(client, fixture_commune):
    ward, d = fixture_commune
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}chi-so/TD1/xuat-excel/?{PERIOD}")
    wb = workbook(r)
    assert f'filename="chi-so-TD1-{ward.pk}-20260302-20260430.xlsx"' in r["Content-Disposition"]
    assert wb.active.title == "TD1"
    rows = sheet_rows(wb)
    assert rows[:5] == [
        ["TD1 — Hồ sơ giải quyết sớm, đúng hạn và đang giải quyết trong hạn — Phường Thanh Khê"],
        ["Từ 02/03/2026 đến 30/04/2026"],
        ["Đầu vào", "4/6", "Công thức", "20 × tỷ lệ", "Điểm", 13.33, "Tối đa", 20],
        ["2 hồ sơ làm giảm điểm"],
        HEADER,
    ]
    # B: supplemented twice, finished 10/03 09:00, due 03/04 17:00; F: never finished, due 30/03.
    assert sorted(rows[5:]) == sorted([
        [d["B"].code, LAND, ECONOMIC, "17:00 03/04/2026", "09:00 10/03/2026",
         "Yêu cầu bổ sung 2 lần (từ 2 lần trở lên tính là trễ hạn)"],
        [d["F"].code, LAND, ECONOMIC, "17:00 30/03/2026", "chưa xong", "Chưa giải quyết xong, đã quá hạn"],
    ])  # fmt: skip


def test_indicator_export_of_feedback_items(client, fixture_commune, feedback):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    rows = sheet_rows(workbook(client.get(f"{URL}chi-so/HL1/xuat-excel/?{PERIOD}")))
    assert ["Mã", "Nội dung", "Phòng", "Hạn", "Xử lý xong", "Lý do"] in rows
    assert sorted(drill_part(rows)) == [
        ["PA-1", "Phản ánh 1", "—", "09:00 10/03/2026", "09:00 12/03/2026", "Xử lý xong sau hạn"],
        ["PA-3", "Phản ánh 3", "—", "09:00 10/04/2026", "chưa xong", "Chưa xử lý xong, đã quá hạn"],
        ["PA-4", "Phản ánh 4", "—", "09:00 10/04/2026", "09:00 05/05/2026", "Chưa xử lý xong, đã quá hạn"],
    ]


def test_a_name_starting_with_equals_stays_text(client, fixture_commune):
    ward, _ = fixture_commune
    Department.objects.filter(commune=ward, kind=DepartmentKind.ECONOMIC).update(name='=HYPERLINK("x")')
    client.force_login(leader_of(ward))
    wb = workbook(client.get(f"{URL}chi-so/TD1/xuat-excel/?{PERIOD}"))
    cells = [row[2] for row in wb.active.iter_rows(min_row=6)]
    assert [c.value for c in cells] == ['=HYPERLINK("x")'] * 2
    assert all(c.data_type == "s" for c in cells)


def test_every_row_not_just_one_page_and_read_in_chunks(client, fixture_commune, monkeypatch):
    ward, d = fixture_commune
    monkeypatch.setattr("motcua.quality.views.DRILL_PAGE", 2)
    monkeypatch.setattr("motcua.quality.exports.CHUNK", 2)
    client.force_login(leader_of(ward))
    rows = sheet_rows(workbook(client.get(f"{URL}chi-so/TT1/xuat-excel/?{PERIOD}")))
    assert rows[3] == ["5 hồ sơ làm giảm điểm"]
    assert sorted(r[0] for r in rows[5:]) == sorted(d[k].code for k in "BCDEF")
    assert all(r[5].startswith("Không nộp trực tuyến") for r in rows[5:])


def test_the_export_is_capped_and_says_so(client, fixture_commune, monkeypatch):
    ward, _ = fixture_commune
    monkeypatch.setattr("motcua.quality.exports.EXPORT_MAX_ROWS", 3)
    client.force_login(leader_of(ward))
    rows = sheet_rows(workbook(client.get(f"{URL}chi-so/TT1/xuat-excel/?{PERIOD}")))
    assert rows[3] == ["Có 5 hồ sơ làm giảm điểm; tệp chỉ gồm 3 hồ sơ đầu tiên. Chọn kỳ ngắn hơn để tải đủ."]
    assert len(rows[5:]) == 3
    html = client.get(f"{URL}chi-so/TT1/?{PERIOD}").content.decode()
    assert "tệp chỉ gồm 3 dòng đầu tiên" in html
    html = client.get(f"{URL}chi-so/TD1/?{PERIOD}").content.decode()
    assert "tệp chỉ gồm" not in html


def test_not_measurable_indicator_exports_its_heading_only(client, fixture_commune):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    rows = sheet_rows(workbook(client.get(f"{URL}chi-so/CK4/xuat-excel/?{PERIOD}")))
    assert rows[2][:6] == ["Đầu vào", "—", "Công thức", rows[2][3], "Điểm", "chưa đo được"]
    assert rows[3:] == [["0 hồ sơ làm giảm điểm"], HEADER]


def test_drill_down_page_links_its_workbook_with_the_period(client, fixture_commune):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    html = client.get(f"{URL}chi-so/TD1/?{PERIOD}").content.decode()
    assert f'href="/chat-luong/chi-so/TD1/xuat-excel/?{PERIOD.replace("&", "&amp;")}"' in html


def test_department_head_exports_their_department_only(client, fixture_commune):
    ward, d = fixture_commune
    head = User.objects.get(commune=ward, role=Role.DEPARTMENT_HEAD)
    office = Department.objects.get(commune=ward, kind=DepartmentKind.OFFICE)
    d["F"].__class__.objects.filter(pk=d["F"].pk).update(department=office)
    client.force_login(head)
    r = client.get(f"{URL}chi-so/TD1/xuat-excel/?{PERIOD}")
    rows = sheet_rows(workbook(r))
    assert rows[0] == [
        f"TD1 — Hồ sơ giải quyết sớm, đúng hạn và đang giải quyết trong hạn — Phường Thanh Khê — {ECONOMIC}"
    ]
    assert [row[0] for row in rows[5:]] == [d["B"].code]
    assert f"-phong-{head.department_id}-" in r["Content-Disposition"]


@pytest.mark.parametrize("path", ["chi-so/XX9/xuat-excel/", f"chi-so/{'A' * 200}/xuat-excel/"])
def test_unknown_indicator_is_404(client, fixture_commune, path):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    assert client.get(f"{URL}{path}?{PERIOD}").status_code == 404


@pytest.mark.parametrize("path", ["chi-so/TD1/xuat-excel/", "xuat-excel/"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tu=2026-04-30&den=2026-04-01", "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc"),
        ("tu=2025-01-01&den=2026-04-30", "tối đa 400 ngày"),
        ("tu=2026-04-01%00&den=2026-04-30", "Ngày bắt đầu phải là một ngày"),
        ("den=" + "9" * 300, "Ngày kết thúc phải là một ngày"),
        ("ky=ca-doi", "Không có khoảng thời gian chọn sẵn này"),
    ],
)
def test_bad_period_is_422_with_a_vietnamese_message(client, fixture_commune, path, query, message):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}{path}?{query}")
    assert r.status_code == 422 and message in r.content.decode()


def test_staff_who_are_not_leaders_are_refused(client, fixture_commune):
    ward, _ = fixture_commune
    for role in (Role.COUNTER_OFFICER, Role.SPECIALIST, Role.ADMIN):
        client.force_login(User.objects.filter(commune=ward, role=role).first())
        for url in (f"{URL}chi-so/TD1/xuat-excel/", f"{URL}chi-so/TD1/xuat-excel/?tu=bad"):
            r = client.get(url)
            assert r.status_code == 403, (role, url)
            assert "dành cho lãnh đạo" in r.content.decode()
    client.logout()
    assert client.get(f"{URL}chi-so/TD1/xuat-excel/").status_code == 302


def test_another_communes_leader_gets_nothing_of_it(client, fixture_commune):
    ward, _ = fixture_commune
    other = make_commune(20210, "Phường An Khê", "H48.20210")
    client.force_login(make_user(other, Role.COMMUNE_LEADER, "chutich_ankhe"))
    rows = sheet_rows(workbook(client.get(f"{URL}chi-so/TD1/xuat-excel/?{PERIOD}")))
    assert "Phường An Khê" in rows[0][0] and rows[5:] == []
    for path in (f"tinh/{ward.pk}/xuat-excel/", f"tinh/{ward.pk}/chi-so/TD1/xuat-excel/"):
        assert client.get(f"{URL}{path}?{PERIOD}").status_code == 404, path
        assert client.get(f"{URL}{path}?tu=bad").status_code == 404, path
    # their own commune through the province's pages: 403 (not a province officer)
    for path in (f"tinh/{other.pk}/xuat-excel/", f"tinh/{other.pk}/chi-so/TD1/xuat-excel/"):
        assert client.get(f"{URL}{path}?{PERIOD}").status_code == 403, path


# ------------------------------------------------------------------------------------------
# the province officer's workbooks of a commune
# ------------------------------------------------------------------------------------------


def test_province_officer_exports_a_commune_of_the_province(client, province):
    p = province
    client.force_login(p["officer"])
    r = client.get(f"{URL}tinh/{p['ward'].pk}/xuat-excel/?{PERIOD}")
    wb = workbook(r)
    assert f'filename="chat-luong-{p["ward"].pk}-20260302-20260430.xlsx"' in r["Content-Disposition"]
    assert wb.sheetnames == ["Chỉ số 766", "Theo phòng", "Xếp hàng", "Theo tháng", "Đánh giá"]
    first = wb["Chỉ số 766"]["A1"].value
    assert first == "Chỉ số Quyết định 766 — Phường Thanh Khê — từ 02/03/2026 đến 30/04/2026"
    idx = {row[0]: row for row in wb["Chỉ số 766"].iter_rows(min_row=3, values_only=True)}
    assert idx["TD1"][4:7] == (4, 6, 66.67) and idx["TD1"][8] == 13.33
    assert list(wb["Theo phòng"].iter_rows(min_row=3, values_only=True)) == [(ECONOMIC, 2, 1)]
    # another commune of the province: its own (empty) numbers
    wb = workbook(client.get(f"{URL}tinh/{p['an_khe'].pk}/xuat-excel/?{PERIOD}"))
    idx = {row[0]: row for row in wb["Chỉ số 766"].iter_rows(min_row=3, values_only=True)}
    assert idx["TD1"][4:6] == (0, 0)


def test_province_drill_down_pages_link_their_workbooks(client, province):
    p = province
    client.force_login(p["officer"])
    q = PERIOD.replace("&", "&amp;")
    html = client.get(f"{URL}tinh/{p['ward'].pk}/?{PERIOD}").content.decode()
    assert f'href="/chat-luong/tinh/{p["ward"].pk}/xuat-excel/?{q}" data-testid="export"' in html
    assert 'href="/chat-luong/xuat-excel/' not in html
    html = client.get(f"{URL}tinh/{p['ward'].pk}/chi-so/TD1/?{PERIOD}").content.decode()
    assert f'href="/chat-luong/tinh/{p["ward"].pk}/chi-so/TD1/xuat-excel/?{q}"' in html


def test_province_officer_exports_an_indicator_of_a_commune(client, province):
    p, d = province, province["d"]
    client.force_login(p["officer"])
    r = client.get(f"{URL}tinh/{p['ward'].pk}/chi-so/TD1/xuat-excel/?{PERIOD}")
    rows = sheet_rows(workbook(r))
    assert sorted(row[0] for row in rows[5:]) == sorted([d["B"].code, d["F"].code])
    r = client.get(f"{URL}tinh/{p['ward'].pk}/chi-so/XX9/xuat-excel/?{PERIOD}")
    assert r.status_code == 404


def test_another_provinces_officer_gets_404(client, province):
    p = province
    client.force_login(p["hue_officer"])
    for path in (f"tinh/{p['ward'].pk}/xuat-excel/", f"tinh/{p['ward'].pk}/chi-so/TD1/xuat-excel/",
                 "tinh/999999/xuat-excel/", f"tinh/{p['ward'].pk}/xuat-excel/?tu=bad"):  # fmt: skip
        assert client.get(f"{URL}{path}").status_code == 404, path
    # their own province's commune: allowed
    assert client.get(f"{URL}tinh/{p['phu_hoi'].pk}/xuat-excel/?{PERIOD}").status_code == 200


def test_province_exports_bad_period_is_422(client, province):
    p = province
    client.force_login(p["officer"])
    for path in (f"tinh/{p['ward'].pk}/xuat-excel/", f"tinh/{p['ward'].pk}/chi-so/TD1/xuat-excel/"):
        r = client.get(f"{URL}{path}?tu=2026-04-30&den=2026-04-01")
        assert r.status_code == 422 and "Ngày bắt đầu phải trước" in r.content.decode(), path


def test_a_province_officer_has_no_commune_export_of_their_own(client, province):
    client.force_login(province["officer"])
    assert client.get(f"{URL}xuat-excel/?{PERIOD}").status_code == 403
    assert client.get(f"{URL}chi-so/TD1/xuat-excel/?{PERIOD}").status_code == 403
