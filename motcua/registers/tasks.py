"""Background tasks of the register merge (Django's task framework; run by `motcua db_worker`).

The task is the worker's interface: it reads the clock and hands the job to ``worker``, which
never imports this module (``services`` enqueues the task: services → tasks → worker)."""

from __future__ import annotations

from django_tasks import task

from motcua.core import clock

from .worker import merge_job_run


@task()
def merge_job_task(job_id: int) -> None:
    merge_job_run(job_id=job_id, now=clock.now())
