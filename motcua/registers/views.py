"""The data officer's screens: upload the old wards' registers, follow the merge, review the
uncertain pairs side by side, download the merged register. Thin: parse, call the selectors
and services (``now`` from ``motcua.core.clock``), render; the comparison rules of the review
page are ``review.side_by_side``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError
from motcua.org.models import User

from . import selectors, services
from .models import JobStatus, MergeJob, ReviewPair
from .recluster import files_ready
from .review import side_by_side
from .storage import workbook_path
from .tasks import files_state

REASONS_MATCH = (
    "Cùng họ tên, ngày sinh và hộ khẩu",
    "Cùng số CCCD/CMND (một bên gõ sai)",
    "Đã chuyển hộ khẩu giữa hai phường cũ",
    "Đã xác minh với tổ dân phố",
)
REASONS_NONMATCH = (
    "Trùng tên, khác người (khác năm sinh)",
    "Khác số CCCD",
    "Người thân trong cùng hộ",
    "Đã xác minh với tổ dân phố",
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_http_methods(["GET", "POST"])
def job_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = selectors.jobs_visible_to(user)
    errors: DomainError | None = None
    title = ""
    if request.method == "POST":
        title = request.POST.get("title", "")
        try:
            job = services.merge_job_create(
                user=user, title=title, uploads=request.FILES.getlist("files"), now=clock.now()
            )
        except DomainError as exc:
            errors = exc
        else:
            messages.success(
                request, "Đã nhận các tệp. Việc hợp nhất chạy nền; có thể rời trang và quay lại sau."
            )
            return redirect("registers:job", pk=job.pk)
    page = Paginator(visible.select_related("created_by"), 20).get_page(request.GET.get("trang"))
    return render(
        request,
        "registers/job_list.html",
        {
            "page": page,
            "error": errors,
            "title": title,
            "max_mb": settings.MOTCUA_MAX_REGISTER_BYTES // 2**20,
        },
        status=422 if errors else 200,
    )


def _job_context(job: MergeJob) -> dict[str, Any]:
    now = clock.now()
    return {
        "job": job,
        "step_label": selectors.STEP_LABELS.get(job.step, job.step),
        "percent": round(job.progress * 100),
        "stale": selectors.is_stale(job, now=now),
        "elapsed": _elapsed(job, now),
        "waiting": _waiting(job, now),
        "queue_state": selectors.queue_state(job, now=now),
        "cancelling": job.is_active and job.cancel_requested_at is not None,
        "time_limit_minutes": max(1, settings.MOTCUA_MERGE_TIME_LIMIT_SECONDS // 60),
    }


def _elapsed(job: MergeJob, now: Any) -> int | None:
    """Seconds the run has been running (or ran): from the moment the worker started it."""
    if job.started_at is None or job.status == JobStatus.QUEUED:
        return None
    end = job.finished_at if job.finished_at and not job.is_active else now
    return max(0, int((end - job.started_at).total_seconds()))


def _waiting(job: MergeJob, now: Any) -> int | None:
    """Seconds a queued job has waited for the worker."""
    since = job.queued_at or job.created_at
    if job.status != JobStatus.QUEUED or since is None:
        return None
    return max(0, int((now - since).total_seconds()))


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get_for(user=_user(request), pk=pk)
    decided = selectors.latest_decisions(job)
    ctx = _job_context(job) | {
        "files": job.files.all(),
        "pending": selectors.pending_decisions(job),
        "n_decided": len(decided),
        "to_review": selectors.pairs_to_review(job, decided),
        "workbook": workbook_path(job) is not None,
        "files_state": (state := files_state(job, now=clock.now())),  # R-E, R-F: failed, stalled
        "files_updating": not state.ready,
        "quality": (job.stats or {}).get("quality"),
    }
    return render(request, "registers/job_detail.html", ctx)


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled by htmx while the job runs. When the run ends the whole
    page reloads (HX-Refresh) to show the results."""
    job = selectors.job_get_for(user=_user(request), pk=pk)
    response = render(request, "registers/_progress.html", _job_context(job))
    if not job.is_active and request.headers.get("HX-Request") and request.GET.get("dang_chay") == "1":
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def job_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    job = selectors.job_get_for(user=user, pk=pk)
    services.merge_job_rerun(user=user, job=job, now=clock.now())
    messages.success(request, "Đã xếp lịch chạy lại với các quyết định rà soát.")
    return redirect("registers:job", pk=job.pk)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    job = selectors.job_get_for(user=user, pk=pk)
    try:
        services.merge_job_cancel(user=user, job=job, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã yêu cầu huỷ đợt hợp nhất; việc đang chạy dừng trong vài giây.")
    return redirect("registers:job", pk=job.pk)


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.job_get_for(user=_user(request), pk=pk)
    path = workbook_path(job)
    if path is None:
        raise Http404("Chưa có danh sách hợp nhất.")
    # R-E: rewritten in the background after an application
    if not files_ready(path.parent, expected=(job.stats or {}).get("files_generation")):
        raise Conflict(
            "Tệp Excel đang được cập nhật theo các quyết định vừa áp dụng; hãy tải lại sau ít phút."
        )
    name = f"danh-sach-hop-nhat-{job.pk}-lan-{job.runs}.xlsx"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """One pair at a time, the most uncertain undecided first (or ?cap=<id>), and the list."""
    job = selectors.job_get_for(user=_user(request), pk=pk)
    decided = selectors.latest_decisions(job)
    pairs = list(ReviewPair.objects.filter(job=job))
    pair = None
    wanted = request.GET.get("cap")
    if wanted and wanted.isdigit():
        pair = next((p for p in pairs if p.pk == int(wanted)), None)
    if pair is None:
        pair = next((p for p in pairs if (p.record_id_l, p.record_id_r) not in decided), None)
    rows = [{"pair": p, "decision": decided.get((p.record_id_l, p.record_id_r))} for p in pairs]
    page = Paginator(rows, 50).get_page(request.GET.get("trang"))
    return render(
        request,
        "registers/review.html",
        {
            "job": job,
            "pair": pair,
            "fields": side_by_side(pair.left, pair.right) if pair else [],
            "decision": decided.get((pair.record_id_l, pair.record_id_r)) if pair else None,
            "page": page,
            "n_pairs": len(pairs),
            "n_decided": sum(1 for r in rows if r["decision"]),
            "pending": selectors.pending_decisions(job),
            "reasons_match": REASONS_MATCH,
            "reasons_nonmatch": REASONS_NONMATCH,
        },
    )


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int, pair_id: int) -> HttpResponse:
    user = _user(request)
    job = selectors.job_get_for(user=user, pk=pk)
    verdict = request.POST.get("verdict")
    if verdict not in ("match", "nonmatch"):
        messages.error(request, "Chọn «Cùng một người» hoặc «Hai người khác nhau».")
        return redirect(f"{reverse('registers:review', args=[job.pk])}?cap={pair_id}")
    try:
        services.review_decide(
            user=user,
            job=job,
            pair_id=pair_id,
            is_match=verdict == "match",
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *exc.details]))
        return redirect(f"{reverse('registers:review', args=[job.pk])}?cap={pair_id}")
    messages.success(request, "Đã ghi quyết định. Bấm «Áp dụng quyết định và chạy lại» khi rà soát xong.")
    return redirect("registers:review", pk=job.pk)
