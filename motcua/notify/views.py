"""The public opt-out pages (/thong-bao/tu-choi/…): no account, no commune, nothing about who
is on file (optout.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from motcua.core import clock
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key

from .optout import opt_out_confirm_token, opt_out_request, token_payload


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"address": ""}
    if request.method == "POST":
        raw = request.POST.get("dia_chi", "")
        try:
            opt_out_request(address=raw, client=client_key(request), now=clock.now())
        except (ValidationFailed, RateLimited) as exc:
            context.update(error=exc.message, address=raw[:254].replace("\x00", ""))
            return render(request, "notify/opt_out.html", context, status=exc.status)
        context["sent"] = True
    return render(request, "notify/opt_out.html", context)


@require_http_methods(["GET", "POST"])
def opt_out_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a mail scanner that opens links must not opt anyone out); POST confirms."""
    now = clock.now()
    try:
        link = token_payload(token, now=now)
        if request.method == "POST":
            opt_out_confirm_token(token=token, now=now)
            return render(request, "notify/opt_out_confirm.html", {"done": True, "masked": link.masked})
    except NotFound as exc:
        return render(request, "notify/opt_out_confirm.html", {"error": exc.message}, status=404)
    return render(request, "notify/opt_out_confirm.html", {"masked": link.masked})
