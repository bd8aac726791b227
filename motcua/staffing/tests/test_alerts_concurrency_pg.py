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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_run_one_detection_per_interval(monkeypatch):
    """Eight requests at the same moment (as on several gunicorn workers): the first use creates
    the commune's DetectionMark once, then each round past the interval one conditional UPDATE
    wins — one detection per round, whichever worker runs it."""
    import datetime as dt

    from motcua.core import clock
    from motcua.staffing import alert_views
    from motcua.staffing.models import DetectionMark

    w = hall(waiting=0)
    leader = w["staff"]["leader"]
    runs: list[object] = []
    lock = threading.Lock()

    def counted(*, commune, now):
        with lock:
            runs.append(now)
        return []

    monkeypatch.setattr(alert_views.alerts, "alerts_detect", counted)

    def round_at(moment) -> None:
        barrier = threading.Barrier(DETECTORS)

        def work(_: int) -> None:
            try:
                barrier.wait(timeout=60)
                alert_views._detect(leader)
            finally:
                connections.close_all()

        with clock.pinned(moment), ThreadPoolExecutor(max_workers=DETECTORS) as pool:
            list(pool.map(work, range(DETECTORS)))

    round_at(NOW)
    assert runs == [NOW] and DetectionMark.objects.count() == 1
    round_at(NOW + dt.timedelta(seconds=5))
    assert runs == [NOW]
    later = NOW + dt.timedelta(seconds=20)
    round_at(later)
    assert runs == [NOW, later]
