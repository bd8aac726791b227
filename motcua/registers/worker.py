"""What the task worker does with one merge job (``tasks.merge_job_task`` calls
``merge_job_run``): the parent side of the run.

The same ``registers_merge`` as ``motcua registers merge``, with the reviewers' decisions so far
as labels, runs in a child process (``runner``) that writes the run's files (records with their
person, the Excel workbook) in ``run-<n>/``; the parent writes step and progress for the bar
and a heartbeat, then the uncertain pairs in the database.

One job never holds the worker for long: the parent stops the child at the time limit
(``MOTCUA_MERGE_TIME_LIMIT_SECONDS``, the job FAILED) or within a second of the officer's
``services.merge_job_cancel`` (the job CANCELLED), and the worker takes the next job; spreadsheet
bombs are refused in seconds by ``io`` before anything big is read, at upload and in the run.

``now`` (the moment the worker starts the job) is passed in by the task; the heartbeat and the
end of the run are stamped with ``motcua.core.clock`` as the run goes (the run is the worker's
own loop, minutes long). This module never imports ``services`` or ``tasks``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from motcua.core import clock
from motcua.geo.models import Commune

from .io import limits_from_settings
from .models import JobStatus, MergeJob, RegisterFile, ReviewPair
from .selectors import STEP_LABELS, latest_decisions
from .storage import job_dir, run_dir

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
STEP_PROGRESS = {"read": 0.02, "normalise": 0.1, "link": 0.3, "write": 0.85, "done": 1.0}
# The child process that does the run's work (tests replace it with one that hangs).
CHILD_ARGV = [sys.executable, "-m", "motcua.registers.runner"]
# How often the parent looks at the cancel flag and the clock while the child works.
POLL_SECONDS = 0.5
# After SIGTERM, the child has this long to stop before it is killed.
STOP_GRACE_SECONDS = 5


def merge_job_run(*, job_id: int, now: dt.datetime) -> None:
    """Run the merge of ``job_id`` (called by the task worker; ``now``: when it starts). Never
    raises for a bad input: the job ends FAILED with the message shown to the data officer, or
    CANCELLED."""
    with transaction.atomic():
        job = MergeJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            logger.warning("merge job %s is %s, not queued: not run", job_id, job.status)
            return
        job.status = JobStatus.RUNNING
        job.step = "start"
        job.started_at = now
        job.heartbeat_at = now
        job.finished_at = None
        job.save(update_fields=["status", "step", "started_at", "heartbeat_at", "finished_at"])
    # Inside a caller's transaction (the demo loader) nobody else sees the job until it ends,
    # and a second connection writing the heartbeat would only wait on the caller's locks.
    beat = _Heartbeat(job_id, enabled=not transaction.get_connection().in_atomic_block)
    beat.start()
    try:
        _run(job, now)
    except Exception as exc:
        logger.exception("merge job %s failed", job_id)
        _fail(job_id, f"Lỗi khi hợp nhất: {type(exc).__name__}: {exc}"[:2000])
    finally:
        beat.stop()


class _Outcome:
    """What the child said: its progress went to the bar; this keeps the end."""

    def __init__(self) -> None:
        self.result: Path | None = None
        self.refused: str | None = None


def _run(job: MergeJob, now: dt.datetime) -> None:
    decisions = latest_decisions(job)
    upto = max((d.pk for d in decisions.values()), default=0)
    files = list(job.files.order_by("id"))
    run_no = job.runs + 1
    folder = run_dir(job, run_no)
    if folder.exists():
        shutil.rmtree(folder)
    spec = {
        "paths": [str(job_dir(job) / "input" / f.stored_name) for f in files],
        "labels": [(a, b, d.is_match) for (a, b), d in decisions.items()],
        "limits": asdict(limits_from_settings()),
        "out_dir": str(folder),
        "title": job.title,
        "commune": job.commune.name,
        "run_no": run_no,
        "now": now.isoformat(),
        "generated_at": timezone.localtime(now).replace(tzinfo=None).isoformat(),
        "original_names": {f.stored_name: f.original_name for f in files},
        "unit_names": dict(Commune.objects.values_list("code", "name")),
        "decisions": [
            {
                "decided_at": timezone.localtime(d.decided_at).strftime("%d/%m/%Y %H:%M"),
                "decided_by": d.decided_by.display_name,
                "record_id_l": d.record_id_l,
                "record_id_r": d.record_id_r,
                "verdict": "Cùng một người" if d.is_match else "Hai người khác nhau",
                "reason": d.reason,
            }
            for d in sorted(decisions.values(), key=lambda d: d.pk)
        ],
    }
    spec_path = job_dir(job) / f"run-{run_no}.spec.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    outcome = _supervise(job, spec_path)
    if outcome is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    if outcome.refused is not None:
        shutil.rmtree(folder, ignore_errors=True)
        _fail(job.pk, outcome.refused)
        return
    assert outcome.result is not None
    result = json.loads(outcome.result.read_text(encoding="utf-8"))
    with transaction.atomic():
        # A cancel that arrived after the child's last line, or a job cancelled as stale while
        # this worker was paused, is the officer's word: the result is dropped, not stored as DONE.
        current = (
            MergeJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("status", "cancel_requested_at")
        )
        status, cancel_requested_at = current.get()
        dropped = status != JobStatus.RUNNING or cancel_requested_at is not None
        if dropped and status == JobStatus.RUNNING:
            _end(job.pk, JobStatus.CANCELLED, "")
        if not dropped:
            _store(job, files, result, run_no=run_no, upto=upto)
    if dropped:
        shutil.rmtree(folder, ignore_errors=True)


def _store(
    job: MergeJob, files: list[RegisterFile], result: dict[str, Any], *, run_no: int, upto: int
) -> None:
    """The finished run's review pairs, row counts and statistics; the job DONE."""
    ReviewPair.objects.filter(job=job).delete()
    ReviewPair.objects.bulk_create(
        [ReviewPair(job=job, rank=i, **p) for i, p in enumerate(result["review_pairs"], start=1)],
        batch_size=1000,
    )
    for f in files:
        f.rows = result["rows_per_file"].get(f.stored_name, 0)
    RegisterFile.objects.bulk_update(files, ["rows"])
    ended = clock.now()
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        step="done",
        progress=1.0,
        runs=run_no,
        decisions_applied_upto=upto,
        finished_at=ended,
        heartbeat_at=ended,
        error="",
        stats=result["stats"],
    )


def _supervise(job: MergeJob, spec_path: Path) -> _Outcome | None:
    """Run the child on the spec and follow it: its progress to the bar; stopped at the time
    limit (FAILED) or on cancel (CANCELLED), returning None then. The child's stderr is kept
    in the job's folder (``run.log``)."""
    limit = settings.MOTCUA_MERGE_TIME_LIMIT_SECONDS
    deadline = time.monotonic() + limit
    outcome = _Outcome()
    log_path = job_dir(job) / "run.log"
    with log_path.open("ab") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*CHILD_ARGV, str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        assert child.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True)
        reader.start()
        try:
            while True:
                try:
                    line = lines.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    line = b""
                if line is None:
                    break
                if line:
                    _heard(job.pk, line, outcome)
                if _cancel_requested(job.pk):
                    _stop(child)
                    _end(job.pk, JobStatus.CANCELLED, "")
                    return None
                if time.monotonic() > deadline:
                    _stop(child)
                    _end(
                        job.pk,
                        JobStatus.FAILED,
                        f"Đợt hợp nhất chạy quá thời gian cho phép ({_duration(limit)}) nên đã bị dừng để "
                        "các đợt khác không phải chờ. Hãy chia danh sách thành các tệp nhỏ hơn, hoặc nhờ "
                        "người quản trị tăng MOTCUA_MERGE_TIME_LIMIT_SECONDS.",
                    )
                    return None
            code = child.wait()
        finally:
            if child.poll() is None:  # pragma: no cover - only when the parent itself fails
                _stop(child)
            reader.join(timeout=5)
    if outcome.result is None and outcome.refused is None:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"tiến trình hợp nhất dừng bất thường (mã {code}){': ' + tail[0] if tail else ''}")
    return outcome


def _read_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _heard(job_id: int, line: bytes, outcome: _Outcome) -> None:
    try:
        message = json.loads(line)
    except ValueError:
        logger.warning("merge job %s: unexpected output %r", job_id, line[:200])
        return
    if "progress" in message:
        step, fraction = message["progress"]
        if step == "done":
            step, fraction = "write", STEP_PROGRESS["write"]
        _set_progress(job_id, step if step in STEP_LABELS else "link", fraction, detail=step)
    elif "result" in message:
        outcome.result = Path(message["result"])
    elif "refused" in message:
        details = message.get("details") or []
        outcome.refused = message["refused"] + ("\n" + "\n".join(details) if details else "")


def _cancel_requested(job_id: int) -> bool:
    return MergeJob.objects.filter(pk=job_id, cancel_requested_at__isnull=False).exists()


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _end(job_id: int, status: str, message: str) -> None:
    """A stopped run: the status and, unless ``message`` is empty, the message (a cancel keeps
    the one ``merge_job_cancel`` wrote: who and when)."""
    fields: dict[str, Any] = {"status": status, "finished_at": clock.now(), "heartbeat_at": clock.now()}
    if message:
        fields["error"] = message
    MergeJob.objects.filter(pk=job_id).update(**fields)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} giờ"
    if seconds % 60 == 0:
        return f"{seconds // 60} phút"
    return f"{seconds} giây"


def _set_progress(job_id: int, step: str, progress: float, *, detail: str = "") -> None:
    # The stages of the link step have their own label ("link.training"…).
    step = detail if detail in STEP_LABELS else step
    MergeJob.objects.filter(pk=job_id).update(step=step, progress=progress, heartbeat_at=clock.now())


def _fail(job_id: int, message: str) -> None:
    MergeJob.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=message, finished_at=clock.now(), heartbeat_at=clock.now()
    )


class _Heartbeat:
    """Writes the job's heartbeat every few seconds from a thread while the run works (the link
    step can take minutes without reporting)."""

    def __init__(self, job_id: int, *, enabled: bool = True) -> None:
        self.job_id = job_id
        self.enabled = enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"merge-job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        if self.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join(timeout=10)

    def _beat(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    MergeJob.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
                        heartbeat_at=clock.now()
                    )
                except DatabaseError:
                    # A busy database delays a heartbeat; the run itself must not suffer for it.
                    logger.warning("merge job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connection.close()
