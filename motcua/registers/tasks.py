"""Background tasks of the register merge (Django's task framework; run by `motcua db_worker`).

The task is the worker's interface: it reads the clock and hands the job to ``worker``, which
never imports this module (``services`` enqueues the task: services → tasks → worker).

- ``merge_job_task``: a run of the merge.
- ``merge_job_files_task``: the files handed out (the Excel workbook, the national export) after
  an application of decisions (``services.merge_job_apply_decisions`` re-clusters in the request
  and leaves these, tens of seconds at a ward's size, to this task). Idempotent and safe to run
  twice at once: ``recluster.write_files`` locks the run's folder, writes the newest state and
  does nothing when the files are already current; a newer run makes it a no-op. When it fails
  (``recluster.write_files`` records why), the job's page says so and offers «Tạo lại tệp»
  (``files_state``); the same when the files stay stale with no task queued or running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django_tasks import task

from motcua.core import clock

from .models import MergeJob
from .recluster import files_failure, files_ready, files_since, write_files
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
    return write_files(folder, now=clock.now(), expected=(job.stats or {}).get("files_generation"))


# A files task queued or running longer than this is taken for lost (the worker died, or was
# killed writing: out of memory); at a ward's size it takes under a minute (docs/performance.md).
FILES_STALL_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class FilesState:
    """The last run's handed-out files as the job's page shows them."""

    ready: bool
    error: str | None = None  # the task failed: why
    stalled: bool = False  # stale, and no task queued or running for a while

    @property
    def can_retry(self) -> bool:
        return not self.ready and (self.error is not None or self.stalled)


def files_state(job: MergeJob, *, now: dt.datetime) -> FilesState:
    if job.runs == 0:
        return FilesState(ready=True)
    folder = run_dir(job)
    if files_ready(folder, expected=(job.stats or {}).get("files_generation")):
        return FilesState(ready=True)
    error = files_failure(folder)
    if error is not None:
        return FilesState(ready=False, error=error)
    since = files_since(folder)
    if since is not None and now.timestamp() - since < FILES_STALL_AFTER.total_seconds():
        return FilesState(ready=False)
    return FilesState(ready=False, stalled=not files_task_pending(job_id=job.pk, run_no=job.runs, now=now))


def files_task_pending(*, job_id: int, run_no: int, now: dt.datetime) -> bool:
    """A files task for the run is queued or running, and not for longer than
    ``FILES_STALL_AFTER`` (django-tasks' database results)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    recent = now - FILES_STALL_AFTER
    results = DBTaskResult.objects.filter(
        task_path=merge_job_files_task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).only("args_kwargs", "status", "enqueued_at", "started_at")
    for result in results:
        if (result.args_kwargs or {}).get("args") != [job_id, run_no]:
            continue
        started = result.started_at if result.status == TaskResultStatus.RUNNING else result.enqueued_at
        if started is not None and started >= recent:
            return True
    return False
