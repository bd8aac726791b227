"""Reads on merge jobs. Every read that crosses a permission boundary takes the acting user
(``jobs_visible_to``, ``job_get_for``): a commune's data officer, leaders and administrators see
only their own commune's jobs."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from motcua.core.errors import NotAllowed, NotFound
from motcua.org.models import Role, User

from .models import JobStatus, MergeJob, ReviewDecision, ReviewPair

MERGE_ROLES = (Role.DATA_OFFICER, Role.COMMUNE_LEADER, Role.ADMIN)
# A RUNNING job silent for this long has lost its worker.
STALE_AFTER = dt.timedelta(seconds=60)
# A job queued this long while no task runs: the background worker is not running.
WORKER_SILENT_AFTER = dt.timedelta(seconds=20)
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


def merge_user(user: User) -> User:
    """``user`` if they may merge registers (a commune's data officer, leader, administrator)."""
    if not user.has_role(*MERGE_ROLES) or user.commune_id is None:
        raise NotAllowed("Chức năng hợp nhất danh sách dành cho cán bộ quản lý dữ liệu của xã, phường.")
    return user


def jobs_visible_to(user: User) -> QuerySet[MergeJob]:
    merge_user(user)
    assert user.commune_id is not None
    return MergeJob.objects.filter(commune_id=user.commune_id)


def job_get_for(*, user: User, pk: int) -> MergeJob:
    job = jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise NotFound("Không tìm thấy đợt hợp nhất.")
    return job


def is_stale(job: MergeJob, *, now: dt.datetime) -> bool:
    """A RUNNING job whose worker stopped writing its heartbeat."""
    return job.status == JobStatus.RUNNING and (
        job.heartbeat_at is None or now - job.heartbeat_at > STALE_AFTER
    )


def queue_state(job: MergeJob, *, now: dt.datetime) -> str | None:
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


def latest_decisions(job: MergeJob) -> dict[tuple[str, str], ReviewDecision]:
    """The decision that counts for each pair: the latest."""
    out: dict[tuple[str, str], ReviewDecision] = {}
    for d in job.decisions.order_by("id"):
        out[(d.record_id_l, d.record_id_r)] = d
    return out


def pending_decisions(job: MergeJob) -> int:
    """Decisions made since the last run (the next run applies them)."""
    return job.decisions.filter(id__gt=job.decisions_applied_upto).count()


def pairs_to_review(job: MergeJob, decided: dict[tuple[str, str], ReviewDecision]) -> int:
    """Review pairs of the last run without a decision."""
    total = ReviewPair.objects.filter(job=job).count()
    if not decided:
        return total
    pairs = set(ReviewPair.objects.filter(job=job).values_list("record_id_l", "record_id_r"))
    return total - len(pairs & set(decided))
