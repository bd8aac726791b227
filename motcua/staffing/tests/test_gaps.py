"""Skill gaps and training needs (issue 11 §6): the numbers on a hand-written province
(`gaps_setup.py`, expected values worked out by hand), the training-needs rule, the province's
ranking with its reasons, the query cap, access, the workbooks, bad input."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.geo.models import Commune
from motcua.org.models import Role
from motcua.quality.index766 import dossier_on_time, period
from motcua.staffing import gaps
from motcua.staffing.models import Skill, SkillLevel
from motcua.staffing.tests import gaps_setup as s
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return s.build()


def _rows(w):
    g = gaps.commune_gaps(commune=w["ward"], period=s.PERIOD, now=s.NOW)
    return g, {f.name: f for f in g.fields}


def test_the_fields_numbers_by_hand(world):
    g, by = _rows(world)
    land, it, civil = by["Đất đai"], by["Công nghệ thông tin"], by["Hộ tịch"]
    assert (land.dossiers, land.late, land.tickets, land.skilled, land.learning, land.trainers) == (
        190, 40, 10, 1, 1, 0,
    )  # fmt: skip
    assert round(land.per_skilled, 2) == 63.33
    assert round(land.overdue_percent, 2) == 21.05
    assert (it.dossiers, it.tickets, it.skilled, it.gap, it.per_skilled, it.overdue_percent) == (
        0,
        5,
        0,
        True,
        None,
        None,
    )
    assert (civil.dossiers, civil.late, civil.skilled, civil.trainers, civil.per_skilled) == (
        30,
        0,
        2,
        1,
        5.0,
    )
    assert not land.gap and not civil.gap
    # gaps first, then the most to train
    assert [f.name for f in g.fields] == ["Công nghệ thông tin", "Đất đai", "Hộ tịch"]


def test_late_q_agrees_with_the_766_on_time_rule(world):
    start, end = period(s.PERIOD.start, s.PERIOD.end)
    asof = min(end, s.NOW)
    qs = Dossier.objects.filter(
        commune=world["ward"], first_received_at__gte=start, first_received_at__lt=end
    )
    rows = list(
        qs.values("id", "state", "supplement_count", "due_at", "extended_due_at", "finished_at", "paused_at")
    )
    by_rule = {r["id"] for r in rows if not dossier_on_time(r, asof)}
    by_sql = set(
        qs.annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .filter(gaps.late_q(asof))
        .values_list("id", flat=True)
    )
    assert by_sql == by_rule
    assert len(by_sql) == 40


def test_the_training_needs_rule(world):
    g, by = _rows(world)
    # Đất đai: max(2, ⌈63.3/60⌉ = 2, + 1 for 21 % late) = 3 wanted, 1 skilled → 2 to train
    assert (by["Đất đai"].wanted, by["Đất đai"].need) == (3, 2)
    # CNTT: demand (tickets) and nobody → at least 2
    assert (by["Công nghệ thông tin"].wanted, by["Công nghệ thông tin"].need) == (2, 2)
    # Hộ tịch: 5 a month for 2 people → 2 wanted, 2 skilled
    assert (by["Hộ tịch"].wanted, by["Hộ tịch"].need) == (2, 0)
    assert [f.need_text for f in g.needs] == [
        "Lĩnh vực Công nghệ thông tin: cần đào tạo 2 người (hiện có 0 người làm được, 0 đang học; "
        "chưa có ai làm được; chưa có hồ sơ)",
        "Lĩnh vực Đất đai: cần đào tạo 2 người (hiện có 1 người làm được, 1 đang học; "
        "63,3 hồ sơ/người/tháng; 21,1 % quá hạn)",
    ]
    assert g.total_need == 4
    assert by["Đất đai"].trainer_text.startswith("Không có người hướng dẫn trong xã")
    assert by["Hộ tịch"].trainer_text == "Người hướng dẫn trong xã: Tuphap1"


@pytest.mark.parametrize(
    ("dossiers", "late", "skilled", "wanted"),
    [
        (0, 0, 0, 0),  # no demand: nobody wanted
        (1, 0, 5, 2),  # any demand: at least two for continuity
        (540, 0, 1, 3),  # 180 a month: ⌈180/60⌉ = 3
        (541, 0, 1, 4),  # a little more than 180 a month: 4
        (540, 109, 1, 4),  # 20.2 % late: one more
        (540, 108, 1, 3),  # exactly 20 % late: not more than the limit
    ],
)
def test_the_rule_on_its_edges(dossiers, late, skilled, wanted):
    row = gaps.FieldRow(field_id=1, name="X", months=3.0, dossiers=dossiers, late=late, skilled=skilled)
    assert row.wanted == wanted
    assert row.need == max(0, wanted - skilled)


def test_job_positions_headcount_holders_and_their_fields_gaps(world):
    g, _ = _rows(world)
    positions = {p.position.name: p for p in g.positions}
    cadastre, it = positions["Địa chính"], positions["Công nghệ thông tin"]
    assert (cadastre.position.headcount, cadastre.holders, cadastre.shortfall) == (3, 1, 2)
    assert [(f.name, f.need) for f in cadastre.gaps] == [("Đất đai", 2)]
    assert (it.holders, it.shortfall, [f.name for f in it.gaps]) == (0, 1, ["Công nghệ thông tin"])


def test_the_province_ranks_the_communes_in_difficulty_first_with_reasons(world):
    communes = list(Commune.objects.filter(province_id=48))
    rows = {r.commune.name: r for r in gaps.province_rows(communes=communes, period=s.PERIOD, now=s.NOW)}
    ranked = sorted(rows.values(), key=lambda r: r.rank)
    assert [r.commune.name for r in ranked] == [
        "Phường Hòa Khánh",
        "Phường Thanh Khê",
        "Phường Sơn Trà",
        "Phường An Hải",
    ]
    tk = rows["Phường Thanh Khê"]
    assert (tk.gaps, tk.fields_with_demand, tk.need, tk.shortfall, tk.dossiers, tk.late) == (
        1,
        3,
        4,
        3,
        220,
        40,
    )
    assert tk.top_load_field == "Đất đai" and round(tk.top_load, 1) == 63.3
    assert tk.reasons == [
        "1 lĩnh vực có việc mà không ai làm được: Công nghệ thông tin",
        "Đất đai: 63,3 hồ sơ/người/tháng (vượt mức 60)",
        "thiếu 3 người so với vị trí việc làm",
        "cần đào tạo 4 người",
    ]  # 18,2 % late: under the limit, not a reason
    hk = rows["Phường Hòa Khánh"]
    assert hk.reasons == [
        "2 lĩnh vực có việc mà không ai làm được: Công nghệ thông tin, Đất đai",
        "100 % hồ sơ quá hạn",
        "cần đào tạo 4 người",
    ]
    assert rows["Phường Sơn Trà"].reasons == ["cần đào tạo 1 người"]  # one person: nobody for an absence
    assert rows["Phường An Hải"].reasons == []


def test_the_province_sorts_by_a_column(world):
    communes = list(Commune.objects.filter(province_id=48))
    rows = gaps.province_rows(communes=communes, period=s.PERIOD, now=s.NOW)
    by_load = [r.commune.name for r in gaps.sort_rows(rows, "-tai")]
    assert by_load == [
        "Phường Thanh Khê",
        "Phường Sơn Trà",
        "Phường Hòa Khánh",
        "Phường An Hải",
    ]  # no value last
    assert gaps.sort_rows(rows, "ten")[0].commune.name == "Phường An Hải"
    with pytest.raises(gaps.ValidationFailed):
        gaps.parse_sort("diem; drop")


def _add_communes(n: int, start: int, land) -> list[Commune]:
    out = []
    for i in range(n):
        c = make_commune(start + i, f"Phường Thử {i}", f"H48.{start + i}")
        s.dossiers(c, land, 2)
        skill(make_user(c, Role.SPECIALIST, f"thu{start + i}"), land.field, SkillLevel.CAN)
        out.append(c)
    return out


def skill(user, field, level):
    Skill.objects.create(user=user, field=field, level=level, updated_at=s.NOW)


def test_the_province_reads_with_a_query_cap_independent_of_the_number_of_communes(world):
    officer = world["province_officer"]
    with CaptureQueriesContext(connection) as few:
        gaps.province_gaps_for(user=officer, period=s.PERIOD, now=s.NOW)
    _add_communes(12, 30000, world["procedures"]["land"])
    with CaptureQueriesContext(connection) as many:
        v = gaps.province_gaps_for(user=officer, period=s.PERIOD, now=s.NOW)
    assert len(v.rows) == 16
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


# ------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------


def test_the_leader_sees_the_gaps_and_the_training_needs(client, world):
    client.force_login(world["staff"]["leader"])
    with clock.pinned(s.NOW):
        page = client.get(f"/nhan-su/ky-nang/?{s.QUERY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kỹ năng và nhu cầu đào tạo — Phường Thanh Khê" in html
    assert "Lĩnh vực Đất đai: cần đào tạo 2 người (hiện có 1 người làm được, 1 đang học" in html
    assert "<svg" in html and 'role="img"' in html
    assert "Địa chính" in html
    assert "Phường Hòa Khánh" not in html


def test_the_default_period_is_the_last_90_days(client, world):
    client.force_login(world["staff"]["leader"])
    with clock.pinned(s.NOW):
        page = client.get("/nhan-su/ky-nang/").content.decode()
    assert "Từ 02/01/2026 đến 01/04/2026" in page


@pytest.mark.parametrize("who", ["leader", "head_econ", "admin"])
def test_who_reads_the_communes_page(client, world, who):
    client.force_login(world["staff"][who])
    assert client.get("/nhan-su/ky-nang/").status_code == 200


@pytest.mark.parametrize("who", ["counter", "specialist_econ"])
def test_officers_are_refused(client, world, who):
    client.force_login(world["staff"][who])
    assert client.get("/nhan-su/ky-nang/").status_code == 403
    assert client.get("/nhan-su/ky-nang/xuat-excel/").status_code == 403
    assert client.get("/nhan-su/ky-nang/tinh/").status_code == 403


def test_the_hub_links_the_pages_by_role(client, world):
    client.force_login(world["staff"]["leader"])
    assert 'href="/nhan-su/ky-nang/"' in client.get("/nhan-su/").content.decode()
    client.force_login(world["staff"]["counter"])
    assert 'href="/nhan-su/ky-nang/"' not in client.get("/nhan-su/").content.decode()
    client.force_login(world["province_officer"])
    assert 'href="/nhan-su/ky-nang/tinh/"' in client.get("/nhan-su/").content.decode()


def test_the_province_page_ranks_and_drills_down(client, world):
    client.force_login(world["province_officer"])
    with clock.pinned(s.NOW):
        page = client.get(f"/nhan-su/ky-nang/tinh/?{s.QUERY}").content.decode()
        first = page.index("Phường Hòa Khánh")
        assert first < page.index("Phường Thanh Khê") < page.index("Phường Sơn Trà")
        assert "Xã Lạc" not in page
        assert "2 lĩnh vực có việc mà không ai làm được: Công nghệ thông tin, Đất đai" in page
        sorted_page = client.get(f"/nhan-su/ky-nang/tinh/?{s.QUERY}&sap=-tai").content.decode()
        assert sorted_page.index("Phường Thanh Khê") < sorted_page.index("Phường Sơn Trà")
        assert sorted_page.index("Phường Sơn Trà") < sorted_page.index('data-commune="20210"')
        drill = client.get(f"/nhan-su/ky-nang/tinh/{world['ward'].pk}/?{s.QUERY}")
    assert drill.status_code == 200
    assert "Lĩnh vực Đất đai: cần đào tạo 2 người" in drill.content.decode()


def test_another_provinces_commune_is_not_found(client, world):
    client.force_login(world["province_officer"])
    assert client.get(f"/nhan-su/ky-nang/tinh/{world['lac'].pk}/").status_code == 404
    client.force_login(world["other_officer"])
    assert client.get(f"/nhan-su/ky-nang/tinh/{world['ward'].pk}/").status_code == 404
    page = client.get("/nhan-su/ky-nang/tinh/").content.decode()
    assert "Xã Lạc" in page and "Phường Thanh Khê" not in page


def test_commune_staff_are_refused_the_provinces_pages(client, world):
    client.force_login(world["staff"]["leader"])
    assert client.get(f"/nhan-su/ky-nang/tinh/{world['ward'].pk}/").status_code == 403
    assert client.get("/nhan-su/ky-nang/tinh/xuat-excel/").status_code == 403
    client.force_login(make_user(world["hoa_khanh"], Role.COMMUNE_LEADER, "ct_hoakhanh"))
    with clock.pinned(s.NOW):
        page = client.get(f"/nhan-su/ky-nang/?{s.QUERY}").content.decode()
    assert "Phường Hòa Khánh" in page and "Địa chính" not in page


@pytest.mark.parametrize(
    "query",
    ["tu=2026-13-01", "tu=2026-03-01&den=2026-01-01", "ky=mai-mai", "tu=2026-01-01%00", "tu=" + "9" * 500],
)
def test_a_bad_period_is_422_in_vietnamese(client, world, query):
    client.force_login(world["staff"]["leader"])
    for url in ("/nhan-su/ky-nang/", "/nhan-su/ky-nang/xuat-excel/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422
        assert "error-box" in response.content.decode()
    client.force_login(world["province_officer"])
    for url in (
        "/nhan-su/ky-nang/tinh/",
        "/nhan-su/ky-nang/tinh/xuat-excel/",
        f"/nhan-su/ky-nang/tinh/{world['ward'].pk}/",
    ):
        assert client.get(f"{url}?{query}").status_code == 422


def test_the_422_names_what_is_wrong(client, world):
    client.force_login(world["staff"]["leader"])
    page = client.get("/nhan-su/ky-nang/?tu=2026-03-01&den=2026-01-01").content.decode()
    assert "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc." in page
    page = client.get("/nhan-su/ky-nang/?tu=2026-01-01%00").content.decode()
    assert "Ngày bắt đầu phải là một ngày có dạng năm-tháng-ngày" in page


def test_a_bad_sort_is_422(client, world):
    client.force_login(world["province_officer"])
    response = client.get("/nhan-su/ky-nang/tinh/?sap=%00x")
    assert response.status_code == 422
    assert "Không sắp xếp được theo cột này." in response.content.decode()


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return wb, [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_communes_workbook_has_no_formula(client, world):
    world["fields"]["cntt"].name = '=HYPERLINK("http://x")'
    world["fields"]["cntt"].save()
    client.force_login(world["staff"]["leader"])
    with clock.pinned(s.NOW):
        response = client.get(f"/nhan-su/ky-nang/xuat-excel/?{s.QUERY}")
    assert response.status_code == 200
    wb, cells = _cells(response.content)
    assert wb.sheetnames == ["Lĩnh vực", "Nhu cầu đào tạo", "Vị trí việc làm"]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert '=HYPERLINK("http://x")' in values
    assert any(isinstance(v, str) and v.startswith("Lĩnh vực Đất đai: cần đào tạo 2 người") for v in values)


def test_the_provinces_workbook_follows_the_ranking(client, world):
    client.force_login(world["province_officer"])
    with clock.pinned(s.NOW):
        response = client.get(f"/nhan-su/ky-nang/tinh/xuat-excel/?{s.QUERY}")
    wb, cells = _cells(response.content)
    assert all(c.data_type != "f" for c in cells)
    ws = wb.worksheets[0]
    names = [row[2].value for row in ws.iter_rows(min_row=3)]
    assert names == ["Phường Hòa Khánh", "Phường Thanh Khê", "Phường Sơn Trà", "Phường An Hải"]
