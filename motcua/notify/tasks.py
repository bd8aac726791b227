"""The outbox's background task (Django's task framework; run by `motcua db_worker`, which
`motcua serve` starts). `notify()` enqueues it when its transaction commits; a run sends what is
due and enqueues the next run: at once while more are due, else at the next retry's time."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from motcua.core import clock

from .sending import due_count, next_due_at, send_due

BATCH = 100


@task()
def send_due_task() -> int:
    now = clock.now()
    report = send_due(now=now, limit=BATCH)
    if due_count(now=now):
        enqueue_send()
    else:
        later = next_due_at()
        if later is not None:
            enqueue_send(run_after=later)
    return report.handled


def enqueue_send(*, run_after: dt.datetime | None = None) -> None:
    """Queue a run unless one already waits that would run by then (no pile of idle runs)."""
    from django.db.models import Q
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    target = run_after or clock.now()
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=send_due_task.module_path
    ).filter(Q(run_after=get_date_max()) | Q(run_after__lte=target))
    if waiting.exists():
        return
    if run_after is None:
        send_due_task.enqueue()
    else:
        send_due_task.using(run_after=run_after).enqueue()
