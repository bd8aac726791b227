"""On PostgreSQL: many officers receiving at the same moment get distinct, consecutive codes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.testing import land_procedure, make_commune, make_staff

RECEIPTS = 200


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
                    form_data={}, checklist_ticked=ticked, outcome="receive",
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
