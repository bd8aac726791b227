"""Where a merge job's files live: ``REGISTERS_ROOT/job-<pk>/`` (outside the web root) holds
``input/`` (the registers as uploaded, renamed ``NN-<safe name>``), ``run-<n>/`` (a run's files:
the Excel workbook, records.parquet, stats.json, result.json), ``run-<n>.spec.json`` (what the
child process is asked to do) and ``run.log`` (its stderr).

No database here: the child process (``runner``) imports this module without Django set up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from .models import MergeJob

WORKBOOK_NAME = "danh-sach-hop-nhat.xlsx"
RESULT_NAME = "result.json"


def job_dir(job: MergeJob) -> Path:
    return Path(settings.REGISTERS_ROOT) / f"job-{job.pk}"


def run_dir(job: MergeJob, run_no: int | None = None) -> Path:
    return job_dir(job) / f"run-{run_no if run_no is not None else job.runs}"


def workbook_path(job: MergeJob) -> Path | None:
    """The merged register of the job's last finished run, if there is one."""
    if job.runs == 0:
        return None
    path = run_dir(job) / WORKBOOK_NAME
    return path if path.exists() else None


def safe_name(name: str) -> str:
    """An uploaded file's name as stored: letters, digits, ``-`` and ``_`` only, short."""
    base = Path(name).name
    stem, dot, suffix = base.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem or "register").strip("-")[:60] or "register"
    return f"{stem}.{suffix.lower()}" if dot else stem
