"""The steps added for issue 8 §4 (leave, hold, resume, dossier, transfer to a counter, hours,
directed and booked tickets, the recall limit, the phone's cap), on SQLite."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.org.models import Role
from motcua.queueing.models import (
    Counter,
    CounterHours,
    EventKind,
    Ticket,
    TicketEvent,
    TicketSource,
    TicketState,
)
from motcua.queueing.services import (
    counter_call_next,
    counter_leave,
    counter_sit,
    ticket_finish,
    ticket_hold,
    ticket_issue,
    ticket_leave,
    ticket_link_dossier,
    ticket_no_show,
    ticket_recall,
    ticket_resume,
    ticket_start,
    ticket_transfer,
)
from motcua.queueing.workflow import Action, ticket_apply
from motcua.testing import make_counter, make_procedure, make_service_groups, make_staff, make_user

from .conftest import NOW

S = TicketState
MIN = dt.timedelta(minutes=1)


def _issue(ward, letter="A", now=NOW, **kw):
    return ticket_issue(commune=ward, group_letter=letter, priority=kw.pop("priority", False), now=now, **kw)


def make_dossier(commune, officer):
    procedure = make_procedure()
    return dossier_intake(
        actor=officer, procedure=procedure, applicant=Applicant(name="Trần Văn Bình", phone="0905111222"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=NOW,
    )  # fmt: skip


def _kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


# --- The resident leaves («Tôi không chờ nữa») -------------------------------------------------


def test_a_waiting_resident_leaves_one_left_event_without_officer_or_counter(ward, groups, counter1):
    t = _issue(ward)
    t = ticket_leave(ticket=t, now=NOW + 5 * MIN)
    t.refresh_from_db()
    assert (t.state, t.finished_at, t.counter) == (S.LEFT, NOW + 5 * MIN, None)
    assert _kinds(t) == ["ISSUED", "LEFT"]
    ev = t.events.get(kind=EventKind.LEFT)
    assert (ev.officer, ev.counter, ev.at) == (None, None, NOW + 5 * MIN)


def test_a_called_resident_leaves_and_the_event_names_the_counter_for_the_board(
    ward, groups, staff, counter1
):
    _issue(ward)
    t = counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    t = ticket_leave(ticket=t, now=NOW + MIN)
    assert t.state == S.LEFT
    ev = t.events.get(kind=EventKind.LEFT)
    assert (ev.officer, ev.counter) == (None, counter1)
    # The line moves on: quầy 1 calls nobody (the left ticket is not called again).
    assert counter_call_next(actor=staff["counter"], counter=counter1, now=NOW + 2 * MIN) is None


def test_leaving_is_refused_once_served_or_closed_and_changes_nothing(ward, groups, staff, counter1):
    officer = staff["counter"]
    _issue(ward)
    t = counter_call_next(actor=officer, counter=counter1, now=NOW)
    t = ticket_start(actor=officer, counter=counter1, ticket=t, now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=t, now=NOW)
    t = ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=t, now=NOW)
    left = ticket_leave(ticket=_issue(ward), now=NOW)
    with pytest.raises(Conflict):
        ticket_leave(ticket=left, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.DONE
    assert _kinds(t) == ["ISSUED", "CALLED", "STARTED", "FINISHED"]
    assert _kinds(left) == ["ISSUED", "LEFT"]


def test_an_officer_cannot_take_the_residents_step_nor_a_resident_an_officers(ward, groups, staff, counter1):
    t = _issue(ward)
    with pytest.raises(NotAllowed):
        ticket_apply(ticket=t, action=Action.LEAVE, actor=staff["counter"], counter=counter1, now=NOW)
    with pytest.raises(NotAllowed):
        ticket_apply(ticket=t, action=Action.CALL, actor=None, counter=None, now=NOW)
    assert Ticket.objects.get(pk=t.pk).state == S.WAITING
    assert _kinds(t) == ["ISSUED"]


# --- Every officer's step: exactly one event, with the officer and the counter ------------------


def _to_state(ward, staff, counter, state):
    """A ticket of group A brought to `state` at `counter` by the counter officer."""
    officer = staff["counter"]
    _issue(ward)
    t = counter_call_next(actor=officer, counter=counter, now=NOW)
    if state in (S.SERVING, S.HELD):
        t = ticket_start(actor=officer, counter=counter, ticket=t, now=NOW + MIN)
    if state == S.HELD:
        t = ticket_hold(actor=officer, counter=counter, ticket=t, now=NOW + 2 * MIN, reason="Đi photo")
    return t


STEPS = [
    ("recall", S.CALLED, lambda **kw: ticket_recall(**kw), S.CALLED, EventKind.RECALLED),
    ("no_show", S.CALLED, lambda **kw: ticket_no_show(**kw), S.NO_SHOW, EventKind.NO_SHOW),
    ("start", S.CALLED, lambda **kw: ticket_start(**kw), S.SERVING, EventKind.STARTED),
    ("finish", S.SERVING, lambda **kw: ticket_finish(**kw), S.DONE, EventKind.FINISHED),
    ("hold", S.SERVING, lambda **kw: ticket_hold(**kw, reason="Thiếu giấy"), S.HELD, EventKind.HELD),
    ("resume", S.HELD, lambda **kw: ticket_resume(**kw), S.SERVING, EventKind.RESUMED),
    ("transfer", S.CALLED, lambda groups, **kw: ticket_transfer(**kw, to_group=groups["B"]), S.WAITING,
     EventKind.TRANSFERRED),
    ("dossier", S.SERVING, lambda dossier, **kw: ticket_link_dossier(**kw, dossier=dossier), S.SERVING,
     EventKind.DOSSIER),
]  # fmt: skip


@pytest.mark.parametrize(("name", "before", "step", "after", "kind"), STEPS, ids=[s[0] for s in STEPS])
def test_every_step_writes_exactly_one_event_with_officer_and_counter(
    ward, groups, staff, counter1, name, before, step, after, kind
):
    t = _to_state(ward, staff, counter1, before)
    n = TicketEvent.objects.count()
    kw = {"actor": staff["counter"], "counter": counter1, "ticket": t, "now": NOW + 10 * MIN}
    if name == "transfer":
        kw["groups"] = groups
    if name == "dossier":
        kw["dossier"] = make_dossier(ward, staff["counter"])
    t = step(**kw)
    assert Ticket.objects.get(pk=t.pk).state == after
    assert TicketEvent.objects.count() == n + 1
    ev = TicketEvent.objects.latest("id")
    assert (ev.ticket_id, ev.kind, ev.officer, ev.counter, ev.at) == (
        t.pk, kind, staff["counter"], counter1, NOW + 10 * MIN,
    )  # fmt: skip


# --- Hold and resume ---------------------------------------------------------------------------


def test_a_held_ticket_stays_with_its_counter_which_calls_the_next_and_resumes_it(
    ward, groups, staff, counter1, officer2
):
    officer = staff["counter"]
    t = _to_state(ward, staff, counter1, S.HELD)
    assert (t.state, t.counter) == (S.HELD, counter1)
    assert t.events.get(kind=EventKind.HELD).note == "Đi photo"
    nxt = _issue(ward, "B", now=NOW + 3 * MIN)
    assert counter_call_next(actor=officer, counter=counter1, now=NOW + 4 * MIN).pk == nxt.pk
    other = make_counter(ward, 3, "AB", officer=officer2)
    with pytest.raises(Conflict):  # another counter cannot resume it
        ticket_resume(actor=officer2, counter=other, ticket=t, now=NOW + 5 * MIN)
    with pytest.raises(Conflict) as busy:  # not while the next one is at the counter
        ticket_resume(actor=officer, counter=counter1, ticket=t, now=NOW + 6 * MIN)
    assert busy.value.code == "counter_busy"
    assert busy.value.message == (
        "Quầy số 1 đang phục vụ số B001: hãy hoàn thành, tạm hoãn hoặc chuyển số đó trước."
    )
    ticket_finish(actor=officer, counter=counter1, ticket=nxt, now=NOW + 19 * MIN)
    t = ticket_resume(actor=officer, counter=counter1, ticket=t, now=NOW + 20 * MIN)
    assert (t.state, t.served_at) == (S.SERVING, NOW + MIN)  # service began before the hold


def test_a_hold_reason_is_cleaned_and_at_most_200_characters(ward, groups, staff, counter1):
    officer = staff["counter"]
    t = _to_state(ward, staff, counter1, S.SERVING)
    with pytest.raises(ValidationFailed):
        ticket_hold(actor=officer, counter=counter1, ticket=t, now=NOW, reason="x" * 201)
    assert Ticket.objects.get(pk=t.pk).state == S.SERVING
    t = ticket_hold(actor=officer, counter=counter1, ticket=t, now=NOW, reason=" Thiếu\x00 bản  sao\n ")
    assert t.events.get(kind=EventKind.HELD).note == "Thiếu bản sao"


def test_hold_and_resume_only_from_their_states(ward, groups, staff, counter1):
    officer = staff["counter"]
    waiting = _issue(ward)
    with pytest.raises(Conflict):
        ticket_hold(actor=officer, counter=counter1, ticket=waiting, now=NOW)
    called = counter_call_next(actor=officer, counter=counter1, now=NOW)
    with pytest.raises(Conflict):
        ticket_resume(actor=officer, counter=counter1, ticket=called, now=NOW)
    assert _kinds(called) == ["ISSUED", "CALLED"]


# --- Dossier -----------------------------------------------------------------------------------


def test_linking_a_dossier_serves_the_ticket_and_names_the_code(ward, groups, staff, counter1):
    t = _to_state(ward, staff, counter1, S.CALLED)
    d = make_dossier(ward, staff["counter"])
    t = ticket_link_dossier(actor=staff["counter"], counter=counter1, ticket=t, dossier=d, now=NOW + MIN)
    t.refresh_from_db()
    assert (t.state, t.dossier, t.served_at) == (S.SERVING, d, NOW + MIN)
    assert t.events.get(kind=EventKind.DOSSIER).note == d.code


def test_a_dossier_of_another_commune_is_not_linked(ward, groups, staff, counter1, other_ward):
    t = _to_state(ward, staff, counter1, S.SERVING)
    theirs = make_dossier(other_ward, make_staff(other_ward, prefix="ak_")["counter"])
    with pytest.raises(ValidationFailed):
        ticket_link_dossier(actor=staff["counter"], counter=counter1, ticket=t, dossier=theirs, now=NOW)
    assert Ticket.objects.get(pk=t.pk).dossier is None
    assert EventKind.DOSSIER not in _kinds(t)


# --- Transfer ----------------------------------------------------------------------------------


def test_transfer_to_one_counter_only_that_counter_calls_it(ward, groups, staff, counter1, officer2):
    officer = staff["counter"]
    q3 = make_counter(ward, 3, "A", officer=officer2)
    q4 = make_counter(ward, 4, "A", officer=make_user(ward, Role.COUNTER_OFFICER, "motcua4"))
    t = _to_state(ward, staff, counter1, S.SERVING)
    t = ticket_transfer(actor=officer, counter=counter1, ticket=t, now=NOW + MIN, to_counter=q3)
    assert (t.state, t.queue_group, t.directed_counter, t.counter) == (S.WAITING, groups["A"], q3, None)
    assert t.events.get(kind=EventKind.TRANSFERRED).note == "A → A, quầy số 3"
    q4_officer = q4.officer
    assert counter_call_next(actor=q4_officer, counter=q4, now=NOW + 2 * MIN) is None
    assert counter_call_next(actor=officer, counter=counter1, now=NOW + 2 * MIN) is None
    assert counter_call_next(actor=officer2, counter=q3, now=NOW + 2 * MIN).pk == t.pk


def test_transfer_to_a_group_and_a_counter(ward, groups, staff, counter1, counter2, officer2):
    t = _to_state(ward, staff, counter1, S.CALLED)
    t = ticket_transfer(
        actor=staff["counter"], counter=counter1, ticket=t, now=NOW, to_group=groups["C"], to_counter=counter2
    )
    assert (t.queue_group, t.directed_counter) == (groups["C"], counter2)
    assert counter_call_next(actor=officer2, counter=counter2, now=NOW + MIN).pk == t.pk


def test_bad_transfer_targets_are_refused_and_change_nothing(
    ward, groups, staff, counter1, counter2, other_ward
):
    officer = staff["counter"]
    make_service_groups(other_ward)
    theirs = make_counter(other_ward, 7, "AB")
    closed = make_counter(ward, 8, "A")
    closed.active = False
    closed.save()
    t = _to_state(ward, staff, counter1, S.SERVING)
    bad = [
        {"to_counter": theirs},  # another commune's counter
        {"to_counter": counter2},  # quầy 2 does not serve A
        {"to_group": groups["B"], "to_counter": counter2},  # nor B
        {"to_counter": closed},
        {"to_counter": counter1},  # itself
        {"to_group": groups["A"]},  # the same group
        {"to_group": make_service_groups(other_ward)["C"]},  # another commune's group
        {},
    ]
    for target in bad:
        with pytest.raises(ValidationFailed):
            ticket_transfer(actor=officer, counter=counter1, ticket=t, now=NOW, **target)
    t.refresh_from_db()
    assert (t.state, t.queue_group, t.directed_counter, t.counter) == (S.SERVING, groups["A"], None, counter1)
    assert EventKind.TRANSFERRED not in _kinds(t)


def test_a_held_ticket_may_be_transferred(ward, groups, staff, counter1):
    t = _to_state(ward, staff, counter1, S.HELD)
    t = ticket_transfer(actor=staff["counter"], counter=counter1, ticket=t, now=NOW, to_group=groups["B"])
    assert (t.state, t.queue_group, t.counter) == (S.WAITING, groups["B"], None)


# --- Call-next order: hours, directed, booked --------------------------------------------------


def test_a_counter_does_not_call_a_group_outside_its_hours_but_calls_its_other_groups(
    ward, groups, staff, counter1
):
    CounterHours.objects.create(counter=counter1, group=groups["B"], starts=dt.time(7, 30), ends=dt.time(9))
    ten = NOW.replace(hour=10)
    b = _issue(ward, "B", now=NOW)
    a = _issue(ward, "A", now=NOW + MIN)
    officer = staff["counter"]
    assert counter_call_next(actor=officer, counter=counter1, now=ten).pk == a.pk
    ticket_finish(actor=officer, counter=counter1, ticket=a, now=ten)
    assert counter_call_next(actor=officer, counter=counter1, now=ten + MIN) is None
    assert Ticket.objects.get(pk=b.pk).state == S.WAITING
    # Within the hours (08:30) B is called.
    assert counter_call_next(actor=officer, counter=counter1, now=NOW.replace(minute=30)).pk == b.pk


def test_another_counter_without_hours_calls_the_group_all_day(ward, groups, staff, counter1, officer2):
    CounterHours.objects.create(counter=counter1, group=groups["B"], starts=dt.time(7, 30), ends=dt.time(9))
    q3 = make_counter(ward, 3, "B", officer=officer2)
    b = _issue(ward, "B")
    assert counter_call_next(actor=officer2, counter=q3, now=NOW.replace(hour=15)).pk == b.pk


def test_booked_tickets_come_ahead_of_walk_ins_but_behind_priority(ward, groups, staff, counter1):
    walk = _issue(ward, "A", now=NOW)
    booked = _issue(ward, "A", now=NOW + MIN, booked=True, source=TicketSource.APPOINTMENT)
    prio = _issue(ward, "A", now=NOW + 2 * MIN, priority=True)
    officer = staff["counter"]
    order = []
    for i in range(3):
        order.append((t := counter_call_next(actor=officer, counter=counter1, now=NOW + (5 + i) * MIN)).pk)
        ticket_finish(actor=officer, counter=counter1, ticket=t, now=NOW + (5 + i) * MIN)
    assert order == [prio.pk, booked.pk, walk.pk]
    assert booked.events.get(kind=EventKind.ISSUED).note == "Đặt lịch"


# --- Recall limit ------------------------------------------------------------------------------


def test_the_press_after_the_last_recall_marks_no_show(ward, groups, staff, counter1, settings):
    settings.MOTCUA_QUEUE_MAX_RECALLS = 2
    officer = staff["counter"]
    t = _to_state(ward, staff, counter1, S.CALLED)
    for i in (1, 2):
        t = ticket_recall(actor=officer, counter=counter1, ticket=t, now=NOW + i * MIN)
        assert (t.state, t.recalls) == (S.CALLED, i)
    t = ticket_recall(actor=officer, counter=counter1, ticket=t, now=NOW + 3 * MIN)
    assert (t.state, t.finished_at) == (S.NO_SHOW, NOW + 3 * MIN)
    assert _kinds(t) == ["ISSUED", "CALLED", "RECALLED", "RECALLED", "NO_SHOW"]
    assert t.events.latest("id").note == "Sau 2 lần gọi lại"


# --- The phone's cap ---------------------------------------------------------------------------


def test_a_phone_holds_at_most_the_configured_live_tickets(ward, groups, staff, counter1, settings):
    settings.MOTCUA_QUEUE_PHONE_MAX_LIVE = 2
    h = "a" * 64
    first = _issue(ward, "A", holder=h)
    _issue(ward, "B", holder=h)
    with pytest.raises(Conflict):
        _issue(ward, "C", holder=h)
    assert Ticket.objects.count() == 2
    _issue(ward, "C", holder="b" * 64)  # another phone
    _issue(ward, "C")  # a kiosk's or the API's ticket has no holder
    ticket_leave(ticket=first, now=NOW)  # one no longer live: room for another
    assert _issue(ward, "C", holder=h).number == "C003"
    assert _issue(ward, "A", holder=h, now=NOW + dt.timedelta(days=1)).number == "A001"  # a new day


# --- Sitting at a counter ----------------------------------------------------------------------


def test_an_officer_sits_at_one_counter_at_a_time_and_cannot_take_anothers(
    ward, groups, staff, counter1, counter2, officer2
):
    officer = staff["counter"]
    counter_sit(actor=officer, counter=counter2, now=NOW)
    counter1.refresh_from_db()
    counter2.refresh_from_db()
    assert (counter1.officer, counter2.officer) == (None, officer)
    with pytest.raises(NotAllowed):
        counter_sit(actor=officer2, counter=counter2, now=NOW)
    with pytest.raises(Conflict):
        counter_leave(actor=officer2, counter=counter2)
    counter_leave(actor=officer, counter=counter2)
    counter_sit(actor=officer2, counter=counter2, now=NOW)
    assert Counter.objects.get(pk=counter2.pk).officer == officer2


def test_only_counter_officers_of_the_commune_sit(ward, groups, staff, counter2, other_ward):
    for actor in (staff["leader"], make_staff(other_ward, prefix="ak_")["counter"]):
        with pytest.raises(NotAllowed):
            counter_sit(actor=actor, counter=counter2, now=NOW)
    assert Counter.objects.get(pk=counter2.pk).officer is None


def test_calling_at_a_free_counter_moves_the_officer_there(ward, groups, staff, counter1, counter2):
    _issue(ward, "C")
    counter_call_next(actor=staff["counter"], counter=counter2, now=NOW)
    assert list(Counter.objects.filter(officer=staff["counter"])) == [counter2]
