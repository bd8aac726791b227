"""«Áp dụng quyết định (không chạy lại)»: the reviewers' decisions applied to the last run's
results at once (``services.merge_job_apply_decisions``), back to the job's page with what
changed. Thin: the acting user's job (``selectors.job_get_for``: another commune's is 404), the
clock from ``motcua.core.clock``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from motcua.core import clock
from motcua.core.errors import Conflict
from motcua.org.models import User

from . import selectors, services


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
        messages.success(
            request,
            f"Đã áp dụng {applied['decisions']} quyết định: danh sách hợp nhất có "
            f"{persons:,} người{change}.".replace(",", "."),
        )
    return redirect("registers:job", pk=job.pk)
