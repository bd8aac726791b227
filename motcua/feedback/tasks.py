"""The feedback deadline timer as a background task (Django's task framework; run by
`motcua db_worker`, which `motcua serve` starts). Each run ticks once and queues the next run an
hour later, so one `motcua feedback tick --enqueue` after installing keeps it going; a cron job or
systemd timer running `motcua feedback tick` works as well (or both: a mark is made only once)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from motcua.core import clock

from .deadlines import feedback_tick

EVERY = dt.timedelta(hours=1)


@task()
def feedback_tick_task() -> dict[str, int]:
    now = clock.now()
    try:
        report = feedback_tick(now)
    finally:
        enqueue_tick(run_after=now + EVERY)
    return {"flagged": len(report.flagged), "escalated": len(report.escalated), "notices": report.notices}


def enqueue_tick(*, run_after: dt.datetime | None = None) -> bool:
    """Queue a run unless one is already waiting (no pile of runs). True when one was queued."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=feedback_tick_task.module_path
    ).exists():
        return False
    if run_after is None:
        feedback_tick_task.enqueue()
    else:
        feedback_tick_task.using(run_after=run_after).enqueue()
    return True
