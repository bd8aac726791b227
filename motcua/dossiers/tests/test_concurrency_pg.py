"""On PostgreSQL: many officers receiving at the same moment, and residents sending online
dossiers at that moment too (an online dossier takes its code when sent), get distinct,
consecutive codes."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from motcua.core.errors import DomainError
from motcua.dossiers.models import Channel, Dossier, State
from motcua.dossiers.services import Applicant, dossier_create_draft, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.testing import land_procedure, make_commune, make_staff

RECEIPTS = 200
NOW = dt.datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_receipts_get_distinct_consecutive_codes():
    ward = make_commune()
    staff = make_staff(ward)
    land = land_procedure()
    ticked = [i.id for i in land.checklist.all()]
    with connection.cursor() as cur:
        cur.execute("SHOW max_connections")
        max_conn = int(cur.fetchone()[0])
    threads = min(RECEIPTS, max_conn - 10)
    barrier = threading.Barrier(threads)
    per_thread = [RECEIPTS // threads + (1 if i < RECEIPTS % threads else 0) for i in range(threads)]

    def work(count: int) -> list[str]:
        try:
            barrier.wait(timeout=60)
            return [
                dossier_intake(
                    actor=staff["counter"], procedure=land, applicant=Applicant(name="Lê Văn Tám", phone="0905000000"),
                    form_data={}, checklist_ticked=ticked, outcome="receive", now=NOW,
                ).code
                for _ in range(count)
            ]  # fmt: skip
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = [c for batch in pool.map(work, per_thread) for c in batch]

    assert len(codes) == RECEIPTS and len(set(codes)) == RECEIPTS
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, RECEIPTS + 1)), "no gaps, no repeats"
    assert Dossier.objects.count() == RECEIPTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_online_submissions_and_counter_receipts_at_once_share_one_gap_free_sequence():
    """Threads alternate: a resident sends an online dossier (its code now), an officer receives
    a walk-in, an officer receives an online dossier sent earlier (it keeps its code, takes no
    new number). Every code distinct, numbers 1..N with no gap."""
    ward = make_commune()
    staff = make_staff(ward)
    land = land_procedure()
    ticked = [i.id for i in land.checklist.all()]
    applicant = Applicant(name="Lê Văn Tám", phone="0905000000")
    earlier = [
        dossier_create_draft(commune=ward, procedure=land, applicant=applicant, form_data={},
                             channel=Channel.ONLINE, now=NOW)
        for _ in range(20)
    ]  # fmt: skip
    earlier_codes = {d.code for d in earlier}
    with connection.cursor() as cur:
        cur.execute("SHOW max_connections")
        max_conn = int(cur.fetchone()[0])
    threads = min(60, max_conn - 10)
    barrier = threading.Barrier(threads)
    per_thread = 3

    def work(i: int) -> list[str]:
        try:
            barrier.wait(timeout=60)
            codes = []
            for j in range(per_thread):
                if (i + j) % 3 == 0:
                    code = dossier_create_draft(
                        commune=ward, procedure=land, applicant=applicant, form_data={}, channel=Channel.ONLINE,
                        now=NOW,
                    ).code  # fmt: skip
                elif (i + j) % 3 == 1:
                    code = dossier_intake(
                        actor=staff["counter"], procedure=land, applicant=applicant, form_data={},
                        checklist_ticked=ticked, outcome="receive", now=NOW,
                    ).code  # fmt: skip
                else:
                    sent = earlier[(i * per_thread + j) % len(earlier)]
                    try:
                        received = dossier_apply(dossier=sent, action=Action.RECEIVE, actor=staff["counter"], now=NOW,
                                                 data={"checklist_ticked": ticked})  # fmt: skip
                    except DomainError as exc:  # another thread received it first
                        assert exc.code == "invalid_transition"
                        continue
                    assert received.code == sent.code
                    continue
                codes.append(code)
            return codes
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = [c for batch in pool.map(work, range(threads)) for c in batch]

    all_codes = earlier_codes | set(codes)
    assert len(codes) + len(earlier_codes) == len(all_codes), "no repeats"
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in all_codes)
    assert numbers == list(range(1, len(all_codes) + 1)), "no gaps"
    assert Dossier.objects.count() == len(all_codes)
    assert set(Dossier.objects.values_list("code", flat=True)) == all_codes
    received = Dossier.objects.filter(code__in=earlier_codes, state=State.RECEIVED).count()
    assert received == len(earlier)  # every online dossier sent earlier was received, code kept
