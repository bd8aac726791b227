"""On PostgreSQL: two administrators applying two previews of the same catalogue at the same
moment — one is applied, the other is refused as stale (never both, silently overwriting)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from motcua.catalog.models import CatalogueImport, Procedure
from motcua.catalog.services import catalog_import_apply, catalog_import_preview, catalog_load_starter
from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
from motcua.core import clock
from motcua.core.errors import Conflict

ROUNDS = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_applies_of_two_previews_apply_one():
    catalog_load_starter()
    for round_ in range(ROUNDS):
        pending = []
        for fee in (1000 + round_, 2000 + round_):
            row = [*GOOD]
            row[8] = fee
            imp, _ = catalog_import_preview(
                actor=None,
                file=workbook_bytes([row]),
                filename=f"{fee}.xlsx",
                source=CatalogueImport.Source.COMMAND_LINE,
                now=clock.now(),
            )
            pending.append(imp.pk)
        barrier = threading.Barrier(2)

        def work(import_id: object, barrier: threading.Barrier = barrier) -> str:
            try:
                barrier.wait(timeout=30)
                catalog_import_apply(actor=None, import_id=import_id, now=clock.now())
                return "applied"
            except Conflict as exc:
                return exc.code
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(work, pending))
        assert outcomes == ["applied", "stale_preview"]
        applied = CatalogueImport.objects.get(status=CatalogueImport.Status.APPLIED, pk__in=pending)
        assert Procedure.objects.get(code="9.000001").fee_vnd == int(applied.filename.split(".")[0])
