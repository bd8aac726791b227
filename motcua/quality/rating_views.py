"""The residents' rating pages (issue 10 §1), no login: a dossier's (the receipt's QR, the
"result ready" notice, the tracking page) and a queue ticket's (the phone's ticket page), and the
counter tablet (activated once with its token, like the queue's kiosk).

A dossier's link is its code (or the id of a code-less dossier) and its rating key
(`ratings.rating_key`, never the tracking page's secret); a ticket's is its id and the secret of
its QR; a wrong key is 404 like an unknown code. The pages show the procedure, never personal
data. The form works without JavaScript (radio groups in fieldsets); the public pages' POSTs are
counted per client address (MOTCUA_RATING_RATE, "attempts/seconds"), the counter tablet's per
tablet (MOTCUA_RATING_TABLET_RATE: an office behind one NAT must not lose the tablet's ratings to
the residents' phones). The tablet's token lives in a signed HttpOnly
SameSite=Strict cookie, checked against its SHA-256 on every request, so revoking it or closing
the counter sends the screen back to activation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit
from motcua.dossiers.models import Dossier
from motcua.queueing.models import Ticket

from . import ratings as R
from .definitions import tt01_2018_v1 as questionnaire
from .models import Rating, RatingSource, RatingSubject, RatingTablet

# ?nguon= of a dossier's link → the source recorded.
SOURCES = {
    "bien-nhan": RatingSource.RECEIPT,
    "thong-bao": RatingSource.NOTICE,
    "tra-cuu": RatingSource.TRACKING,
}
DEFAULT_SOURCE_KEY = "tra-cuu"
TABLET_COOKIE = "motcua_rating_tablet"
_TABLET_SALT = "motcua.quality.tablet"
_TABLET_AGE = 400 * 24 * 3600
TABLET_ACTIVATION_RATE = "20/600"
TABLET_REFRESH_SECONDS = 4
TABLET_THANKS_SECONDS = 6


def _rate() -> str:
    return str(settings.MOTCUA_RATING_RATE)


def _tablet_rate() -> str:
    return str(settings.MOTCUA_RATING_TABLET_RATE)


def _secure(request: HttpRequest) -> bool:
    return bool(settings.SESSION_COOKIE_SECURE) or request.is_secure()


def _source_key(request: HttpRequest) -> str:
    raw = str(request.POST.get("nguon") or request.GET.get("nguon") or "")[:20]
    return raw if raw in SOURCES else DEFAULT_SOURCE_KEY


def _posted_answers(request: HttpRequest, subject: str) -> dict[str, object]:
    return {q["code"]: request.POST.get(f"q{q['code']}", "") for q in R.questions_of(subject)}


def form_context(subject: str, chosen: dict[str, Any] | None = None) -> dict[str, Any]:
    """The questions with their options (and the chosen ones after a refused POST)."""
    chosen = chosen or {}
    questions = [
        {
            "code": q["code"],
            "text": q["text"],
            "options": [(str(v), label) for v, label in q["options"]],
            "chosen": str(chosen.get(q["code"], "")),
        }
        for q in R.questions_of(subject)
    ]
    overall = [(str(v), label) for v, label in questionnaire.OVERALL]
    return {
        "questions": questions,
        "overall_options": overall,
        "overall_chosen": str(chosen.get("overall", "")),
        "comment_max": R.COMMENT_MAX,
    }


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "quality/rating/not_found.html", {"message": message}, status=404)


def _record(
    request: HttpRequest, *, subject: str, source: str, dossier: Dossier | None = None,
    ticket: Ticket | None = None, tablet: RatingTablet | None = None,
) -> Rating:  # fmt: skip
    return R.rating_record(
        subject=subject, dossier=dossier, ticket=ticket, answers=_posted_answers(request, subject),
        overall=request.POST.get("overall", ""), comment=request.POST.get("comment", ""),
        source=source, tablet=tablet, now=clock.now(),
    )  # fmt: skip


def _chosen(request: HttpRequest) -> dict[str, Any]:
    keep = {k[1:]: v[:1] for k, v in request.POST.items() if k.startswith("q") and len(k) <= 4}
    return keep | {"overall": request.POST.get("overall", "")[:1]}


def _subject_page(
    request: HttpRequest, *, subject: str, about: dict[str, Any], rating: Rating | None,
    rateable: bool, action: str, source_key: str,
) -> HttpResponse:  # fmt: skip
    """GET and POST of a dossier's or a ticket's rating page."""
    status = 200
    context: dict[str, Any] = {
        "subject": subject, "about": about, "rating": rating, "rateable": rateable, "action": action,
        "source_key": source_key, "thanks": request.GET.get("cam-on") == "1",
    }  # fmt: skip
    if rating is not None:
        context["answers"] = R.answers_shown(rating)
        context["overall_label"] = rating.get_overall_display()
    chosen: dict[str, Any] = {}
    if request.method == "POST":
        now = clock.now()
        try:
            hit(purpose="rating", key=client_key(request), rate=_rate(), now=now)
            about["record"]()
        except ValidationFailed as exc:
            context["error"], status, chosen = exc.message, exc.status, _chosen(request)
            context["comment_value"] = str(request.POST.get("comment", ""))[: R.COMMENT_MAX].replace(
                "\x00", ""
            )
        except (Conflict, RateLimited) as exc:
            context["error"], status = exc.message, exc.status
        else:
            return redirect(f"{action}?cam-on=1")
        if status == 409:  # rated meanwhile: show it
            fresh = about["reload"]()
            if fresh is not None:
                context.update(
                    rating=fresh, answers=R.answers_shown(fresh), overall_label=fresh.get_overall_display()
                )
    context.update(form_context(subject, chosen))
    return render(request, "quality/rating/page.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """A dossier's rating page: the form, or «Hồ sơ đã được đánh giá» with the answers."""
    try:
        d = R.dossier_for_rating(code=code, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    key = _source_key(request)
    about = {
        "title": f"Hồ sơ {d.code}" if d.code else "Hồ sơ",
        "procedure": d.procedure.name,
        "procedure_code": d.procedure.code,
        "commune": d.commune.name,
        "state": d.get_state_display(),
        "record": lambda: _record(request, subject=RatingSubject.DOSSIER, dossier=d, source=SOURCES[key]),
        "reload": lambda: R.rating_of_dossier(d),
    }
    action = reverse("ratings:dossier", args=[code, secret])
    return _subject_page(
        request, subject=RatingSubject.DOSSIER, about=about, rating=R.rating_of_dossier(d),
        rateable=R.can_rate_dossier(d), action=action, source_key=key,
    )  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
def ticket(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """A queue ticket's rating page (from the phone's ticket page)."""
    try:
        t = R.ticket_for_rating(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    about = {
        "title": f"Lượt phục vụ số {t.number}",
        "procedure": t.queue_group.name,
        "procedure_code": "",
        "commune": t.commune.name,
        "state": t.get_state_display(),
        "record": lambda: _record(
            request, subject=RatingSubject.TICKET, ticket=t, source=RatingSource.TICKET_PAGE
        ),
        "reload": lambda: R.rating_of_ticket(t),
    }
    action = reverse("ratings:ticket", args=[pk, secret])
    return _subject_page(
        request, subject=RatingSubject.TICKET, about=about, rating=R.rating_of_ticket(t),
        rateable=R.can_rate_ticket(t), action=action, source_key="",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# the counter tablet
# --------------------------------------------------------------------------------------------


def _tablet(request: HttpRequest) -> tuple[RatingTablet | None, str]:
    raw = request.get_signed_cookie(TABLET_COOKIE, default="", salt=_TABLET_SALT)
    if not raw:
        return None, ""
    try:
        return R.tablet_by_token(str(raw)), ""
    except R.TabletUnauthorized as exc:
        return None, exc.message


def _to_activation(request: HttpRequest, reason: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Redirect"] = reverse("ratings:tablet_activate")
    else:
        response = render(request, "quality/tablet_activate.html", {"error": reason, "token_max": 200})
    response.delete_cookie(TABLET_COOKIE, samesite="Strict")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def tablet_activate(request: HttpRequest) -> HttpResponse:
    """Once per tablet: the administrator pastes the token `motcua quality tablet-token` printed."""
    if request.method == "GET":
        tablet, _ = _tablet(request)
        return render(
            request, "quality/tablet_activate.html", {"tablet": tablet, "error": "", "token_max": 200}
        )
    now = clock.now()
    try:
        hit(purpose="rating-tablet", key=client_key(request), rate=TABLET_ACTIVATION_RATE, now=now)
    except RateLimited as exc:
        return render(
            request, "quality/tablet_activate.html", {"error": exc.message, "token_max": 200}, status=429
        )
    raw = request.POST.get("token", "")
    raw = raw.strip() if len(raw) <= 200 else ""
    try:
        tablet = R.tablet_by_token(raw)
    except R.TabletUnauthorized:
        message = "Mã không đúng, đã bị thu hồi hoặc quầy đã đóng. Mã là dòng chữ mà lệnh «motcua quality tablet-token» in ra."
        return render(
            request, "quality/tablet_activate.html", {"error": message, "token_max": 200}, status=422
        )
    R.tablet_touch(tablet, now=now)
    response = redirect("ratings:tablet")
    response.set_signed_cookie(
        TABLET_COOKIE, raw, salt=_TABLET_SALT, max_age=_TABLET_AGE, httponly=True, samesite="Strict",
        secure=_secure(request),
    )  # fmt: skip
    return response


def _tablet_context(tablet: RatingTablet) -> dict[str, Any]:
    t = R.tablet_pending_ticket(tablet=tablet, now=clock.now())
    context: dict[str, Any] = {
        "tablet": tablet, "counter": tablet.counter, "commune": tablet.commune, "pending": t,
        "refresh_s": TABLET_REFRESH_SECONDS, "thanks_s": TABLET_THANKS_SECONDS,
    }  # fmt: skip
    context.update(form_context(RatingSubject.TICKET))
    return context


@never_cache
@require_GET
def tablet(request: HttpRequest) -> HttpResponse:
    """The tablet's screen: idle until its counter finishes a service, then the rating."""
    device, reason = _tablet(request)
    if device is None:
        return redirect("ratings:tablet_activate") if not reason else _to_activation(request, reason)
    context = _tablet_context(device)
    context["thanks"] = request.GET.get("cam-on") == "1"
    return render(request, "quality/tablet.html", context)


@never_cache
@require_GET
def tablet_state(request: HttpRequest) -> HttpResponse:
    """The htmx fragment the screen re-reads every few seconds: the idle screen or the form of
    the ticket just finished (unchanged while the same ticket is pending)."""
    device, reason = _tablet(request)
    if device is None:
        return _to_activation(request, reason)
    context = _tablet_context(device)
    shown = str(request.GET.get("dang", ""))[:20]
    pending = context["pending"]
    if shown and shown == str(pending.pk if pending is not None else 0):
        return HttpResponse(status=204)
    return render(request, "quality/tablet_state.html", context)


@never_cache
@require_POST
def tablet_submit(request: HttpRequest) -> HttpResponse:
    """The rating of the ticket shown (only a ticket of this tablet's counter, finished within
    the window); then «Cảm ơn» and back to idle."""
    device, reason = _tablet(request)
    if device is None:
        return _to_activation(request, reason)
    now = clock.now()
    try:
        hit(purpose="rating", key=f"tablet:{device.pk}", rate=_tablet_rate(), now=now)
        t = R.tablet_ticket(tablet=device, raw_id=request.POST.get("ticket"), now=now)
        _record(request, subject=RatingSubject.TICKET, ticket=t, source=RatingSource.TABLET, tablet=device)
    except NotFound as exc:
        return _not_found(request, exc.message)
    except (ValidationFailed, Conflict, RateLimited) as exc:
        context = _tablet_context(device) | {"error": exc.message}
        if isinstance(exc, ValidationFailed):
            context.update(form_context(RatingSubject.TICKET, _chosen(request)))
        return render(request, "quality/tablet.html", context, status=exc.status)
    R.tablet_touch(device, now=now)
    return redirect(reverse("ratings:tablet") + "?cam-on=1")
