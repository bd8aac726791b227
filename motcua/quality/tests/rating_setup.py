"""Shared setup of the ratings' tests (a finished dossier, a served queue ticket)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.org.models import Role
from motcua.queueing.models import Counter, Ticket
from motcua.queueing.services import counter_call_next, ticket_finish, ticket_issue, ticket_start
from motcua.testing import make_counter, make_procedure, make_service_groups, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DOSSIER_ANSWERS = {str(c): 2 for c in range(1, 10)}
TICKET_ANSWERS = {"3": 2, "6": 1, "7": 2}


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def received(staff: dict, when: dt.datetime) -> Dossier:
    procedure = make_procedure()
    return dossier_intake(
        actor=staff["counter"], procedure=procedure,
        applicant=Applicant(name="Nguyễn Thị Lan", phone="0905123456", citizen_id="048190001234"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=when,
    )  # fmt: skip


def finished_dossier(staff: dict, when: dt.datetime) -> Dossier:
    d = received(staff, when)
    return dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=when + dt.timedelta(minutes=10)
    )


def counter_with_officer(commune, number: int = 1, username: str = "quay1") -> Counter:
    make_service_groups(commune)
    officer = make_user(commune, Role.COUNTER_OFFICER, username)
    return make_counter(commune, number, "ABCD", officer=officer)


def served_ticket(counter: Counter, when: dt.datetime, finish: bool = True) -> Ticket:
    """A ticket of group A taken at `when`, called, served and (by default) finished at `counter`."""
    officer = counter.officer
    ticket_issue(commune=counter.commune, group_letter="A", priority=False, now=when)
    t = counter_call_next(actor=officer, counter=counter, now=when + dt.timedelta(minutes=1))
    assert t is not None
    t = ticket_start(actor=officer, counter=counter, ticket=t, now=when + dt.timedelta(minutes=2))
    if finish:
        t = ticket_finish(actor=officer, counter=counter, ticket=t, now=when + dt.timedelta(minutes=5))
    return t
