"""Background tasks of the register merge (Django's task framework; run by `motcua db_worker`).

The task is the worker's interface: it reads the clock and hands the job to ``worker``, which
never imports this module (``services`` enqueues the task: services → tasks → worker).

- ``merge_job_task``: a run of the merge.
- ``merge_job_files_task``: the files handed out (the Excel workbook, the national export) after
  an application of decisions (``services.merge_job_apply_decisions`` re-clusters in the request
  and leaves these, tens of seconds at a ward's size, to this task). Idempotent and safe to run
  twice at once: ``recluster.write_files`` locks the run's folder, writes the newest state and
  does nothing when the files are already current; a newer run makes it a no-op.
"""

from __future__ import annotations

from django_tasks import task

from motcua.core import clock

from .models import MergeJob
from .recluster import write_files
from .storage import run_dir
from .worker import merge_job_run


@task()
def merge_job_task(job_id: int) -> None:
    merge_job_run(job_id=job_id, now=clock.now())


@task()
def merge_job_files_task(job_id: int, run_no: int) -> None:
    merge_job_files(job_id=job_id, run_no=run_no)


def merge_job_files(*, job_id: int, run_no: int) -> int | None:
    """Write the files of ``run_no`` of the job if they are stale (None: nothing to do)."""
    job = MergeJob.objects.filter(pk=job_id).first()
    if job is None or job.runs != run_no:
        return None  # the job is gone, or a newer run wrote its own files
    folder = run_dir(job, run_no)
    if not folder.is_dir():
        return None
    return write_files(folder, now=clock.now())
