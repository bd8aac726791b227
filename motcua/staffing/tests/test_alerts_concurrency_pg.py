"""On PostgreSQL: detectors running at the same moment (two leaders' pages, the officers' banners,
the timer) write one open alert per group, and none of them fails."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from motcua.staffing.alerts import alerts_detect
from motcua.staffing.models import Alert, AlertState

from .test_alerts import NOW, hall

DETECTORS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_detectors_write_one_alert():
    w = hall()
    barrier = threading.Barrier(DETECTORS)

    def work(_: int) -> list[int]:
        try:
            barrier.wait(timeout=60)
            return [a.pk for a in alerts_detect(commune=w["commune"], now=NOW)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=DETECTORS) as pool:
        seen = list(pool.map(work, range(DETECTORS)))

    alerts = list(Alert.objects.all())
    assert len(alerts) == 1 and alerts[0].state == AlertState.OPEN
    assert all(ids == [alerts[0].pk] for ids in seen), seen
