"""«Áp dụng quyết định (không chạy lại)»: the reviewers' decisions applied to the last run's
results at once (``services.merge_job_apply_decisions``), back to the job's page with what
changed. Thin: the acting user's job (``selectors.job_get_for``: another commune's is 404), the
clock from ``motcua.core.clock``.

«Tạo lại tệp» (``job_files_retry``): the files task queued again when it failed or never ran
(``services.merge_job_retry_files``).

The files fragment (``job_files``, ``registers/_files.html``): the job page's downloads, polled by
htmx while the background task rewrites the files after an application, so that the buttons (or
the failure and «Tạo lại tệp») show without the officer reloading; it stops polling then."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict
from motcua.org.models import User

from . import selectors, services
from .storage import workbook_path
from .tasks import files_state


@login_required
@require_POST
def job_apply(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    job = selectors.job_get_for(user=user, pk=pk)
    persons_before = (job.stats or {}).get("persons")
    try:
        job = services.merge_job_apply_decisions(user=user, job=job, now=clock.now())
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        applied = job.stats["applied"]
        persons = job.stats["persons"]
        change = "" if persons_before is None else f" (trước đó {persons_before:,})".replace(",", ".")
        added = applied.get("review_pairs_added") or 0
        more = f" Có thêm {added:,} cặp cần rà soát (điểm cao nhưng nay thuộc hai người khác nhau).".replace(
            ",", "."
        )
        messages.success(
            request,
            f"Đã áp dụng {applied['decisions']} quyết định: danh sách hợp nhất có "
            f"{persons:,} người{change}.".replace(",", ".")
            + (more if added else ""),
        )
    return redirect("registers:job", pk=job.pk)


@login_required
@require_POST
def job_files_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    job = selectors.job_get_for(user=user, pk=pk)
    try:
        services.merge_job_retry_files(user=user, job=job, now=clock.now())
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Đã xếp lịch tạo lại các tệp tải về; các nút tải về sẽ hiện ở trang này khi xong."
        )
    return redirect("registers:job", pk=job.pk)


@login_required
@require_GET
def job_files(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    job = selectors.job_get_for(user=user, pk=pk)
    state = files_state(job, now=clock.now())
    ctx = {
        "job": job,
        "files_state": state,
        "files_updating": not state.ready,
        "workbook": workbook_path(job) is not None,
    }
    return render(request, "registers/_files.html", ctx)
