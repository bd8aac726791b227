"""The register merge as a background job of the web app: upload → queue → run → review → rerun.

- ``merge_job_create`` stores the uploaded registers in the job's folder (outside the web root)
  and queues the run. It checks what is cheap (extension, size, at least one file); the header,
  encoding and duplicate record_ids are checked by the run's first step, which fails the job
  with every problem listed (the same refusal as the command line).
- ``merge_job_run`` is the body of the task (``tasks.merge_job_task``): the same
  ``registers_merge`` as ``motcua registers merge``, with the reviewers' decisions so far as
  labels, run in a child process (``runner``) that writes the run's files (records with their
  person, the Excel workbook) in ``run-<n>/``; the parent writes step and progress for the bar
  and a heartbeat, then the uncertain pairs in the database.
- One job never holds the worker for long: the parent stops the child at the time limit
  (``MOTCUA_MERGE_TIME_LIMIT_SECONDS``, the job FAILED) or within a second of the officer's
  ``merge_job_cancel`` (the job CANCELLED), and the worker takes the next job; spreadsheet bombs
  are refused in seconds by ``io`` before anything big is read, at upload and in the run.
- ``review_decide`` records an accept/reject with its reason (append-only audit trail).
- ``merge_job_rerun`` queues a new run that applies the decisions made since the last one.

Who: a commune's data officer (Cán bộ quản lý dữ liệu), its leaders and administrators; each
sees only the jobs of their own commune.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .io import check_upload, limits_from_settings
from .models import JobStatus, MergeJob, RegisterFile, ReviewDecision, ReviewPair
from .runner import WORKBOOK_NAME

logger = logging.getLogger(__name__)

MERGE_ROLES = (Role.DATA_OFFICER, Role.COMMUNE_LEADER, Role.ADMIN)
ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_FILES = 20
HEARTBEAT_SECONDS = 5
# A RUNNING job silent for this long has lost its worker.
STALE_AFTER = dt.timedelta(seconds=60)
# The bar: where each step of registers_merge starts (the link step is the long one).
STEP_LABELS = {
    "queued": "Đang chờ tiến trình nền",
    "start": "Bắt đầu chạy",
    "read": "Đọc các tệp danh sách",
    "normalise": "Chuẩn hoá họ tên, ngày sinh, CCCD, địa chỉ",
    "link": "So khớp bản ghi (mô hình xác suất)",
    "link.blocking": "So khớp bản ghi: chọn các cặp cần so sánh",
    "link.training": "So khớp bản ghi: ước lượng mô hình",
    "link.scoring": "So khớp bản ghi: chấm điểm từng cặp",
    "link.clustering": "So khớp bản ghi: gom bản ghi thành người",
    "write": "Ghi danh sách hợp nhất và báo cáo chất lượng",
    "done": "Đã xong",
}
STEP_PROGRESS = {"read": 0.02, "normalise": 0.1, "link": 0.3, "write": 0.85, "done": 1.0}
TITLE_MAX = 200
REASON_MAX = 500
# The child process that does the run's work (tests replace it with one that hangs).
CHILD_ARGV = [sys.executable, "-m", "motcua.registers.runner"]
# How often the parent looks at the cancel flag and the clock while the child works.
POLL_SECONDS = 0.5
# After SIGTERM, the child has this long to stop before it is killed.
STOP_GRACE_SECONDS = 5
# A job queued this long while no task runs: the background worker is not running.
WORKER_SILENT_AFTER = dt.timedelta(seconds=20)


# --------------------------------------------------------------------------- access


def _merge_user(user: User) -> User:
    if not user.has_role(*MERGE_ROLES) or user.commune_id is None:
        raise NotAllowed("Chức năng hợp nhất danh sách dành cho cán bộ quản lý dữ liệu của xã, phường.")
    return user


def jobs_visible_to(user: User) -> QuerySet[MergeJob]:
    _merge_user(user)
    assert user.commune_id is not None
    return MergeJob.objects.filter(commune_id=user.commune_id)


def job_get_for(*, user: User, pk: int) -> MergeJob:
    job = jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    return job


def job_dir(job: MergeJob) -> Path:
    return Path(settings.REGISTERS_ROOT) / f"job-{job.pk}"


def run_dir(job: MergeJob, run_no: int | None = None) -> Path:
    return job_dir(job) / f"run-{run_no if run_no is not None else job.runs}"


def workbook_path(job: MergeJob) -> Path | None:
    if job.runs == 0:
        return None
    path = run_dir(job) / WORKBOOK_NAME
    return path if path.exists() else None


def is_stale(job: MergeJob, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    return job.status == JobStatus.RUNNING and (
        job.heartbeat_at is None or now - job.heartbeat_at > STALE_AFTER
    )


def queue_state(job: MergeJob, now: dt.datetime) -> str | None:
    """Why a queued job is still waiting, in words for the officer: ``"worker_down"`` when it
    has waited longer than the worker's polling would explain and no task is running (the
    worker polls every second; ``motcua serve`` starts it), ``"behind"`` when another merge is
    running (the worker runs one at a time), None otherwise."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if job.status != JobStatus.QUEUED:
        return None
    since = job.queued_at or job.created_at
    running_job = MergeJob.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__gte=now - STALE_AFTER
    ).exclude(pk=job.pk)
    if running_job.exists() or DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists():
        return "behind"
    if since is not None and now - since > WORKER_SILENT_AFTER:
        return "worker_down"
    return None


# --------------------------------------------------------------------------- create / rerun


def merge_job_create(
    *, user: User, title: str, uploads: Sequence[UploadedFile], enqueue: bool = True
) -> MergeJob:
    """``enqueue=False`` leaves the run to the caller (the demo loader runs it at once)."""
    _merge_user(user)
    problems: list[str] = []
    title = " ".join(clean_text(title).split())
    if len(title) > TITLE_MAX:
        problems.append(f"Tên đợt hợp nhất dài {len(title)} ký tự; tối đa {TITLE_MAX} ký tự.")
    limits = limits_from_settings()
    if not uploads:
        problems.append("Chọn ít nhất một tệp danh sách (CSV UTF-8 hoặc Excel .xlsx).")
    if len(uploads) > MAX_FILES:
        problems.append(f"Tối đa {MAX_FILES} tệp trong một đợt.")
    names = set()
    for up in uploads:
        name = up.name or ""
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            problems.append(f"{name}: chỉ nhận tệp .csv (UTF-8) hoặc .xlsx.")
        if up.size is not None and up.size > settings.MOTCUA_MAX_REGISTER_BYTES:
            limit = settings.MOTCUA_MAX_REGISTER_BYTES // (1024 * 1024)
            problems.append(f"{name}: tệp lớn hơn {limit} MB.")
        if not up.size:
            problems.append(f"{name}: tệp rỗng.")
        if name in names:
            problems.append(f"{name}: tệp được chọn hai lần.")
        names.add(name)
        if (
            up.size
            and name.lower().endswith(ALLOWED_SUFFIXES)
            and up.size <= settings.MOTCUA_MAX_REGISTER_BYTES
        ):
            # The caps a file is checked against in a second (a spreadsheet bomb is refused here).
            problems.extend(check_upload(up, name, limits))
    if problems:
        raise ValidationFailed("Chưa thể bắt đầu hợp nhất.", details=problems)
    assert user.commune_id is not None
    if not title:
        title = f"Hợp nhất {len(uploads)} danh sách — {clock.now().astimezone().strftime('%d/%m/%Y %H:%M')}"
    with transaction.atomic():
        job = MergeJob.objects.create(
            commune_id=user.commune_id, title=title, created_by=user, step="queued", queued_at=clock.now()
        )
        folder = job_dir(job) / "input"
        folder.mkdir(parents=True, exist_ok=True)
        for i, up in enumerate(uploads, start=1):
            stored = f"{i:02d}-{_safe_name(up.name or 'register')}"
            digest = hashlib.sha256()
            with (folder / stored).open("wb") as f:
                for chunk in up.chunks():
                    digest.update(chunk)
                    f.write(chunk)
            RegisterFile.objects.create(
                job=job,
                original_name=(up.name or "")[:255],
                stored_name=stored,
                size=up.size or 0,
                sha256=digest.hexdigest(),
            )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def merge_job_rerun(*, user: User, job: MergeJob) -> MergeJob:
    """Queue a run that applies every decision so far (and learns from them)."""
    _merge_user(user)
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        if locked.is_active and not is_stale(locked):
            raise Conflict("Đợt hợp nhất đang chạy; hãy chờ lần chạy này xong.")
        locked.status = JobStatus.QUEUED
        locked.step = "queued"
        locked.progress = 0.0
        locked.error = ""
        locked.heartbeat_at = None
        # The elapsed time counts from when the worker starts this run, not from the last one.
        locked.started_at = None
        locked.finished_at = None
        locked.queued_at = clock.now()
        locked.cancel_requested_at = None
        locked.save(
            update_fields=[
                "status",
                "step",
                "progress",
                "error",
                "heartbeat_at",
                "started_at",
                "finished_at",
                "queued_at",
                "cancel_requested_at",
            ]
        )
        transaction.on_commit(lambda: _enqueue(locked.pk))
    return locked


def merge_job_cancel(*, user: User, job: MergeJob) -> MergeJob:
    """Stop a queued or running job. A queued one is cancelled at once (the worker will skip
    it); a running one is flagged and its run stops within a second (``merge_job_run`` watches
    the flag); one whose worker is gone (stale) is cancelled at once."""
    _merge_user(user)
    if job.commune_id != user.commune_id:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    now = clock.now()
    message = f"Đã huỷ theo yêu cầu của {user.display_name} lúc {timezone.localtime(now):%H:%M %d/%m/%Y}."
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        if not locked.is_active:
            raise Conflict("Đợt hợp nhất không còn chạy, không cần huỷ.")
        locked.cancel_requested_at = now
        fields = ["cancel_requested_at"]
        if locked.status == JobStatus.QUEUED or is_stale(locked, now):
            locked.status = JobStatus.CANCELLED
            locked.error = message
            locked.finished_at = now
            fields += ["status", "error", "finished_at"]
        else:
            locked.error = message  # shown once the run has stopped
            fields.append("error")
        locked.save(update_fields=fields)
    return locked


def _enqueue(job_id: int) -> None:
    from .tasks import merge_job_task

    merge_job_task.enqueue(job_id)


def _safe_name(name: str) -> str:
    base = Path(name).name
    stem, dot, suffix = base.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem or "register").strip("-")[:60] or "register"
    return f"{stem}.{suffix.lower()}" if dot else stem


# --------------------------------------------------------------------------- decisions


def latest_decisions(job: MergeJob) -> dict[tuple[str, str], ReviewDecision]:
    """The decision that counts for each pair: the latest."""
    out: dict[tuple[str, str], ReviewDecision] = {}
    for d in job.decisions.order_by("id"):
        out[(d.record_id_l, d.record_id_r)] = d
    return out


def review_decide(*, user: User, job: MergeJob, pair_id: int, is_match: bool, reason: str) -> ReviewDecision:
    _merge_user(user)
    if job.commune_id != user.commune_id:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    pair = ReviewPair.objects.filter(job=job, pk=pair_id).first()
    if pair is None:
        raise NotFound("Không tìm thấy cặp bản ghi cần rà soát.")
    reason = " ".join(clean_text(reason).split())
    if not reason:
        raise ValidationFailed(
            "Ghi lý do cho quyết định.",
            details=["Ví dụ: «Cùng CCCD cũ, cùng hộ» hoặc «Khác cha mẹ, khác năm sinh»."],
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"Lý do dài {len(reason)} ký tự; tối đa {REASON_MAX} ký tự.",
            details=[f"Rút gọn lý do còn tối đa {REASON_MAX} ký tự."],
        )
    return ReviewDecision.objects.create(
        job=job,
        record_id_l=pair.record_id_l,
        record_id_r=pair.record_id_r,
        is_match=is_match,
        reason=reason,
        decided_by=user,
        match_probability=pair.match_probability,
    )


def pending_decisions(job: MergeJob) -> int:
    return job.decisions.filter(id__gt=job.decisions_applied_upto).count()


# --------------------------------------------------------------------------- the run


def merge_job_run(job_id: int) -> None:
    """Run the merge of ``job_id`` (called by the task worker). Never raises for a bad input:
    the job ends FAILED with the message shown to the data officer, or CANCELLED."""
    with transaction.atomic():
        job = MergeJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            logger.warning("merge job %s is %s, not queued: not run", job_id, job.status)
            return
        now = clock.now()
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
        _run(job)
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


def _run(job: MergeJob) -> None:
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
        "generated_at": timezone.localtime(clock.now()).replace(tzinfo=None).isoformat(),
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
        ReviewPair.objects.filter(job=job).delete()
        ReviewPair.objects.bulk_create(
            [ReviewPair(job=job, rank=i, **p) for i, p in enumerate(result["review_pairs"], start=1)],
            batch_size=1000,
        )
        for f in files:
            f.rows = result["rows_per_file"].get(f.stored_name, 0)
        RegisterFile.objects.bulk_update(files, ["rows"])
        MergeJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            step="done",
            progress=1.0,
            runs=run_no,
            decisions_applied_upto=upto,
            finished_at=clock.now(),
            heartbeat_at=clock.now(),
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
