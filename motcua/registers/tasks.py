"""Background tasks of the register merge (Django's task framework; run by `motcua db_worker`)."""

from __future__ import annotations

from django_tasks import task

from .jobs import merge_job_run


@task()
def merge_job_task(job_id: int) -> None:
    merge_job_run(job_id)
