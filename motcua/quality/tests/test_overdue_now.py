"""«Quá hạn hiện nay» on the dashboards agrees with the 766 on-time rule: a dossier waiting for the
resident's fee since before its deadline is not late (its clock stopped); one paused after its
deadline, or still in processing past it, is (review of issue 10). Checked on the leader's backlog
card, the province's row and the officer's numbers."""

import datetime as dt

import pytest

from motcua.dossiers.models import Dossier, State
from motcua.quality.dashboard import Period, backlog_for
from motcua.quality.officers import officers_numbers
from motcua.quality.province import province_rows
from motcua.quality.tests.rating_setup import VN
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 4, 1, 9, tzinfo=VN)
DUE = dt.datetime(2026, 4, 10, 17, tzinfo=VN)
NOW = dt.datetime(2026, 4, 30, 17, tzinfo=VN)


@pytest.fixture
def ward():
    ward = make_commune()
    staff = make_staff(ward)
    procedure = make_procedure()
    officer = staff["specialist_econ"]
    for code, state, paused in [
        ("FEE-BEFORE", State.PENDING_FEE, dt.datetime(2026, 4, 5, 9, tzinfo=VN)),  # clock stopped in time
        ("FEE-AFTER", State.PENDING_FEE, dt.datetime(2026, 4, 12, 9, tzinfo=VN)),  # already late when paused
        ("LATE", State.IN_PROCESS, None),  # still in processing, past its deadline
    ]:
        Dossier.objects.create(
            commune=ward, procedure=procedure, department=officer.department, assignee=officer, code=code,
            state=state, applicant_name="A", applicant_name_folded="a", created_at=RECEIVED,
            received_at=RECEIVED, first_received_at=RECEIVED, due_at=DUE, paused_at=paused,
        )  # fmt: skip
    return ward, officer


def test_the_leaders_backlog_counts_two_late_of_three(ward):
    commune, _ = ward
    rows = backlog_for(commune=commune, now=NOW)
    assert [(r.total, r.overdue) for r in rows] == [(3, 2)]


def test_the_provinces_row_counts_two_late(ward):
    commune, _ = ward
    (row,) = province_rows(
        communes=[commune], period=Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30)), now=NOW
    )
    assert row.overdue == 2


def test_the_officers_numbers_count_two_late(ward):
    commune, officer = ward
    (n,) = officers_numbers(
        commune=commune, officers=[officer], start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30), now=NOW
    )
    assert (n.backlog, n.overdue) == (3, 2)
