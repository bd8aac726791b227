"""The officer's numbers (issue 10 §4) on a small fixture worked out by hand, the pages, who may
read them, and the workbooks."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.org.models import DepartmentKind, Role
from motcua.quality.models import Rating, RatingSource, RatingSubject
from motcua.quality.officers import (
    comment_public,
    officer_page,
    officers_numbers,
    parse_period,
    sort_numbers,
    working_hours,
)
from motcua.queueing.services import counter_call_next, ticket_finish, ticket_issue, ticket_start
from motcua.testing import (
    land_procedure,
    make_commune,
    make_counter,
    make_service_groups,
    make_staff,
    make_user,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=VN)
pytestmark = pytest.mark.django_db


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def act(d: Dossier, action: str, actor, when: dt.datetime, **data) -> Dossier:
    return dossier_apply(dossier=d, action=action, actor=actor, now=when, data=data, reason="")


def assigned(staff, procedure, when: dt.datetime, officer) -> Dossier:
    """Received at the desk at `when`, transferred at +1 h, assigned by the head at +1 h 30."""
    d = dossier_intake(
        actor=staff["counter"], procedure=procedure,
        applicant=Applicant(name="Nguyễn Thị Lan", phone="0905123456", citizen_id="048190001234"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=when,
    )  # fmt: skip
    d = act(d, Action.TRANSFER, staff["counter"], when + dt.timedelta(hours=1))
    return act(
        d, Action.ASSIGN, staff["head_econ"], when + dt.timedelta(hours=1, minutes=30), assignee_id=officer.pk
    )


def rate(
    d: Dossier | None, officer, when: dt.datetime, overall: int, answers: dict, comment: str = "", ticket=None
):
    return Rating.objects.create(
        commune=officer.commune, subject=RatingSubject.TICKET if ticket else RatingSubject.DOSSIER,
        dossier=d, ticket=ticket, questionnaire="TT01-2018-v1", answers=answers, overall=overall,
        comment=comment, source=RatingSource.RECEIPT, officer=officer, created_at=when,
    )  # fmt: skip


@pytest.fixture
def office():
    """Phường Thanh Khê in March 2026 (2/3 is a Monday). The specialist `cv_kinhte` is assigned
    P, Q, R, S; `cv_kinhte2` (same department) U. Land dossiers: 20 working days.

    - P: received 02/03 09:00, draft 04/03 09:00 (cv_kinhte), approved 04/03 10:00.
    - Q: received 02/03 09:00, sent back for supplementation 03/03 09:00, back 05/03 09:00,
      draft 06/03 09:00, approved 06/03 14:30.
    - R: received 02/03 09:00, never finished: due 30/03, overdue at the end of March and now.
    - S: received 25/03 09:00, open and within its deadline.
    - U: received 02/03 09:00 for cv_kinhte2.
    Queue: the desk officer serves two tickets on 10/03: 08:00–08:06 and 08:10–08:20.
    Ratings: P (rất hài lòng, q1 2, q7 2), Q (không hài lòng, q1 1, q7 0, with the applicant's
    name and phone in the comment); a ticket rating of the desk officer whose comment is a formula.
    """
    ward = make_commune()
    staff = make_staff(ward)
    other = make_user(ward, Role.SPECIALIST, "cv_kinhte2", DepartmentKind.ECONOMIC)
    spec, leader = staff["specialist_econ"], staff["leader"]
    land = land_procedure()
    ticked = {"checklist_ticked": [i.id for i in land.checklist.all()]}
    d = {}
    p = assigned(staff, land, at("02/03/2026"), spec)
    p = act(p, Action.SUBMIT_DRAFT, spec, at("04/03/2026", "09:00"))
    d["P"] = act(p, Action.APPROVE, leader, at("04/03/2026", "10:00"))
    q = assigned(staff, land, at("02/03/2026"), spec)
    q = act(q, Action.REQUEST_SUPPLEMENT, spec, at("03/03/2026"), items=["Bản vẽ"])
    q = act(q, Action.RECEIVE, staff["counter"], at("05/03/2026"), **ticked)
    q = act(q, Action.TRANSFER, staff["counter"], at("05/03/2026", "10:00"))
    q = act(q, Action.SUBMIT_DRAFT, spec, at("06/03/2026", "09:00"))
    d["Q"] = act(q, Action.APPROVE, leader, at("06/03/2026", "14:30"))
    d["R"] = assigned(staff, land, at("02/03/2026"), spec)
    d["S"] = assigned(staff, land, at("25/03/2026"), spec)
    d["U"] = assigned(staff, land, at("02/03/2026"), other)
    assert d["Q"].assignee_id == spec.pk and d["R"].due_at < at("01/04/2026", "00:00")

    make_service_groups(ward)
    counter = make_counter(ward, 1, "A", officer=staff["counter"])
    start = at("10/03/2026", "07:55")
    tickets = [ticket_issue(commune=ward, group_letter="A", priority=False, now=start) for _ in range(2)]
    for call, finish in (("08:00", "08:06"), ("08:10", "08:20")):
        t = counter_call_next(actor=staff["counter"], counter=counter, now=at("10/03/2026", call))
        assert t is not None
        ticket_start(actor=staff["counter"], counter=counter, ticket=t, now=at("10/03/2026", call))
        ticket_finish(actor=staff["counter"], counter=counter, ticket=t, now=at("10/03/2026", finish))

    rate(d["P"], spec, at("05/03/2026"), 2, {"1": 2, "7": 2}, "Cán bộ nhiệt tình, chu đáo")
    rate(d["Q"], spec, at("07/03/2026"), 0, {"1": 1, "7": 0},
         "Chị nguyen thi lan gọi 0905 123 456 mãi không ai nghe, email lan@example.com")  # fmt: skip
    rate(None, staff["counter"], at("10/03/2026", "08:07"), 1, {"7": 1}, '=HYPERLINK("http://x";"bấm")',
         ticket=tickets[0])  # fmt: skip
    return ward, staff, other, d


def test_working_hours_follow_the_office_windows():
    from motcua.calendar.selectors import calendar_for_province

    cal = calendar_for_province(None)
    # Monday 02/03 09:00 → Wednesday 04/03 10:00: 2.5 + 3.5, then 7.5, then 2.5 = 16 h.
    assert working_hours(cal, at("02/03/2026"), at("04/03/2026", "10:00")) == pytest.approx(16.0)
    # Saturday and Sunday count nothing; lunch counts nothing.
    assert working_hours(cal, at("07/03/2026"), at("08/03/2026", "17:00")) == 0
    assert working_hours(cal, at("02/03/2026", "11:30"), at("02/03/2026", "13:30")) == 0
    assert working_hours(cal, at("02/03/2026", "10:00"), at("02/03/2026", "09:00")) == 0


def test_the_specialists_numbers_worked_by_hand(office):
    ward, staff, other, d = office
    spec, counter = staff["specialist_econ"], staff["counter"]
    s, c, o = officers_numbers(
        commune=ward, officers=[spec, counter, other], start=MARCH[0], end=MARCH[1], now=NOW
    )
    # Handled: P, Q, R, S (assigned, received in March); U is cv_kinhte2's.
    assert (s.handled, s.received) == (4, 0)
    # On time at the end of March: P, Q (supplemented once: its clock restarted), S (open, within
    # its deadline); late: R (due 30/03, still open). 3/4 = 75 %.
    assert (s.on_time, s.late, s.late_ids) == (3, 1, [d["R"].pk])
    assert s.on_time_percent == pytest.approx(75.0)
    # Finished: P 16 h (02/03 09:00 → 04/03 10:00: 6 + 7.5 + 2.5);
    # Q 02/03 09:00 → 06/03 14:30 = 6 + 7.5 + 7.5 + 7.5 + 5 = 33.5 h, less the wait
    # 03/03 09:00 → 05/03 09:00 = 6 + 7.5 + 1.5 = 15 h: 18.5 h. Mean 17.25 h = 2.3 working days.
    assert s.finished == 2
    assert sorted(s.processing_hours) == pytest.approx([16.0, 18.5])
    assert s.avg_processing_hours == pytest.approx(17.25)
    assert s.avg_processing_days == pytest.approx(2.3)
    # Now (31/03 12:00): R and S open, R overdue.
    assert (s.backlog, s.overdue) == (2, 1)
    # Control sheet rows: P's draft; Q's supplementation request and draft.
    assert s.control_steps == 3
    # Ratings: 2, one satisfied.
    assert (s.ratings, s.satisfied, s.satisfied_percent) == (2, 1, 50.0)
    assert (s.tickets_served, s.avg_service_minutes) == (0, None)
    # The desk officer received all five, served two tickets (6 and 10 minutes: 8 on average).
    assert (c.received, c.handled, c.tickets_served) == (5, 0, 2)
    assert c.avg_service_minutes == pytest.approx(8.0)
    assert (c.ratings, c.satisfied) == (1, 1)
    assert c.on_time_ratio is None and c.avg_processing_hours is None
    assert (o.handled, o.late, o.backlog, o.overdue) == (1, 1, 1, 1)


def test_a_period_before_the_work_has_nothing(office):
    ward, staff, _, _ = office
    (s,) = officers_numbers(
        commune=ward,
        officers=[staff["specialist_econ"]],
        start=dt.date(2026, 2, 1),
        end=dt.date(2026, 2, 28),
        now=NOW,
    )
    assert (s.handled, s.finished, s.ratings, s.control_steps) == (0, 0, 0, 0)
    assert (s.backlog, s.overdue) == (2, 1)  # the backlog is now's, whatever the period


def test_the_officer_page_questions_comments_and_766_slice(office):
    _, staff, _, d = office
    page = officer_page(officer=staff["specialist_econ"], start=MARCH[0], end=MARCH[1], now=NOW)
    by_code = {q.code: q for q in page.questions}
    assert (by_code["1"].answered, by_code["1"].average) == (2, 1.5)
    assert (by_code["7"].answered, by_code["7"].average) == (2, 1.0)
    assert (by_code["2"].answered, by_code["2"].average) == (0, None)
    # Newest first; the applicant's name (typed without diacritics), phone and e-mail masked.
    assert [c.overall for c in page.comments] == [0, 2]
    text = page.comments[0].text
    assert "lan" not in text.lower().replace("lần", "") and "0905" not in text and "@" not in text
    assert "*" in text and "mãi không ai nghe" in text
    # 766 slice: TD1 = 20 × 3/4 = 15 (the same dossiers as the numbers); TT1 is the commune's.
    rows = {r["i"].code: r for r in page.index_rows()}
    assert rows["TD1"]["i"].points == pytest.approx(15.0)
    assert (rows["TD1"]["i"].numerator, rows["TD1"]["i"].denominator) == (3, 4)
    assert rows["TT1"]["applicable"] is False and rows["CK1"]["applicable"] is False
    assert rows["HL3"]["applicable"] is True
    assert [x.pk for x in page.late] == [d["R"].pk]


def test_comment_public_masks_personal_data():
    assert comment_public("Anh NGUYỄN VĂN AN rất tốt", applicant_name="Nguyễn Văn An") == "Anh *** rất tốt"
    assert "048190001234" not in comment_public("CCCD 048190001234")
    assert "0905123456" not in comment_public("gọi +84 905 123 456")
    assert comment_public("Tốt\x00") == "Tốt"


def test_period_parsing_and_its_limits():
    today = dt.date(2026, 3, 31)
    assert parse_period("", "", today=today) == (dt.date(2026, 3, 1), today)
    assert parse_period("01/01/2026", "2026-02-01", today=today) == (dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    from motcua.core.errors import ValidationFailed

    for a, b in (("x", ""), ("31/02/2026", ""), ("01/03/2026", "01/02/2026"), ("01/01/2025", "06/02/2026"),
                 ("01/03/2026\x00", ""), ("1" * 5000, "")):  # fmt: skip
        with pytest.raises(ValidationFailed):
            parse_period(a, b, today=today)


def test_sorting_puts_empty_values_last(office):
    ward, staff, other, _ = office
    rows = officers_numbers(
        commune=ward,
        officers=[staff["counter"], staff["specialist_econ"], other],
        start=MARCH[0],
        end=MARCH[1],
        now=NOW,
    )
    ordered, key = sort_numbers(rows, "-dung-han")
    assert key == "-dung-han"
    assert [r.officer.username for r in ordered] == ["cv_kinhte", "cv_kinhte2", "motcua"]
    assert sort_numbers(rows, "<script>")[1] == "ten"


# ---- pages and access -------------------------------------------------------------------------


@pytest.fixture(autouse=False)
def pinned_now():
    with clock.pinned(NOW):
        yield


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(f"quality_officers:{name}", args=args), params)


def test_own_page_shows_the_numbers(client, office, pinned_now):
    _, staff, _, _ = office
    r = get(client, staff["specialist_econ"], "me", tu="2026-03-01", den="2026-03-31")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Kết quả của tôi" in html and 'data-testid="handled">4<' in html
    assert "75,0 %" in html and "17,3 giờ làm việc" in html and ">2,3<" in html  # 17,25 h; 2,3 days
    assert "không áp dụng cho từng cán bộ" in html


def test_bad_period_is_a_vietnamese_422(client, office, pinned_now):
    _, staff, _, _ = office
    r = get(client, staff["specialist_econ"], "me", tu="2024-01-01", den="2026-03-31")
    assert r.status_code == 422 and "400 ngày" in r.content.decode()
    r = get(client, staff["specialist_econ"], "me", tu="abc\x00")
    assert r.status_code == 422 and "ngày/tháng/năm" in r.content.decode()


def test_who_may_open_an_officers_page(client, office, pinned_now):
    ward, staff, other, _ = office
    spec = staff["specialist_econ"]
    elsewhere = make_commune(code=20212, name="Phường An Khê", agency="H48.20212")
    far = make_staff(elsewhere, prefix="ak_")
    culture_head = make_user(ward, Role.DEPARTMENT_HEAD, "tp_vhxh", DepartmentKind.CULTURE_SOCIAL)
    allowed = [spec, staff["head_econ"], staff["leader"]]
    refused = [other, staff["counter"], culture_head, staff["admin"], far["leader"], far["head_econ"]]
    for user in allowed:
        assert get(client, user, "officer", spec.pk).status_code == 200, user.username
        assert get(client, user, "export", spec.pk).status_code == 200, user.username
    for user in refused:
        assert get(client, user, "officer", spec.pk).status_code == 404, user.username
        assert get(client, user, "export", spec.pk).status_code == 404, user.username
    # A non-existent id answers the same.
    assert get(client, staff["leader"], "officer", 987654).status_code == 404


def test_the_list_for_a_head_and_a_leader(client, office, pinned_now):
    _, staff, _, _ = office
    r = get(client, staff["head_econ"], "list", tu="2026-03-01", den="2026-03-31", sx="-xu-ly")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Cv Kinhte2" in html and "Cv Kinhte" in html and "Motcua" not in html.replace("Một cửa", "")
    assert html.index(">Cv Kinhte<") < html.index(">Cv Kinhte2<")  # 4 handled before 1
    assert 'aria-sort="descending"' in html
    r = get(client, staff["leader"], "list", tu="2026-03-01", den="2026-03-31")
    assert r.status_code == 200 and "Motcua" in r.content.decode()
    for user in (staff["specialist_econ"], staff["counter"], staff["admin"]):
        assert get(client, user, "list").status_code == 403
        assert get(client, user, "list_export").status_code == 403


def test_exports_have_no_formula_cells(client, office, pinned_now):
    _, staff, _, _ = office
    r = get(client, staff["leader"], "export", staff["counter"].pk, tu="2026-03-01", den="2026-03-31")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == '=HYPERLINK("http://x";"bấm")' and c.data_type == "s" for c in cells)
    r = get(client, staff["leader"], "list_export", tu="2026-03-01", den="2026-03-31")
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][0] == "Cán bộ"
    spec_row = next(x for x in rows if x[1] == "cv_kinhte")
    assert spec_row[5:9] == (4, 3, 1, 75.0)
    assert all(c.data_type != "f" for row in wb.active.iter_rows() for c in row)


def test_the_nav_links_to_my_results(client, office, pinned_now):
    _, staff, _, _ = office
    client.force_login(staff["specialist_econ"])
    html = client.get(reverse("dossiers:inbox")).content.decode()
    assert reverse("quality_officers:me") in html and "Kết quả của tôi" in html


def test_users_without_a_commune_have_no_officer_page(client, office, pinned_now):
    ward, staff, _, _ = office
    province = make_user(None, Role.PROVINCE_OFFICER, "tinh_dn")
    province.province = ward.province
    province.save()
    assert get(client, province, "me").status_code == 403
    assert get(client, province, "list").status_code == 403
    assert get(client, province, "officer", staff["specialist_econ"].pk).status_code == 404
    client.logout()
    r = client.get(reverse("quality_officers:officer", args=[staff["specialist_econ"].pk]))
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]
