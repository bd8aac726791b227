# ruff: noqa: F811 - the fixture imported from test_index766 is a parameter of the tests
"""The commune leader's quality dashboard (issue 10 §3): numbers on a small fixture worked out by
hand, the drill-down, the workbook, the period chooser and who may read it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.feedback.models import FeedbackItem
from motcua.org.models import Department, DepartmentKind, Role
from motcua.quality.dashboard import (
    Period,
    aggregate_index,
    parse_period,
    trend_months,
)
from motcua.quality.index766 import index_compute
from motcua.quality.models import Rating
from motcua.queueing.models import Ticket, TicketState
from motcua.testing import make_commune, make_feedback_setup, make_service_groups, make_user

from .test_index766 import VN, at, fixture_commune  # noqa: F401 - the hand-worked 766 fixture

pytestmark = pytest.mark.django_db

URL = "/chat-luong/"
PERIOD = "tu=2026-03-02&den=2026-04-30"
NOW = dt.datetime(2026, 4, 30, 17, 0, tzinfo=VN)
M = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _clock():
    with clock.pinned(NOW):
        yield


def leader_of(ward):
    from motcua.org.models import User

    return User.objects.get(commune=ward, role=Role.COMMUNE_LEADER)


def ticket(ward, groups, letter, seq, issued, called=None, finished=None, state=TicketState.DONE):
    g = groups[letter]
    return Ticket.objects.create(
        commune=ward, group=g, queue_group=g, day=issued.date(), seq=seq, number=f"{letter}{seq:03d}",
        state=state, issued_at=issued, called_at=called, finished_at=finished,
    )  # fmt: skip


@pytest.fixture
def queue(fixture_commune):
    """Group A, 10/03: waits 5, 10 and 20 minutes, services 4, 6 (the third left when called:
    no service time); group B, 11/03: one number never called. One number of 01/02 (outside)."""
    ward, _ = fixture_commune
    groups = make_service_groups(ward)
    t0 = at("10/03/2026", "08:00")
    ticket(ward, groups, "A", 1, t0, t0 + 5 * M, t0 + 9 * M)
    ticket(ward, groups, "A", 2, t0, t0 + 10 * M, t0 + 16 * M)
    ticket(ward, groups, "A", 3, t0, t0 + 20 * M, None, state=TicketState.NO_SHOW)
    ticket(ward, groups, "B", 1, at("11/03/2026"), state=TicketState.LEFT)
    old = at("02/02/2026")
    ticket(ward, groups, "A", 1, old, old + 90 * M, old + 100 * M)
    return groups


@pytest.fixture
def ratings(fixture_commune, queue):
    """The fixture's three dossier ratings (A rất hài lòng, B không hài lòng, D hài lòng) given
    answers, comments and days in the period, and one rating of a ticket of 02/02 (outside)."""
    ward, d = fixture_commune
    for key, overall, answers, comment, when in [
        ("A", 2, {"1": 2, "7": 2}, "Cán bộ nhiệt tình", at("03/03/2026")),
        ("B", 0, {"1": 0, "7": 2, "3": 0}, "Phải đi lại nhiều lần", at("06/03/2026")),
        ("D", 1, {"1": 1, "7": 1, "2": True, "9": "2", "4": 2.0, "5": 7}, "", at("11/03/2026")),
    ]:
        Rating.objects.filter(dossier=d[key]).update(
            overall=overall, answers=answers, comment=comment, created_at=when
        )
    old = Ticket.objects.get(commune=ward, day=dt.date(2026, 2, 2))
    Rating.objects.create(
        commune=ward, subject="TICKET", ticket=old, questionnaire="TT01-2018-v1", answers={"7": 2},
        overall=2, comment="Cũ", source="TABLET", created_at=at("02/02/2026", "10:00"),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------
# the aggregate path gives the engine's numbers
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2026, 3, 2), dt.date(2026, 4, 30)), (dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
     (dt.date(2026, 4, 1), dt.date(2026, 4, 15)), (dt.date(2026, 3, 5), dt.date(2026, 3, 5))],
)  # fmt: skip
def test_aggregate_index_equals_the_engine(fixture_commune, start, end):
    ward, _ = fixture_commune
    dept = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    for department_id in (None, dept.pk):
        expected = index_compute(commune=ward, start=start, end=end, department_id=department_id)
        got = aggregate_index(communes=[ward], start=start, end=end, department_id=department_id)[ward.pk]
        for e, g in zip(expected.indicators, got.indicators, strict=True):
            assert (g.code, g.numerator, g.denominator, g.formula) == (
                e.code,
                e.numerator,
                e.denominator,
                e.formula,
            )
            assert g.points == pytest.approx(e.points) if e.points is not None else g.points is None
        assert got.total == pytest.approx(expected.total)


@pytest.fixture
def feedback(fixture_commune):
    """Five feedback items of the ward (see the comments)."""
    ward, _ = fixture_commune
    category = next(iter(make_feedback_setup(ward)["categories"].values()))
    items = []
    for n, (received, due, resolved, rating) in enumerate([
        (at("02/03/2026"), at("10/03/2026"), at("09/03/2026"), 5),  # on time, satisfied
        (at("02/03/2026"), at("10/03/2026"), at("12/03/2026"), 2),  # late, not satisfied
        (at("20/04/2026"), at("10/05/2026"), None, None),  # open, within its deadline on 30/04
        (at("01/04/2026"), at("10/04/2026"), None, None),  # open past its deadline
        (at("01/04/2026"), at("10/04/2026"), at("05/05/2026"), 4),  # resolved after the period
    ]):  # fmt: skip
        items.append(FeedbackItem.objects.create(
            commune=ward, code=f"PA-{n}", channel="ONLINE", category=category, title=f"Phản ánh {n}",
            received_at=received, due_at=due, resolved_at=resolved, rating=rating,
            state="RESOLVED" if resolved else "NEW",
        ))  # fmt: skip
    return items


def test_aggregate_index_feedback_measures_equal_the_engine(fixture_commune, feedback):
    ward, _ = fixture_commune
    for start, end in [
        (dt.date(2026, 3, 2), dt.date(2026, 4, 30)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 9)),
    ]:
        e = {i.code: i for i in index_compute(commune=ward, start=start, end=end).indicators}
        g = {i.code: i for i in aggregate_index(communes=[ward], start=start, end=end)[ward.pk].indicators}
        for code in ("HL1", "HL2"):
            assert (g[code].numerator, g[code].denominator, g[code].points) == (
                e[code].numerator, e[code].denominator, e[code].points,
            )  # fmt: skip
    g = {i.code: i for i in aggregate_index(communes=[ward], start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30))[ward.pk].indicators}  # fmt: skip
    # received 5; on time: PA-0 (resolved by due), PA-2 (open, due after the period),
    # PA-4 (resolved after the period, due 10/04 < 01/05: late) → 2/5
    assert (g["HL1"].numerator, g["HL1"].denominator) == (2, 5)
    # rated in the period's items: PA-0 (5), PA-1 (2), PA-4 (4) → satisfied 2/3
    assert (g["HL2"].numerator, g["HL2"].denominator) == (2, 3)


# ------------------------------------------------------------------------------------------
# the page's numbers
# ------------------------------------------------------------------------------------------


def test_dashboard_numbers_by_hand(client, fixture_commune, queue, ratings):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}?{PERIOD}")
    assert r.status_code == 200
    dash = r.context["d"]
    # TD1 (see test_index766): 4 of 6 on time; 766 total 37.78 of 60 measurable.
    assert (dash.on_time.numerator, dash.on_time.denominator) == (4, 6)
    assert round(dash.index.total, 2) == 37.78 and dash.index.measurable_maximum == 60
    # Backlog now (30/04 17:00): C and F open in the economic department, F past its deadline.
    assert [(b.total, b.overdue) for b in dash.backlog] == [(2, 1)]
    assert dash.overdue_total == 1
    # Queue, group A: waits 5, 10, 20 min → mean 11.67, P80 (nearest rank ⌈0.8×3⌉ = 3rd) 20;
    # services 4 and 6 min → 5. Group B: 1 issued, never called. 02/02 is outside.
    a = next(g for g in dash.queue if g.letter == "A")
    assert (a.issued, a.served, a.wait_mean_min, a.wait_p80_min, a.service_mean_min) == (
        3,
        2,
        "11,7",
        "20,0",
        "5,0",
    )
    b = next(g for g in dash.queue if g.letter == "B")
    assert (b.issued, b.served, b.wait_mean_min) == (1, 0, "")
    assert (dash.queue_total.issued, dash.queue_total.served) == (4, 2)
    # Ratings in the period: 3 (2, 0, 1) → satisfied 2 of 3; question 1 answers 2, 0, 1 → 1.00;
    # question 7: 2, 2, 1 → 1.67; question 3: one answer, 0. The ticket's of 02/02 is outside.
    rs = dash.ratings
    assert (rs.count, rs.satisfied, round(rs.satisfied_percent, 1)) == (3, 2, 66.7)
    assert [n for _, _, n in rs.distribution] == [1, 1, 1]
    q = {x.code: x for x in rs.questions}
    assert (q["1"].answered, q["1"].average) == (3, 1.0)
    assert (q["7"].answered, round(q["7"].average, 2)) == (3, 1.67)
    assert (q["3"].answered, q["3"].average, q["2"].answered, q["2"].average) == (1, 0.0, 0, None)
    # answers that are not 0, 1 or 2 as numbers (true, "2", 7) are left out; 2.0 is 2
    assert (q["9"].answered, q["5"].answered, q["4"].answered, q["4"].average) == (0, 0, 1, 2.0)
    assert [x.comment for x in rs.latest] == ["Phải đi lại nhiều lần", "Cán bộ nhiệt tình"]
    html = r.content.decode()
    assert 'data-testid="score">37,78' in html
    assert "chưa đo được" in html and "Phải đi lại nhiều lần" in html
    assert 'data-testid="on-time">66,7 %' in html


def test_trend_is_the_last_twelve_months_each_with_its_total(client, fixture_commune):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    trend = client.get(URL).context["d"].trend
    assert [t.label for t in trend][:2] == ["05/2025", "06/2025"] and trend[-1].label == "04/2026"
    assert len(trend) == 12
    by = {t.label: t.total for t in trend}
    for month, (first, last) in zip(("03/2026", "04/2026"), [(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
                                                           (dt.date(2026, 4, 1), dt.date(2026, 4, 30))], strict=True):  # fmt: skip
        assert by[month] == pytest.approx(index_compute(commune=ward, start=first, end=last).total, abs=0.01)
    # A month without dossiers, feedback or ratings: 0 for the dossier indicators, full marks
    # for HL1, HL2 and HL3 (nothing to resolve or rate): 6 + 6 + 6 = 18.
    assert by["05/2025"] == 18


def test_trend_months_cross_the_year():
    months = trend_months(dt.date(2026, 2, 10))
    assert months[0] == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert months[-1] == (dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    assert months[-2] == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


def test_dashboard_has_charts_with_title_and_desc_and_tables(client, fixture_commune, queue, ratings):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    html = client.get(f"{URL}?{PERIOD}").content.decode()
    for chart in ("xu-huong", "ton-dong", "danh-gia", "xep-hang"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert 'data-testid="trend"' in html and 'data-testid="backlog"' in html and 'data-testid="queue"' in html
    assert "quality/dashboard.css" in html and "style=" not in html.split("<main", 1)[1]


def test_dashboard_query_count_is_bounded(
    client, fixture_commune, queue, ratings, django_assert_max_num_queries
):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    with django_assert_max_num_queries(20):
        assert client.get(f"{URL}?{PERIOD}").status_code == 200


# ------------------------------------------------------------------------------------------
# the period chooser
# ------------------------------------------------------------------------------------------


def test_default_period_and_presets():
    today = dt.date(2026, 5, 20)
    assert parse_period(today=today) == Period(dt.date(2026, 5, 1), today, "thang-nay")
    assert parse_period(preset="thang-truoc", today=today) == Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30), "thang-truoc")  # fmt: skip
    assert parse_period(preset="quy-nay", today=today) == Period(dt.date(2026, 4, 1), today, "quy-nay")
    assert parse_period(preset="nam-nay", today=today) == Period(dt.date(2026, 1, 1), today, "nam-nay")
    jan = dt.date(2026, 1, 5)
    assert parse_period(preset="thang-truoc", today=jan) == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31), "thang-truoc")  # fmt: skip
    assert parse_period(start="2026-01-01", end="2027-02-04", today=today).days == 400
    with pytest.raises(ValidationFailed, match="tối đa 400 ngày"):
        parse_period(start="2026-01-01", end="2027-02-05", today=today)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tu=2026-13-01&den=2026-04-30", "Ngày bắt đầu phải là một ngày"),
        ("tu=30/04/2026", "Ngày bắt đầu phải là một ngày"),
        ("tu=2026-04-01%00&den=2026-04-30", "Ngày bắt đầu phải là một ngày"),
        ("den=" + "9" * 300, "Ngày kết thúc phải là một ngày"),
        ("tu=2026-04-30&den=2026-04-01", "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc"),
        ("tu=2025-01-01&den=2026-04-30", "tối đa 400 ngày"),
        ("tu=2019-12-31&den=2020-01-02", "ngoài khoảng có số liệu"),
        ("ky=ca-doi", "Không có khoảng thời gian chọn sẵn này"),
    ],
)
def test_bad_period_is_a_vietnamese_message(client, fixture_commune, query, message):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    for url in (URL, f"{URL}chi-so/TD1/", f"{URL}xuat-excel/"):
        r = client.get(f"{url}?{query}")
        assert r.status_code == 422, url
        assert message in r.content.decode()


# ------------------------------------------------------------------------------------------
# the drill-down
# ------------------------------------------------------------------------------------------


def test_drill_down_lists_exactly_the_late_dossiers(client, fixture_commune):
    ward, d = fixture_commune
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}chi-so/TD1/?{PERIOD}")
    assert r.status_code == 200
    rows = {row.pk: row for row in r.context["rows"]}
    assert set(rows) == {d["B"].pk, d["F"].pk}
    assert rows[d["B"].pk].reason.startswith("Yêu cầu bổ sung 2 lần")
    assert rows[d["F"].pk].reason == "Chưa giải quyết xong, đã quá hạn"
    html = r.content.decode()
    assert reverse("dossiers:detail", args=[d["B"].pk]) in html and d["F"].code in html
    assert d["A"].code not in html and "4/6" in html and "20 × tỷ lệ" in html


def test_drill_down_of_online_and_digitisation(client, fixture_commune):
    ward, d = fixture_commune
    client.force_login(leader_of(ward))
    rows = client.get(f"{URL}chi-so/TT1/?{PERIOD}").context["rows"]
    assert {r.pk for r in rows} == {d[k].pk for k in "BCDEF"}
    assert all(r.reason.startswith("Không nộp trực tuyến") for r in rows)
    rows = client.get(f"{URL}chi-so/SH2/?{PERIOD}").context["rows"]
    assert {r.pk for r in rows} == {d[k].pk for k in "DEF"}


def test_drill_down_is_paginated(client, fixture_commune, monkeypatch):
    ward, d = fixture_commune
    monkeypatch.setattr("motcua.quality.views.DRILL_PAGE", 3)
    client.force_login(leader_of(ward))
    first = client.get(f"{URL}chi-so/TT1/?{PERIOD}")
    second = client.get(f"{URL}chi-so/TT1/?{PERIOD}&trang=2")
    assert len(first.context["rows"]) == 3 and len(second.context["rows"]) == 2
    assert {r.pk for r in first.context["rows"]} | {r.pk for r in second.context["rows"]} == {
        d[k].pk for k in "BCDEF"
    }
    assert "Trang 1/2" in first.content.decode()


def test_drill_down_of_feedback_and_ratings(client, fixture_commune, feedback):
    ward, d = fixture_commune
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}chi-so/HL1/?{PERIOD}")
    rows = {row.code: row for row in r.context["rows"]}
    # late: PA-1 (resolved 12/03 after 10/03), PA-3 (open past 10/04), PA-4 (resolved after the period)
    assert set(rows) == {"PA-1", "PA-3", "PA-4"}
    assert rows["PA-1"].reason == "Xử lý xong sau hạn"
    assert rows["PA-3"].reason == rows["PA-4"].reason == "Chưa xử lý xong, đã quá hạn"
    assert reverse("feedback:detail", args=[rows["PA-1"].pk]) in r.content.decode()
    rows = client.get(f"{URL}chi-so/HL2/?{PERIOD}").context["rows"]
    assert [(row.code, row.reason) for row in rows] == [("PA-1", "Người phản ánh đánh giá 2/5")]
    rows = client.get(f"{URL}chi-so/HL3/?{PERIOD}").context["rows"]
    assert [(row.pk, row.reason) for row in rows] == [(d["B"].pk, "Người dân đánh giá «Không hài lòng»")]


def test_unknown_or_not_measurable_indicator(client, fixture_commune):
    ward, _ = fixture_commune
    client.force_login(leader_of(ward))
    assert client.get(f"{URL}chi-so/XX9/").status_code == 404
    assert client.get(f"{URL}chi-so/{'A' * 200}/").status_code == 404
    r = client.get(f"{URL}chi-so/CK4/")
    assert r.status_code == 200 and "chưa đo được" in r.content.decode()


# ------------------------------------------------------------------------------------------
# the workbook
# ------------------------------------------------------------------------------------------


def test_export_has_the_tables_and_no_formula(client, fixture_commune, queue, ratings):
    ward, _ = fixture_commune
    Department.objects.filter(commune=ward, kind=DepartmentKind.ECONOMIC).update(name='=HYPERLINK("x")')
    client.force_login(leader_of(ward))
    r = client.get(f"{URL}xuat-excel/?{PERIOD}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Chỉ số 766", "Theo phòng", "Xếp hàng", "Theo tháng", "Đánh giá"]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    idx = {row[0]: row for row in wb["Chỉ số 766"].iter_rows(min_row=3, values_only=True)}
    assert idx["TD1"][4:7] == (4, 6, 66.67) and idx["TD1"][8] == 13.33
    assert idx["CK1"][8] == "chưa đo được"
    assert list(wb["Theo phòng"].iter_rows(min_row=3, values_only=True)) == [('=HYPERLINK("x")', 2, 1)]
    assert len(list(wb["Theo tháng"].iter_rows(min_row=2))) == 12
    queue_rows = {row[0]: row for row in wb["Xếp hàng"].iter_rows(min_row=2, values_only=True)}
    assert queue_rows["A"][2:7] == (3, 2, "11,7", "20,0", "5,0")


# ------------------------------------------------------------------------------------------
# who may read it
# ------------------------------------------------------------------------------------------


def test_only_leaders_read_it(client, fixture_commune):
    ward, _ = fixture_commune
    from motcua.org.models import User

    for role in (Role.COUNTER_OFFICER, Role.SPECIALIST, Role.ADMIN):
        client.force_login(User.objects.filter(commune=ward, role=role).first())
        for url in (URL, f"{URL}chi-so/TD1/", f"{URL}xuat-excel/", f"{URL}?tu=bad"):
            r = client.get(url)
            assert r.status_code == 403, (role, url)
            assert "dành cho lãnh đạo" in r.content.decode()
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_department_head_reads_their_department_only(client, fixture_commune):
    ward, d = fixture_commune
    from motcua.org.models import User

    head = User.objects.get(commune=ward, role=Role.DEPARTMENT_HEAD)
    office = Department.objects.get(commune=ward, kind=DepartmentKind.OFFICE)
    d["F"].__class__.objects.filter(pk=d["F"].pk).update(department=office)
    client.force_login(head)
    r = client.get(f"{URL}?{PERIOD}")
    dash = r.context["d"]
    assert dash.access.department == head.department and dash.queue is None
    # The economic department's received dossiers: B, C, D, E (A was resolved at the desk, F
    # moved to the office): on time C, D, E; late B.
    assert (dash.on_time.numerator, dash.on_time.denominator) == (3, 4)
    assert [(b.total, b.overdue) for b in dash.backlog] == [(1, 0)]
    rows = client.get(f"{URL}chi-so/TD1/?{PERIOD}").context["rows"]
    assert [row.pk for row in rows] == [d["B"].pk]


def test_another_communes_leader_sees_nothing_of_it(client, fixture_commune):
    ward, d = fixture_commune
    other = make_commune(20210, "Phường An Khê", "H48.20210")
    stranger = make_user(other, Role.COMMUNE_LEADER, "chutich_ankhe")
    client.force_login(stranger)
    r = client.get(f"{URL}?{PERIOD}")
    assert r.status_code == 200 and r.context["d"].commune == other
    assert r.context["d"].on_time.denominator == 0 and d["B"].code not in r.content.decode()
    assert client.get(f"{URL}chi-so/TD1/?{PERIOD}").context["rows"] == []
    # the province's pages of the ward: 404 for a commune's leader
    assert client.get(f"{URL}tinh/{ward.pk}/").status_code == 404
    assert client.get(f"{URL}tinh/{ward.pk}/chi-so/TD1/").status_code == 404
    # their own commune through the province's pages: 403 (not a province officer)
    assert client.get(f"{URL}tinh/{other.pk}/").status_code == 403


def test_staff_navigation_links_the_dashboards(client, fixture_commune):
    ward, _ = fixture_commune
    from motcua.org.models import User

    client.force_login(leader_of(ward))
    assert 'href="/chat-luong/">Chất lượng phục vụ</a>' in client.get(URL).content.decode()
    client.force_login(User.objects.get(commune=ward, role=Role.COUNTER_OFFICER))
    assert "Chất lượng phục vụ</a>" not in client.get("/ho-so/tim-kiem/").content.decode()
    officer = make_user(None, Role.PROVINCE_OFFICER, "canbo_tinh_nav")
    officer.province = ward.province
    officer.save(update_fields=["province"])
    client.force_login(officer)
    assert (
        'href="/chat-luong/tinh/">Chất lượng các xã</a>' in client.get("/chat-luong/tinh/").content.decode()
    )
