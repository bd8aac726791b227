"""Workload per person, per department, per day and per week (issue 11 §3), on the hand-worked
fixture of the officers' numbers (issue 10) plus a plan: the numbers, the access, the period, the
workbook, the number of queries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from motcua.core import clock
from motcua.org.models import DepartmentKind, Role
from motcua.quality.tests.test_officers import MARCH, NOW, at, office  # noqa: F401  (the fixture)
from motcua.queueing.models import Counter
from motcua.staffing import workload as W
from motcua.staffing.models import PlanSlot, SlotKind
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(office):  # noqa: F811
    """`office` plus the plan: the desk officer at quầy 1 on 10/03 07:30–11:30 and 11/03
    07:30–09:30 (6 planned counter hours), the specialist in their department on 10/03."""
    commune, staff, other, d = office
    counter = Counter.objects.get(commune=commune, number=1)
    for day, ends in ((dt.date(2026, 3, 10), dt.time(11, 30)), (dt.date(2026, 3, 11), dt.time(9, 30))):
        PlanSlot.objects.create(commune=commune, day=day, officer=staff["counter"], starts=dt.time(7, 30), ends=ends,
                                kind=SlotKind.COUNTER, counter=counter, created_at=NOW)  # fmt: skip
    PlanSlot.objects.create(commune=commune, day=dt.date(2026, 3, 10), officer=staff["specialist_econ"],
                            starts=dt.time(7, 30), ends=dt.time(17, 0), kind=SlotKind.DEPARTMENT,
                            department=staff["specialist_econ"].department, created_at=NOW)  # fmt: skip
    with clock.pinned(NOW):
        yield commune, staff, other, d


def test_the_numbers_worked_by_hand(ward):
    commune, staff, other, _d = ward
    people = [staff["counter"], staff["specialist_econ"], other]
    wl = W.workload_compute(
        commune=commune, people=people, start=MARCH[0], end=MARCH[1], grain="tuan", now=NOW
    )
    desk, spec, spec2 = wl.people
    # The desk officer: 2 tickets (6 and 10 min), received the 5 dossiers, 6 planned hours.
    assert (desk.numbers.tickets_served, desk.numbers.avg_service_minutes) == (2, pytest.approx(8.0))
    assert desk.numbers.received == 5
    assert desk.planned_hours == pytest.approx(6.0)
    assert desk.tickets_per_hour == pytest.approx(2 / 6)
    # The specialist: 4 handled, 2 finished (16 h and 18.5 h), R overdue; department hours are
    # not counter hours.
    assert (spec.numbers.handled, spec.numbers.finished, spec.numbers.backlog, spec.numbers.overdue) == (
        4,
        2,
        2,
        1,
    )
    assert spec.numbers.avg_processing_hours == pytest.approx(17.25)
    assert (spec.planned_hours, spec.tickets_per_hour) == (0, None)
    assert spec2.numbers.handled == 1
    # Departments: the economic one (2 people) — its own open dossiers R, S, U; R and U overdue.
    econ = next(x for x in wl.departments if x.name == staff["specialist_econ"].department.name)
    assert (econ.people, econ.handled, econ.finished, econ.backlog, econ.overdue) == (2, 5, 2, 3, 2)
    assert econ.avg_processing_hours == pytest.approx(17.25)
    desk_dept = next(x for x in wl.departments if x.name == "Chưa thuộc phòng nào")
    assert (desk_dept.tickets_served, desk_dept.planned_hours) == (2, pytest.approx(6.0))
    # Weeks from Monday: 23/02 (1/3 is a Sunday), 02/03, 09/03, 16/03, 23/03, 30/03.
    weeks = {b.label: b for b in wl.buckets}
    assert list(weeks) == [f"Tuần từ {x}" for x in ("23/02", "02/03", "09/03", "16/03", "23/03", "30/03")]
    assert (weeks["Tuần từ 02/03"].received, weeks["Tuần từ 02/03"].finished) == (4, 2)
    assert weeks["Tuần từ 23/03"].received == 1
    assert (weeks["Tuần từ 09/03"].tickets_served, weeks["Tuần từ 09/03"].planned_hours) == (2, 6.0)
    # Per day: 10/03 has 2 tickets and 4 planned hours, 11/03 2 hours and none served.
    days = {b.label: b for b in W.workload_compute(commune=commune, people=people, start=MARCH[0], end=MARCH[1],
                                                   grain="ngay", now=NOW).buckets}  # fmt: skip
    assert len(days) == 31
    assert (days["10/03"].tickets_served, days["10/03"].planned_hours, days["10/03"].tickets_per_hour) == (
        2,
        4,
        0.5,
    )
    assert (days["11/03"].tickets_served, days["11/03"].planned_hours) == (0, 2)


def test_the_page_takes_a_fixed_number_of_queries(client, ward, django_assert_max_num_queries):
    commune, staff, *_ = ward
    for n in range(6):
        make_user(commune, Role.SPECIALIST, f"them_{n}", DepartmentKind.CULTURE_SOCIAL)
    client.force_login(staff["leader"])
    with django_assert_max_num_queries(25):
        response = client.get("/nhan-su/cong-viec/?tu=01/03/2026&den=31/03/2026&theo=tuan")
    assert response.status_code == 200


def test_the_leader_sees_everyone_with_charts_and_tables(client, ward):
    _commune, staff, other, _ = ward
    client.force_login(staff["leader"])
    page = client.get("/nhan-su/cong-viec/?tu=01/03/2026&den=31/03/2026").content.decode()
    assert "Khối lượng công việc — 01/03/2026–31/03/2026" in page
    for person in (staff["counter"], staff["specialist_econ"], other, staff["leader"]):
        assert person.display_name in page
    assert "<svg" in page and "Theo phòng" in page and "Lượt mỗi giờ ngồi quầy" in page


def test_a_department_head_sees_their_department_only(client, ward):
    _commune, staff, other, _ = ward
    client.force_login(staff["head_econ"])
    page = client.get("/nhan-su/cong-viec/?tu=01/03/2026&den=31/03/2026").content.decode()
    assert staff["specialist_econ"].display_name in page and other.display_name in page
    assert staff["counter"].display_name not in page and staff["specialist_office"].display_name not in page


def test_an_officer_sees_only_their_own_row(client, ward):
    _commune, staff, _other, _ = ward
    client.force_login(staff["counter"])
    assert client.get("/nhan-su/cong-viec/").status_code == 403
    assert client.get("/nhan-su/cong-viec/xuat-excel/").status_code == 403
    page = client.get("/nhan-su/cong-viec/cua-toi/?tu=01/03/2026&den=31/03/2026").content.decode()
    assert "Khối lượng công việc của tôi" in page and staff["counter"].display_name in page
    assert staff["specialist_econ"].display_name not in page and "Theo phòng" not in page
    response = client.get("/nhan-su/cong-viec/xuat-excel/?cua-toi=1&tu=01/03/2026&den=31/03/2026")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert [r[0] for r in rows[2:]] == [staff["counter"].display_name]


def test_another_communes_leader_sees_none_of_ours(client, ward):
    _commune, staff, *_ = ward
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    client.force_login(make_user(other, Role.COMMUNE_LEADER, "ak_chutich"))
    page = client.get("/nhan-su/cong-viec/?tu=01/03/2026&den=31/03/2026").content.decode()
    assert staff["counter"].display_name not in page and staff["specialist_econ"].display_name not in page
    client.force_login(make_user(None, Role.PROVINCE_OFFICER, "so_noivu"))
    assert client.get("/nhan-su/cong-viec/").status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tu=01/01/2026&den=30/04/2026", "dài nhất là 92 ngày"),
        ("tu=x%00&den=31/03/2026", "phải là một ngày"),
        ("tu=31/03/2026&den=01/03/2026", "từ ngày bắt đầu trở đi"),
    ],
)
def test_a_bad_period_gives_a_message(client, ward, query, message):
    _, staff, *_ = ward
    client.force_login(staff["leader"])
    response = client.get(f"/nhan-su/cong-viec/?{query}")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert client.get(f"/nhan-su/cong-viec/xuat-excel/?{query}").status_code == 422


def test_the_workbook_has_text_and_numbers_only(client, ward):
    _commune, staff, *_ = ward
    staff["counter"].full_name = '=HYPERLINK("http://x";"bấm")'
    staff["counter"].save()
    client.force_login(staff["leader"])
    response = client.get("/nhan-su/cong-viec/xuat-excel/?tu=01/03/2026&den=31/03/2026&theo=tuan")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Cán bộ", "Phòng", "Theo tuần"]
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    desk = next(r for r in book["Cán bộ"].iter_rows(values_only=True) if r[0] and "HYPERLINK" in str(r[0]))
    assert desk[2] == 2 and desk[10] == 6.0


def test_the_hub_links_the_workload(client, ward):
    _, staff, *_ = ward
    client.force_login(staff["leader"])
    page = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/cong-viec/"' in page
    client.force_login(staff["counter"])
    page = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/cong-viec/"' not in page and 'href="/nhan-su/cong-viec/cua-toi/"' in page


def test_a_superscript_digit_as_department_is_ignored_not_a_500(client, ward):
    """«²».isdigit() is true but int("²") fails: `?phong=` takes ASCII digits only."""
    _, staff, other, _ = ward
    client.force_login(staff["leader"])
    for url in ("/nhan-su/cong-viec/", "/nhan-su/cong-viec/xuat-excel/"):
        assert client.get(f"{url}?tu=01/03/2026&den=31/03/2026&phong=%C2%B2").status_code == 200
    assert W.department_filter([other], "²") == [other]
    assert W.department_filter([other], str(other.department_id)) == [other]


def test_finished_has_one_definition_in_every_table(ward):
    """A dossier received in February and finished in March by its assignee counts as finished in
    March in the person's row, their department's and the day/week buckets alike."""
    from motcua.dossiers.models import Channel, Dossier
    from motcua.dossiers.services import Applicant, dossier_create_draft
    from motcua.testing import make_procedure

    commune, staff, _other, _ = ward
    sp = staff["specialist_econ"]

    def compute():
        return W.workload_compute(commune=commune, people=[sp], start=MARCH[0], end=MARCH[1], grain="ngay",
                                  now=NOW)  # fmt: skip

    before = compute()
    feb = dt.datetime(2026, 2, 20, 9, tzinfo=NOW.tzinfo)
    d = dossier_create_draft(commune=commune, procedure=make_procedure(), form_data={}, now=feb,
                             applicant=Applicant(name="Hồ Văn Dân", phone="0905000111"), channel=Channel.IN_PERSON)  # fmt: skip
    Dossier.objects.filter(pk=d.pk).update(first_received_at=feb, received_by=sp, assignee=sp,
                                           finished_at=dt.datetime(2026, 3, 5, 9, tzinfo=NOW.tzinfo))  # fmt: skip
    wl = compute()
    person, dept, buckets = (
        wl.people[0].finished,
        wl.departments[0].finished,
        sum(b.finished for b in wl.buckets),
    )
    assert person == dept == buckets == before.people[0].finished + 1
    assert W.person_cells(wl.people[0])[6] == person
    assert W.department_cells(wl.departments[0])[6] == person
    by_day = {b.label: b.finished for b in wl.buckets}
    assert by_day["05/03"] == {b.label: b.finished for b in before.buckets}["05/03"] + 1
