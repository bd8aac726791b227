"""Writes on merge jobs: upload → queue, rerun, cancel, review decisions. Keyword-only; ``now``
is passed in by the interface (``motcua.core.clock``).

- ``merge_job_create`` stores the uploaded registers in the job's folder (outside the web root,
  ``storage``) and queues the run. It checks what is cheap (extension, size, at least one file,
  the caps of ``io`` — a spreadsheet bomb is refused here in seconds); the header, encoding and
  duplicate record_ids are checked by the run's first step, which fails the job with every
  problem listed (the same refusal as the command line).
- ``merge_job_rerun`` queues a new run that applies the decisions made since the last one.
- ``merge_job_apply_decisions`` applies the decisions made since the last run at once, without
  a run: the run's stored edges cut again with them (``recluster``), in seconds.
- ``merge_job_cancel`` stops a queued or running job (the worker, ``worker.merge_job_run``,
  watches the flag).
- ``review_decide`` records an accept/reject with its reason (append-only audit trail).

The run itself is the worker's (``tasks.merge_job_task`` → ``worker.merge_job_run`` → the child
process ``runner``); this module only enqueues it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.org.models import User

from .io import check_upload, limits_from_settings
from .models import JobStatus, MergeJob, RegisterFile, ReviewDecision, ReviewPair
from .recluster import (
    Reclustered,
    discard_staged,
    files_ready,
    mark_queued,
    next_generation,
    publish_staged,
    recluster_run,
)
from .selectors import is_stale, latest_decisions, merge_user, pending_decisions
from .storage import job_dir, run_dir, safe_name

ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_FILES = 20
TITLE_MAX = 200
REASON_MAX = 500


def merge_job_create(
    *, user: User, title: str, uploads: Sequence[UploadedFile], now: dt.datetime, enqueue: bool = True
) -> MergeJob:
    """``enqueue=False`` leaves the run to the caller (the demo loader runs it at once)."""
    merge_user(user)
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
        title = f"Hợp nhất {len(uploads)} danh sách — {now.astimezone().strftime('%d/%m/%Y %H:%M')}"
    with transaction.atomic():
        job = MergeJob.objects.create(
            commune_id=user.commune_id, title=title, created_by=user, step="queued", queued_at=now
        )
        folder = job_dir(job) / "input"
        folder.mkdir(parents=True, exist_ok=True)
        for i, up in enumerate(uploads, start=1):
            stored = f"{i:02d}-{safe_name(up.name or 'register')}"
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


def merge_job_rerun(*, user: User, job: MergeJob, now: dt.datetime) -> MergeJob:
    """Queue a run that applies every decision so far (and learns from them)."""
    merge_user(user)
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        if locked.is_active and not is_stale(locked, now=now):
            raise Conflict("Đợt hợp nhất đang chạy; hãy chờ lần chạy này xong.")
        locked.status = JobStatus.QUEUED
        locked.step = "queued"
        locked.progress = 0.0
        locked.error = ""
        locked.heartbeat_at = None
        # The elapsed time counts from when the worker starts this run, not from the last one.
        locked.started_at = None
        locked.finished_at = None
        locked.queued_at = now
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


APPLY_STALE_AFTER = dt.timedelta(minutes=5)  # an application's mark left by a dead process
APPLYING = "Các quyết định đang được áp dụng; hãy chờ vài giây rồi tải lại trang."


def merge_job_apply_decisions(*, user: User, job: MergeJob, now: dt.datetime) -> MergeJob:
    """Apply every decision so far to the last run's results without running it again: its stored
    edges cut again with the decisions (``recluster.recluster_run``: the persons, records.parquet,
    the result's stats), the review pairs' ``same_person`` and the job's stats rewritten; the
    decisions count as applied (``pending_decisions`` is 0 after). Review pairs the run's rule
    lists now (a strong pair the guard splits after a decision) are added to the review list,
    undecided (``_update_review_pairs``). Synchronous (seconds). The
    files handed out (the workbook, the national export) are rewritten by a background task
    queued when this commits (``tasks.merge_job_files_task``); until then they count as stale
    (``recluster.files_ready``) and are not served. The model does not learn from the decisions:
    that is the rerun's (``merge_job_rerun``).

    Three steps, so that the database is never locked while the persons are cut again (seconds at
    a ward's size; SQLite would block every other write in the app meanwhile): a short
    transaction locks the job, checks and marks it as applying (``stats["applying"]``: a second
    application is refused with 409 until this one ends); the re-clustering, outside any
    transaction, stages its files; a second short transaction checks that nothing changed (the
    mark, the run, the decisions) and saves the stats and the pairs, and only once it has
    committed are the staged files published (``recluster.publish_staged``) and the task queued.
    On any failure the stage is discarded and the mark removed."""
    merge_user(user)
    if job.commune_id != user.commune_id:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        _check_can_apply(locked, now=now)
        pending = pending_decisions(locked)
        if pending == 0:
            raise Conflict("Không có quyết định mới nào cần áp dụng.")
        decided = latest_decisions(locked)
        ordered = sorted(decided.values(), key=lambda d: d.pk)
        run_no = locked.runs
        folder = run_dir(locked)
        stats = locked.stats or {}
        generation = next_generation(folder, at_least=stats.get("files_generation"))
        mark = {"at": now.isoformat(), "by": user.pk, "generation": generation, "upto": ordered[-1].pk}
        locked.stats = stats | {"applying": mark}
        locked.save(update_fields=["stats"])
    committed = False
    try:
        local = timezone.localtime(now)
        outcome = recluster_run(
            folder=folder,
            labels=[(a, b, d.is_match) for (a, b), d in decided.items()],
            title=locked.title,
            commune=locked.commune.name,
            run_no=run_no,
            generated_at=local.replace(tzinfo=None),
            decisions=[
                {
                    "decided_at": timezone.localtime(d.decided_at).strftime("%d/%m/%Y %H:%M"),
                    "decided_by": d.decided_by.display_name,
                    "record_id_l": d.record_id_l,
                    "record_id_r": d.record_id_r,
                    "verdict": "Cùng một người" if d.is_match else "Hai người khác nhau",
                    "reason": d.reason,
                }
                for d in ordered
            ],
            unit_names=dict(Commune.objects.values_list("code", "name")),
            applied={
                "decisions": pending,
                "total": len(decided),
                "by": user.display_name,
                "at": now.isoformat(),
                "time": f"{local:%H:%M}",
                "date": f"{local:%d/%m/%Y}",
            },
            generation=generation,
            publish=False,
        )
        with transaction.atomic():
            locked = MergeJob.objects.select_for_update().get(pk=job.pk)
            if (locked.stats or {}).get("applying") != mark or locked.runs != run_no or locked.is_active:
                raise Conflict("Đợt hợp nhất đã thay đổi trong lúc áp dụng; hãy tải lại trang rồi thử lại.")
            if [d.pk for d in sorted(latest_decisions(locked).values(), key=lambda d: d.pk)] != [
                d.pk for d in ordered
            ]:
                raise Conflict(
                    "Có quyết định mới trong lúc áp dụng; hãy bấm «Áp dụng quyết định (không chạy lại)» lần nữa."
                )
            _update_review_pairs(locked, outcome)
            locked.stats = outcome.stats | {"files_generation": generation}
            locked.decisions_applied_upto = ordered[-1].pk
            locked.save(update_fields=["stats", "decisions_applied_upto"])
            job_id = locked.pk

            def published() -> None:
                publish_staged(folder, generation)
                mark_queued(folder)
                _enqueue_files(job_id, run_no)

            transaction.on_commit(published)
            committed = True  # from here on the stage is the job's: ``write_files`` finishes it
    except BaseException:
        if committed:
            raise
        discard_staged(folder, generation)
        with transaction.atomic():
            current = MergeJob.objects.select_for_update().filter(pk=job.pk).first()
            if current is not None and (current.stats or {}).get("applying") == mark:
                current.stats = {k: v for k, v in current.stats.items() if k != "applying"}
                current.save(update_fields=["stats"])
        raise
    return locked


def _update_review_pairs(job: MergeJob, outcome: Reclustered) -> None:
    """The job's review rows brought up to an application (``recluster.review_list``): each
    listed pair's ``same_person``, the pairs the run's rule lists now added undecided, every row
    ranked in the run's order (nearest the threshold first: the review page shows the first
    undecided). A pair already in the table is never added again (its unique constraint)."""
    rank = {key: i for i, key in enumerate(outcome.order, start=1)}
    rows = list(
        ReviewPair.objects.filter(job=job)
        .only("pk", "record_id_l", "record_id_r", "rank", "same_person")  # not both sides' JSON
        .order_by("rank", "pk")
    )
    have = {(p.record_id_l, p.record_id_r) for p in rows}
    changed = []
    for n, pair in enumerate(rows, start=1):
        key = (pair.record_id_l, pair.record_id_r)
        same = outcome.same_person.get(key, pair.same_person)
        # A row the list does not hold (none should) keeps its place after the list's.
        new_rank = rank.get(key, len(rank) + n)
        if same != pair.same_person or new_rank != pair.rank:
            pair.same_person, pair.rank = same, new_rank
            changed.append(pair)
    ReviewPair.objects.bulk_update(changed, ["same_person", "rank"], batch_size=1000)
    ReviewPair.objects.bulk_create(
        [
            ReviewPair(job=job, rank=rank.get(key, len(rank) + len(rows) + i), **p)
            for i, p in enumerate(outcome.added, start=1)
            if (key := (p["record_id_l"], p["record_id_r"])) not in have
        ],
        batch_size=1000,
    )


def _check_can_apply(job: MergeJob, *, now: dt.datetime) -> None:
    if job.is_active:
        raise Conflict("Đợt hợp nhất đang chạy; hãy chờ lần chạy này xong rồi áp dụng quyết định.")
    if job.runs == 0:
        raise Conflict("Đợt hợp nhất chưa có kết quả nào để áp dụng quyết định.")
    if is_applying(job, now=now):
        raise Conflict(APPLYING, code="applying")


def is_applying(job: MergeJob, *, now: dt.datetime) -> bool:
    """An application of decisions is under way (its mark is younger than a dead process's)."""
    mark = (job.stats or {}).get("applying")
    if not isinstance(mark, dict):
        return False
    try:
        since = dt.datetime.fromisoformat(str(mark.get("at")))
    except ValueError:
        return False
    return now - since < APPLY_STALE_AFTER


def merge_job_prepare_files(*, job: MergeJob) -> None:
    """Queue the writing of the last run's handed-out files (a run from before the national
    export was made with the run has none: its first download asks for it; a task that failed or
    never ran is queued again by «Tạo lại tệp», ``merge_job_retry_files``)."""
    if job.runs:
        run_no = job.runs
        folder = run_dir(job)

        def queued() -> None:
            mark_queued(folder)
            _enqueue_files(job.pk, run_no)

        transaction.on_commit(queued)


def merge_job_retry_files(*, user: User, job: MergeJob, now: dt.datetime) -> MergeJob:
    """«Tạo lại tệp»: queue the files task again for the last run, when its files are not those
    of the current persons (the task failed, or never ran). Refused while a run or an application
    is under way, and when the files are ready."""
    merge_user(user)
    if job.commune_id != user.commune_id:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        if locked.is_active:
            raise Conflict("Đợt hợp nhất đang chạy; lần chạy này tự viết các tệp của nó.")
        if locked.runs == 0:
            raise Conflict("Đợt hợp nhất chưa có kết quả nào.")
        if is_applying(locked, now=now):
            raise Conflict(APPLYING, code="applying")
        expected = (locked.stats or {}).get("files_generation")
        if files_ready(run_dir(locked), expected=expected):
            raise Conflict("Các tệp tải về đã được cập nhật; không cần tạo lại.", code="files_ready")
        merge_job_prepare_files(job=locked)
    return locked


def _enqueue_files(job_id: int, run_no: int) -> None:
    from .tasks import merge_job_files_task

    merge_job_files_task.enqueue(job_id, run_no)


def merge_job_cancel(*, user: User, job: MergeJob, now: dt.datetime) -> MergeJob:
    """Stop a queued or running job. A queued one is cancelled at once (the worker will skip
    it); a running one is flagged and its run stops within a second (``worker.merge_job_run``
    watches the flag); one whose worker is gone (stale) is cancelled at once."""
    merge_user(user)
    if job.commune_id != user.commune_id:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    message = f"Đã huỷ theo yêu cầu của {user.display_name} lúc {timezone.localtime(now):%H:%M %d/%m/%Y}."
    with transaction.atomic():
        locked = MergeJob.objects.select_for_update().get(pk=job.pk)
        if not locked.is_active:
            raise Conflict("Đợt hợp nhất không còn chạy, không cần huỷ.")
        locked.cancel_requested_at = now
        fields = ["cancel_requested_at"]
        if locked.status == JobStatus.QUEUED or is_stale(locked, now=now):
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
    # The task module imports the worker, never this one: services → tasks → worker.
    from .tasks import merge_job_task

    merge_job_task.enqueue(job_id)


def review_decide(*, user: User, job: MergeJob, pair_id: int, is_match: bool, reason: str) -> ReviewDecision:
    """Record a reviewer's accept/reject of one pair with its reason (append-only; the latest
    decision of a pair counts). The database stamps ``decided_at``."""
    merge_user(user)
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
