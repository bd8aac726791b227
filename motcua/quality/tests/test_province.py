# ruff: noqa: F811 - the fixture imported from test_index766 is a parameter of the tests
"""The province's ranking of its communes (issue 10 §3): numbers, flags and rank on a small
province worked out by hand, sorting, the drill-down into a commune, the workbook, who may read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from motcua.core import clock
from motcua.geo.models import Commune, Province
from motcua.org.models import Role
from motcua.quality.dashboard import aggregate_index
from motcua.quality.index766 import index_compute
from motcua.quality.province import CommuneRow, flag_worst_quartile, rank
from motcua.queueing.models import Ticket, TicketState
from motcua.testing import make_commune, make_service_groups, make_user

from .test_index766 import VN, at, fixture_commune  # noqa: F401 - the hand-worked 766 fixture

pytestmark = pytest.mark.django_db

URL = "/chat-luong/tinh/"
PERIOD = "tu=2026-03-02&den=2026-04-30"
NOW = dt.datetime(2026, 4, 30, 17, 0, tzinfo=VN)


@pytest.fixture(autouse=True)
def _clock():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def province(fixture_commune):
    """Đà Nẵng: Thanh Khê (the hand-worked ward: 4/6 on time, 1 overdue, 37.78 points) and two
    quiet wards without any dossier; An Khê has one queue number that waited 30 minutes, Hải Châu
    one that waited 6. Another province's commune, Huế's Phú Hội, is never shown."""
    ward, d = fixture_commune
    an_khe = make_commune(20210, "Phường An Khê", "H48.20210")
    hai_chau = make_commune(20194, "Phường Hải Châu", "H48.20194")
    for commune, minutes in ((an_khe, 30), (hai_chau, 6)):
        g = make_service_groups(commune)["A"]
        t0 = at("10/03/2026", "08:00")
        Ticket.objects.create(
            commune=commune, group=g, queue_group=g, day=t0.date(), seq=1, number="A001", state=TicketState.DONE,
            issued_at=t0, called_at=t0 + dt.timedelta(minutes=minutes), finished_at=t0 + dt.timedelta(minutes=40),
        )  # fmt: skip
    hue, _ = Province.objects.get_or_create(code=46, defaults={"name": "Thành phố Huế", "codename": "hue"})
    phu_hoi = Commune.objects.create(code=19900, name="Phường Phú Hội", division_type="phường",
                                     codename="phuong_phu_hoi", province=hue, agency_code="H46.19900",
                                     name_folded="phuong phu hoi")  # fmt: skip
    officer = make_user(ward, Role.PROVINCE_OFFICER, "canbo_tinh")
    officer.commune = None
    officer.save(update_fields=["commune"])
    hue_officer = make_user(None, Role.PROVINCE_OFFICER, "canbo_hue")
    hue_officer.province = hue
    hue_officer.save(update_fields=["province"])
    return {"ward": ward, "d": d, "an_khe": an_khe, "hai_chau": hai_chau, "phu_hoi": phu_hoi,
            "officer": officer, "hue_officer": hue_officer}  # fmt: skip


def test_rows_ranked_with_the_communes_in_difficulty_on_top(client, province):
    p = province
    client.force_login(p["officer"])
    r = client.get(f"{URL}?{PERIOD}")
    assert r.status_code == 200
    rows = {row.commune.pk: row for row in r.context["v"].rows}
    assert set(rows) == {p["ward"].pk, p["an_khe"].pk, p["hai_chau"].pk}  # not Huế's commune
    tk, ak, hc = rows[p["ward"].pk], rows[p["an_khe"].pk], rows[p["hai_chau"].pk]
    # Thanh Khê: on time 4/6; overdue now 1 (F); no ticket; the fixture's 3 ratings of 15/04
    # (A rất hài lòng, B không hài lòng, D hài lòng): 2 satisfied of 3.
    assert (tk.on_time, tk.received, tk.overdue, tk.wait_seconds) == (4, 6, 1, None)
    assert (tk.ratings, tk.satisfied, tk.total) == (3, 2, 37.78)
    # An Khê, Hải Châu: nothing received (TD1, TT1, SH1, SH2 = 0; HL1–HL3 full: 18 points).
    assert (ak.received, ak.overdue, ak.wait_seconds, ak.total) == (0, 0, 1800.0, 18.0)
    assert (hc.wait_seconds, hc.total) == (360.0, 18.0)
    # Worst quartile (⌈n/4⌉ = 1st worst value, not the best value):
    # on-time: only Thanh Khê has a rate → it is the best too → not flagged;
    # overdue: 1, 0, 0 → Thanh Khê; wait: 30 (An Khê) worst of 30, 6; satisfaction: only Thanh Khê.
    assert tk.flags == ["nhiều hồ sơ quá hạn"]
    assert ak.flags == ["chờ lâu tại quầy"]
    assert hc.flags == []
    # Rank: 1 flag each for Thanh Khê (37.78) and An Khê (18): the lower 766 total first.
    assert [row.commune.pk for row in sorted(rows.values(), key=lambda x: x.rank)] == [
        p["an_khe"].pk, p["ward"].pk, p["hai_chau"].pk,
    ]  # fmt: skip
    html = r.content.decode()
    assert "chờ lâu tại quầy" in html and "Phường Phú Hội" not in html


def test_aggregate_index_for_many_communes_equals_the_engine(province):
    p = province
    communes = [p["ward"], p["an_khe"], p["hai_chau"]]
    got = aggregate_index(communes=communes, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30))
    for c in communes:
        e = index_compute(commune=c, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30))
        assert [(i.numerator, i.denominator, i.points) for i in got[c.pk].indicators] == [
            (i.numerator, i.denominator, i.points) for i in e.indicators
        ]


def test_flags_and_rank_on_a_larger_province():
    """8 communes: the worst quartile is the 2 worst values (⌈8/4⌉ = 2), ties included."""

    def row(pk, received, on_time, overdue, total):
        c = Commune(code=pk, name=f"Xã {pk}")
        return CommuneRow(commune=c, received=received, on_time=on_time, overdue=overdue, total=total)

    rows = [row(1, 10, 10, 0, 50), row(2, 10, 5, 4, 40), row(3, 10, 9, 0, 45), row(4, 10, 5, 0, 30),
            row(5, 10, 8, 4, 20), row(6, 10, 9, 1, 45), row(7, 0, 0, 0, 60), row(8, 10, 7, 0, 44)]  # fmt: skip
    flag_worst_quartile(rows)
    rank(rows)
    by = {r.commune.pk: r for r in rows}
    # on-time rates 100, 50, 90, 50, 80, 90, —, 70: the 2nd worst is 50 → 2 and 4.
    assert [pk for pk in by if "tỷ lệ đúng hạn thấp" in by[pk].flags] == [2, 4]
    # overdue 0, 4, 0, 0, 4, 1, 0, 0: the 2nd worst is 4 → 2 and 5.
    assert [pk for pk in by if "nhiều hồ sơ quá hạn" in by[pk].flags] == [2, 5]
    # Rank: 2 (two flags) first; then one flag each, lower total first: 5 (20), 4 (30).
    assert [r.commune.pk for r in sorted(rows, key=lambda r: r.rank)][:3] == [2, 5, 4]
    assert by[7].flags == []  # nothing received: no rate, not flagged


@pytest.mark.parametrize(
    ("sort", "first"),
    [("ten", "an_khe"), ("-ten", "ward"), ("cho", "hai_chau"), ("-cho", "an_khe"), ("diem", "an_khe"),
     ("-diem", "ward"), ("-qua-han", "ward"), ("dung-han", "ward"), ("kho-khan", "an_khe")],
)  # fmt: skip
def test_sortable_by_every_column(client, province, sort, first):
    client.force_login(province["officer"])
    rows = client.get(f"{URL}?{PERIOD}&sap={sort}").context["v"].rows
    assert rows[0].commune.pk == province[first].pk


def test_sort_without_a_value_goes_last(client, province):
    client.force_login(province["officer"])
    rows = client.get(f"{URL}?{PERIOD}&sap=-cho").context["v"].rows
    assert rows[-1].commune.pk == province["ward"].pk  # no ticket: no wait


@pytest.mark.parametrize("sort", ["gia", "--ten", "ten%00", "x" * 100, "rank"])
def test_bad_sort_is_a_vietnamese_message(client, province, sort):
    client.force_login(province["officer"])
    for url in (URL, f"{URL}xuat-excel/"):
        r = client.get(f"{url}?{PERIOD}&sap={sort}")
        assert r.status_code == 422
        assert "Không sắp xếp được theo cột này." in r.content.decode()


def test_bad_period_on_the_province_pages(client, province):
    client.force_login(province["officer"])
    r = client.get(f"{URL}?tu=2026-04-30&den=2026-04-01")
    assert r.status_code == 422 and "Ngày bắt đầu phải trước" in r.content.decode()
    r = client.get(f"{URL}{province['ward'].pk}/?tu=2020-01-01&den=2026-04-30")
    assert r.status_code == 422 and "tối đa 400 ngày" in r.content.decode()


def test_drill_into_a_commune_read_only_with_a_back_link(client, province):
    p = province
    client.force_login(p["officer"])
    r = client.get(f"{URL}{p['ward'].pk}/?{PERIOD}")
    assert r.status_code == 200
    dash = r.context["d"]
    assert dash.commune == p["ward"] and dash.access.province
    assert (dash.on_time.numerator, dash.on_time.denominator) == (4, 6)
    html = r.content.decode()
    assert 'data-testid="back-province"' in html
    assert f'href="/chat-luong/tinh/{p["ward"].pk}/xuat-excel/?' in html  # the commune's workbook
    assert f"/chat-luong/tinh/{p['ward'].pk}/chi-so/TD1/?" in html
    r = client.get(f"{URL}{p['ward'].pk}/chi-so/TD1/?{PERIOD}")
    assert r.status_code == 200
    assert {row.pk for row in r.context["rows"]} == {p["d"]["B"].pk, p["d"]["F"].pk}


def test_another_provinces_officer_gets_404(client, province):
    p = province
    client.force_login(p["hue_officer"])
    for url in (f"{URL}{p['ward'].pk}/", f"{URL}{p['ward'].pk}/chi-so/TD1/", f"{URL}999999/"):
        assert client.get(url).status_code == 404, url
    # their own province's page lists only their communes
    rows = client.get(URL).context["v"].rows
    assert [r.commune.pk for r in rows] == [p["phu_hoi"].pk]


def test_commune_staff_cannot_read_the_province_pages(client, province):
    from motcua.org.models import User

    leader = User.objects.get(commune=province["ward"], role=Role.COMMUNE_LEADER)
    client.force_login(leader)
    for url in (URL, f"{URL}xuat-excel/", f"{URL}?sap=bad"):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "cán bộ cấp tỉnh" in r.content.decode()
    assert client.get(f"{URL}{province['an_khe'].pk}/").status_code == 404


def test_province_export_has_every_commune_and_no_formula(client, province):
    client.force_login(province["officer"])
    r = client.get(f"{URL}xuat-excel/?{PERIOD}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [row[2] for row in rows] == ["Phường An Khê", "Phường Thanh Khê", "Phường Hải Châu"]
    assert rows[1][3:6] == (6, 66.7, 1) and rows[1][9] == 37.78 and rows[1][12] == "nhiều hồ sơ quá hạn"
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_province_queries_do_not_grow_with_the_communes(client, province, django_assert_max_num_queries):
    client.force_login(province["officer"])
    with django_assert_max_num_queries(14):
        client.get(f"{URL}?{PERIOD}")
    for n in range(20):
        make_commune(21000 + n, f"Xã Thử {n}", f"H48.{21000 + n}")
    with django_assert_max_num_queries(14):
        r = client.get(f"{URL}?{PERIOD}")
    assert len(r.context["v"].rows) == 23


def test_a_commune_with_nothing_in_the_period_is_not_compared_and_is_listed_last():
    """Empty communes (most of a province on the platform's first months) have 0 overdue: counted,
    they would put every working commune with one overdue dossier in the worst quarter."""
    from motcua.quality.province import CommuneRow, flag_worst_quartile, rank

    working = [CommuneRow(commune=make_commune(20300 + i, f"Phường Làm {i}", f"H48.{20300 + i}"), received=10, on_time=9,
                          overdue=o, total=30.0 + i) for i, o in enumerate((1, 2, 3, 9))]  # fmt: skip
    empty = [
        CommuneRow(commune=make_commune(20400 + i, f"Phường Trống {i}", f"H48.{20400 + i}"), total=18.0)
        for i in range(8)
    ]
    rows = working + empty
    flag_worst_quartile(rows)
    rank(rows)
    assert [r.flags for r in working] == [[], [], [], ["nhiều hồ sơ quá hạn"]]
    assert all(not r.flags and not r.active for r in empty)
    assert sorted(r.rank for r in empty) == list(range(5, 13))
    assert working[3].rank == 1
