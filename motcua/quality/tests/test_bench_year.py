"""bench/quality_year.py's generator at a week: the rows it writes in bulk are the rows the services
would write (states consistent with timestamps and the control sheet, codes gap-free with their
sequences, ratings about subjects that exist and were finished), and the sizes it prints are the
rows in the database."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, F, Max, Q

from bench.quality_year import Rates, generate
from motcua.dossiers.models import (
    FINAL_STATES,
    ControlEntry,
    Dossier,
    DossierDocument,
    DossierSequence,
    State,
)
from motcua.feedback.models import FeedbackEvent, FeedbackItem
from motcua.quality.models import Rating
from motcua.queueing.models import Ticket, TicketEvent, TicketSequence, TicketState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 13, 16, 0, tzinfo=TZ)  # a Friday afternoon


@pytest.fixture
def gen():  # type: ignore[no-untyped-def]
    return generate(
        now=NOW,
        days=7,
        other_communes=1,
        other_days=5,
        ward_rates=Rates(tickets_per_day=80, dossiers_per_day=40, feedback_per_day=4),
        other_rates=Rates(tickets_per_day=30, dossiers_per_day=10, feedback_per_day=1),
    )


def test_sizes_printed_are_the_rows_written(gen) -> None:  # type: ignore[no-untyped-def]
    ward, other = gen.ward, gen.others[0]
    for commune, sizes in ((ward, gen.ward_sizes), (other, gen.others_sizes)):
        assert sizes.dossiers == Dossier.objects.filter(commune=commune).count() > 0
        assert sizes.control_entries == ControlEntry.objects.filter(dossier__commune=commune).count()
        assert sizes.documents == DossierDocument.objects.filter(dossier__commune=commune).count()
        assert sizes.tickets == Ticket.objects.filter(commune=commune).count() > 0
        assert sizes.ticket_events == TicketEvent.objects.filter(ticket__commune=commune).count()
        assert sizes.feedback_items == FeedbackItem.objects.filter(commune=commune).count() > 0
        assert sizes.feedback_events == FeedbackEvent.objects.filter(item__commune=commune).count()
        assert sizes.ratings_dossier == Rating.objects.filter(commune=commune, subject="DOSSIER").count() > 0
        assert sizes.ratings_ticket == Rating.objects.filter(commune=commune, subject="TICKET").count() > 0
        mine = Dossier.objects.filter(commune=commune)
        assert sizes.online == mine.filter(channel="ONLINE").count()
        assert sizes.supplemented_once == mine.filter(supplement_count=1).count()
        assert sizes.supplemented_twice == mine.filter(supplement_count__gte=2).count()
        late = mine.filter(state__in=[State.RESULT_READY, State.RETURNED]).filter(
            Q(extended_due_at__isnull=True, finished_at__gt=F("due_at"))
            | Q(finished_at__gt=F("extended_due_at"))
        )
        assert sizes.finished_late == late.count()
        assert sizes.dossier_states == Counter(
            dict(Dossier.objects.filter(commune=commune).values_list("state").annotate(n=Count("id")))
        )
    # A week ending yesterday (Thursday): 5 working days for the ward, 4 for the other ward.
    assert (gen.start, gen.end) == (dt.date(2026, 3, 6), dt.date(2026, 3, 12))
    assert gen.ward_sizes.working_days == 5
    assert not Ticket.objects.filter(day__gt=gen.end).exists()


def test_dossiers_are_consistent_with_their_control_sheet(gen) -> None:  # type: ignore[no-untyped-def]
    dossiers = Dossier.objects.all()
    assert dossiers.count() > 150
    # Every dossier was received; every finished one finished after it was first received.
    assert not dossiers.filter(first_received_at__isnull=True).exists()
    assert not dossiers.filter(finished_at__lt=F("first_received_at")).exists()
    assert not dossiers.filter(returned_at__lt=F("finished_at")).exists()
    finished = [State.RESULT_READY, State.RETURNED, *FINAL_STATES]
    assert not dossiers.filter(state__in=finished, finished_at__isnull=True).exists()
    assert not dossiers.exclude(state__in=finished).filter(finished_at__isnull=False).exists()
    assert not dossiers.filter(state=State.RETURNED, returned_at__isnull=True).exists()
    # The clock: running states have a deadline; waiting for supplementation has none.
    running = [State.RECEIVED, State.IN_PROCESS, State.CONSULTING, State.AWAITING_APPROVAL, State.PENDING_FEE]
    assert not dossiers.filter(state__in=running, due_at__isnull=True).exists()
    assert not dossiers.filter(state=State.SUPPLEMENT_REQUESTED).exclude(due_at__isnull=True).exists()
    assert not dossiers.filter(state=State.PENDING_FEE, paused_at__isnull=True).exists()
    assert not dossiers.filter(extended_due_at__lte=F("due_at")).exists()
    # Nothing happened after now.
    assert not ControlEntry.objects.filter(at__gt=NOW).exists()
    assert not dossiers.filter(Q(finished_at__gt=NOW) | Q(returned_at__gt=NOW)).exists()
    # The mix the brief asks for: on time, late, open, supplemented (some twice), online.
    assert dossiers.filter(supplement_count__gte=1).exists()
    assert dossiers.filter(channel="ONLINE").count() > dossiers.count() * 0.15
    assert dossiers.exclude(state__in=finished).exists()
    late = dossiers.filter(finished_at__gt=F("due_at"), extended_due_at__isnull=True)
    assert 0 < late.count() < dossiers.count() * 0.3

    entries = defaultdict(list)
    for e in ControlEntry.objects.order_by("at", "id"):
        entries[e.dossier_id].append(e)
    for d in dossiers:
        sheet = entries[d.pk]
        assert sheet[0].action == "receive" and sheet[0].at == d.first_received_at, d.code
        assert sheet[-1].to_state == d.state, d.code
        assert [e.from_state for e in sheet[1:]] == [e.to_state for e in sheet[:-1]], d.code
        assert sum(e.action == "request_supplement" for e in sheet) == d.supplement_count, d.code
        for before, after in pairwise(sheet):
            assert before.at < after.at, d.code
            if before.step_due_at is not None:
                assert after.previous_step_on_time == (after.at <= before.step_due_at), d.code
        closing = [
            e.at for e in sheet if e.action in ("resolve_on_spot", "approve", "stop", "refuse", "withdraw")
        ]
        assert closing == ([d.finished_at] if d.finished_at else []), d.code

    # Codes: unique, gap-free per agency and day, the sequence at the last number.
    for seq in DossierSequence.objects.all():
        codes = Dossier.objects.filter(code__startswith=f"{seq.agency_code}-{seq.day:%y%m%d}-")
        numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes.values_list("code", flat=True))
        assert numbers == list(range(1, seq.last + 1))


def test_tickets_and_ratings_are_about_what_exists(gen) -> None:  # type: ignore[no-untyped-def]
    # Every ticket is final (days before today) and its times follow its events.
    assert set(Ticket.objects.values_list("state", flat=True)) <= {
        TicketState.DONE,
        TicketState.NO_SHOW,
        TicketState.LEFT,
    }
    for t in Ticket.objects.filter(state=TicketState.DONE).prefetch_related("events")[:300]:
        kinds = {e.kind: e.at for e in t.events.all()}
        assert (
            kinds["ISSUED"] == t.issued_at <= t.called_at == kinds["CALLED"]
        )  # a free counter calls at once
        assert t.called_at < t.served_at == kinds["STARTED"] < t.finished_at == kinds["FINISHED"]
        assert t.counter_id is not None
    last = Ticket.objects.values("commune", "group", "day").annotate(n=Max("seq"), c=Count("id"))
    seqs = {(s.commune_id, s.group_id, s.day): s.last for s in TicketSequence.objects.all()}
    for row in last:
        assert row["n"] == row["c"] == seqs[(row["commune"], row["group"], row["day"])]

    # Ratings: about a returned dossier or a served ticket of the same commune, made after it.
    for r in Rating.objects.select_related("dossier", "ticket"):
        if r.subject == "DOSSIER":
            assert r.dossier is not None and r.ticket is None
            assert r.dossier.commune_id == r.commune_id and r.dossier.state == State.RETURNED
            assert r.dossier.returned_at <= r.created_at <= NOW
        else:
            assert r.ticket is not None and r.dossier is None
            assert r.ticket.commune_id == r.commune_id and r.ticket.state == TicketState.DONE
            assert r.ticket.finished_at < r.created_at
            assert r.tablet is not None and r.tablet.counter_id == r.ticket.counter_id
        assert 0 <= r.overall <= 2 and set(r.answers.values()) <= {0, 1, 2}
    # About 30 % of the returned dossiers and 20 % of the served tickets (loose bounds at a week).
    returned = Dossier.objects.filter(state=State.RETURNED).count()
    assert 0.15 * returned < Rating.objects.filter(subject="DOSSIER").count() < 0.45 * returned
    served = Ticket.objects.filter(state=TicketState.DONE).count()
    assert 0.12 * served < Rating.objects.filter(subject="TICKET").count() < 0.28 * served

    # Feedback: resolved after received, duplicates point at an earlier item, open ones unresolved.
    items = FeedbackItem.objects.all()
    assert not items.filter(resolved_at__lt=F("received_at")).exists()
    assert not items.filter(state__in=["RESOLVED", "CLOSED"], resolved_at__isnull=True).exists()
    assert not items.filter(state="DUPLICATE", duplicate_of__isnull=True).exists()
    assert not items.filter(duplicate_of__received_at__gt=F("received_at")).exists()
    assert not items.filter(rating__isnull=False).exclude(state__in=["RESOLVED", "CLOSED"]).exists()
