"""The register merge as a background job of the web app: upload → queue → run → review → rerun.

- ``merge_job_create`` stores the uploaded registers in the job's folder (outside the web root)
  and queues the run. It checks what is cheap (extension, size, at least one file); the header,
  encoding and duplicate record_ids are checked by the run's first step, which fails the job
  with every problem listed (the same refusal as the command line).
- ``merge_job_run`` is the body of the task (``tasks.merge_job_task``): the same
  ``registers_merge`` as ``motcua registers merge``, with the reviewers' decisions so far as
  labels, writing step and progress for the bar and a heartbeat; then the run's files (records
  with their person, the Excel workbook) in ``run-<n>/`` and the uncertain pairs in the database.
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
import re
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .export import quality_report, records_view, write_workbook
from .models import JobStatus, MergeJob, RegisterFile, ReviewDecision, ReviewPair
from .services import registers_merge

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
WORKBOOK_NAME = "danh-sach-hop-nhat.xlsx"


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


# --------------------------------------------------------------------------- create / rerun


def merge_job_create(
    *, user: User, title: str, uploads: Sequence[UploadedFile], enqueue: bool = True
) -> MergeJob:
    """``enqueue=False`` leaves the run to the caller (the demo loader runs it at once)."""
    _merge_user(user)
    title = " ".join((title or "").split())
    problems: list[str] = []
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
    if problems:
        raise ValidationFailed("Chưa thể bắt đầu hợp nhất.", details=problems)
    assert user.commune_id is not None
    if not title:
        title = f"Hợp nhất {len(uploads)} danh sách — {clock.now().astimezone().strftime('%d/%m/%Y %H:%M')}"
    with transaction.atomic():
        job = MergeJob.objects.create(
            commune_id=user.commune_id, title=title[:200], created_by=user, step="queued"
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
        locked.save(update_fields=["status", "step", "progress", "error", "heartbeat_at"])
        transaction.on_commit(lambda: _enqueue(locked.pk))
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
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(
            "Ghi lý do cho quyết định.",
            details=["Ví dụ: «Cùng CCCD cũ, cùng hộ» hoặc «Khác cha mẹ, khác năm sinh»."],
        )
    return ReviewDecision.objects.create(
        job=job,
        record_id_l=pair.record_id_l,
        record_id_r=pair.record_id_r,
        is_match=is_match,
        reason=reason[:500],
        decided_by=user,
        match_probability=pair.match_probability,
    )


def pending_decisions(job: MergeJob) -> int:
    return job.decisions.filter(id__gt=job.decisions_applied_upto).count()


# --------------------------------------------------------------------------- the run


def merge_job_run(job_id: int) -> None:
    """Run the merge of ``job_id`` (called by the task worker). Never raises for a bad input:
    the job ends FAILED with the message shown to the data officer."""
    with transaction.atomic():
        job = MergeJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            logger.warning("merge job %s is %s, not queued: not run", job_id, job.status)
            return
        now = clock.now()
        job.status = JobStatus.RUNNING
        job.started_at = now
        job.heartbeat_at = now
        job.finished_at = None
        job.save(update_fields=["status", "started_at", "heartbeat_at", "finished_at"])
    # Inside a caller's transaction (the demo loader) nobody else sees the job until it ends,
    # and a second connection writing the heartbeat would only wait on the caller's locks.
    beat = _Heartbeat(job_id, enabled=not transaction.get_connection().in_atomic_block)
    beat.start()
    try:
        _run(job)
    except DomainError as exc:
        _fail(job_id, exc.message + ("\n" + "\n".join(exc.details) if exc.details else ""))
    except Exception as exc:
        logger.exception("merge job %s failed", job_id)
        _fail(job_id, f"Lỗi khi hợp nhất: {type(exc).__name__}: {exc}"[:2000])
    finally:
        beat.stop()


def _run(job: MergeJob) -> None:
    decisions = latest_decisions(job)
    upto = max((d.pk for d in decisions.values()), default=0)
    labels = [(a, b, d.is_match) for (a, b), d in decisions.items()]
    files = list(job.files.order_by("id"))
    paths = [job_dir(job) / "input" / f.stored_name for f in files]

    def progress(step: str, fraction: float) -> None:
        if step == "done":
            step, fraction = "write", STEP_PROGRESS["write"]
        _set_progress(job.pk, step if step in STEP_LABELS else "link", fraction, detail=step)

    report = registers_merge(paths=paths, labels=labels, progress=progress)
    assert report.result is not None and report.raw is not None and report.normalised is not None
    result = report.result
    run_no = job.runs + 1
    folder = run_dir(job, run_no)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    rows_per_file = _rows_per_file(report.raw, files)
    # Provenance names the file as the officer uploaded it, not as it is stored.
    original = {f.stored_name: f.original_name for f in files}
    raw = report.raw.set_column(
        report.raw.schema.get_field_index("file_name"),
        "file_name",
        pa.array([original.get(n, n) for n in report.raw.column("file_name").to_pylist()], pa.string()),
    )
    codes: set[int] = set()
    if "new_ward_code" in report.normalised.column_names:
        codes = {c for c in report.normalised.column("new_ward_code").to_pylist() if c}
    unit_names = dict(Commune.objects.filter(code__in=codes).values_list("code", "name"))
    records = records_view(raw, report.normalised, result.clusters, unit_names)
    quality = quality_report(records)
    commune_name = job.commune.name
    decided = [
        {
            "decided_at": timezone.localtime(d.decided_at),
            "decided_by": d.decided_by.display_name,
            "record_id_l": d.record_id_l,
            "record_id_r": d.record_id_r,
            "verdict": "Cùng một người" if d.is_match else "Hai người khác nhau",
            "reason": d.reason,
        }
        for d in sorted(decisions.values(), key=lambda d: d.pk)
    ]
    write_workbook(
        out=folder / WORKBOOK_NAME,
        title=job.title,
        commune=commune_name,
        run_no=run_no,
        generated_at=clock.now().astimezone(),
        records=records,
        report=quality,
        decisions=decided,
    )
    pq.write_table(
        raw.append_column("person_id", _person_column(raw, result.clusters)),
        folder / "records.parquet",
    )
    _set_progress(job.pk, "write", 0.97)

    review = result.review_pairs.to_pylist()
    wanted = {p["record_id_l"] for p in review} | {p["record_id_r"] for p in review}
    raw_by_id = {r["record_id"]: r for r in raw.to_pylist() if r["record_id"] in wanted}
    stats = {
        "records": report.records,
        "persons": report.persons,
        "review_pairs": len(review),
        "seconds": round(report.seconds, 1),
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
        "comparisons": result.stats.get("comparisons"),
        "labels_used": len(labels),
        "quality": {k: v for k, v in quality.items() if k != "conflicts"},
        "warnings": result.stats.get("warnings", []),
    }
    (folder / "stats.json").write_text(json.dumps(result.stats, default=str, ensure_ascii=False, indent=1))
    with transaction.atomic():
        ReviewPair.objects.filter(job=job).delete()
        ReviewPair.objects.bulk_create(
            [
                ReviewPair(
                    job=job,
                    rank=i,
                    record_id_l=p["record_id_l"],
                    record_id_r=p["record_id_r"],
                    match_probability=float(p["match_probability"]),
                    match_weight=float(p["match_weight"]),
                    same_person=bool(p["same_person"]),
                    left=_side(p, "l", raw_by_id),
                    right=_side(p, "r", raw_by_id),
                )
                for i, p in enumerate(review, start=1)
            ],
            batch_size=1000,
        )
        for f in files:
            f.rows = rows_per_file.get(f.stored_name, 0)
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
            stats=stats,
        )


def _side(pair: dict[str, Any], side: str, raw_by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One side of a review pair: the record as written (what the clerk typed, with its file and
    line) and as normalised (what the model compared)."""
    suffix = f"_{side}"
    normalised = {
        k[: -len(suffix)]: _jsonable(v)
        for k, v in pair.items()
        if k.endswith(suffix) and k != f"record_id{suffix}"
    }
    raw = raw_by_id.get(pair[f"record_id{suffix}"], {})
    return {"raw": {k: _jsonable(v) for k, v in raw.items()}, "norm": normalised}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _person_column(raw: pa.Table, clusters: pa.Table) -> pa.Array:
    person_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    return pa.array([person_of.get(r) for r in raw.column("record_id").to_pylist()], pa.string())


def _rows_per_file(raw: pa.Table, files: Sequence[RegisterFile]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in raw.column("file_name").to_pylist():
        counts[name] = counts.get(name, 0) + 1
    return {f.stored_name: counts.get(f.stored_name, 0) for f in files}


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
