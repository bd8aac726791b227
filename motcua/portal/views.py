"""Residents' pages: small, server-rendered, usable without JavaScript on an old phone."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from motcua.catalog.models import OnlineLevel, Procedure
from motcua.catalog.selectors import procedure_get
from motcua.core import clock
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit
from motcua.core.text import clean_text
from motcua.dossiers import documents
from motcua.dossiers import forms as parse
from motcua.dossiers.models import Channel, Dossier, State
from motcua.dossiers.services import declaration_item, dossier_create_draft
from motcua.geo.models import Commune

from . import statuspage
from .selectors import PublicStatus, draft_lookup, public_status, resident_lookup, resident_steps


def _status_context(dossier: Dossier | PublicStatus) -> dict[str, object]:
    """What a resident sees: each step, when, and which unit — never officers' names,
    other residents' data or internal notes (the same steps as the public API's)."""
    return {"d": dossier, "steps": resident_steps(dossier), "now": clock.now()}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from motcua.org.selectors import public_profiles

    return render(request, "portal/home.html", {"profiles": public_profiles()})


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Code + the last 4 phone digits, typed by the resident (limits and lockout: selectors)."""
    code = clean_text(request.GET.get("ma", "")).strip()[:60]
    phone = clean_text(request.GET.get("sdt", "")).strip()[:4]
    context: dict[str, object] = {"code": code, "phone": phone}
    if "ma" in request.GET or "sdt" in request.GET:
        try:
            dossier = resident_lookup(
                code=request.GET.get("ma", ""),
                phone_last4=request.GET.get("sdt", ""),
                client=client_key(request),
                now=clock.now(),
            )
        except (NotFound, RateLimited, ValidationFailed) as exc:
            context["error"] = exc.message
            return render(request, "portal/lookup.html", context, status=exc.status)
        if statuspage.applies(request):
            return HttpResponse(statuspage.render_status(request, dossier, resident_steps(dossier)))
        context.update(_status_context(dossier))
        return render(request, "portal/status.html", context)
    return render(request, "portal/lookup.html", context)


@require_GET
def status(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """The page the QR code on the receipt opens: code + secret, no typing. Its own counter per
    client ("qr"), and no code lockout: the 96-bit secret cannot be guessed, so the receipt's link
    keeps working while the code is locked for phone digits."""
    dossier: Dossier | PublicStatus
    try:
        hit(purpose="qr", key=client_key(request), now=clock.now())
        if code.isascii() and code.isdigit() and len(code) <= 18:  # a pk, within bigint
            dossier = draft_lookup(pk=int(code), secret=secret)
        else:
            dossier = public_status(code=code, secret=secret)
    except (NotFound, RateLimited) as exc:
        return render(request, "portal/lookup.html", {"error": exc.message}, status=exc.status)
    from motcua.quality.ratings import rating_status_by_code  # issue 10 §1: «Đánh giá sự hài lòng»

    context = _status_context(dossier)
    context["rating"] = rating_status_by_code(dossier.code) if dossier.code else None
    return render(request, "portal/status.html", context)


@require_GET
def online_list(request: HttpRequest) -> HttpResponse:
    procedures = (
        Procedure.objects.filter(is_active=True)
        .exclude(online_level=OnlineLevel.NONE)
        .select_related("field")
    )
    return render(request, "portal/online_list.html", {"procedures": procedures})


_TOO_MANY_SUBMISSIONS = (
    "Bạn đã gửi quá nhiều hồ sơ trong thời gian ngắn. Vui lòng thử lại sau, hoặc đến Bộ phận "
    "một cửa để được hỗ trợ."
)


def online_submit(request: HttpRequest, code: str) -> HttpResponse:
    """Anonymous: rate-limited per client (a rejected attempt counts); every file checked before
    any is written, and the files land under UPLOAD_ROOT only when the dossier is committed (see
    dossiers.documents). A submission rejected for one field keeps the scans already attached,
    as the intake form does: staged, listed in the resident's session (documents.pending_*) and
    shown as ticked "Đã đính kèm" boxes; they count against the caps and join the dossier only
    when it is accepted. A fresh form deletes what an abandoned attempt left."""
    procedure = procedure_get(code=code)
    if procedure.online_level == OnlineLevel.NONE:
        raise Http404
    communes = Commune.objects.exclude(agency_code="").select_related("province").order_by("name")
    declaration = declaration_item(procedure)
    context: dict[str, object] = {
        "procedure": procedure, "values": request.POST, "communes": communes, "declaration": declaration,
        "max_files": settings.MOTCUA_SUBMIT_MAX_FILES, "pending": {},
        "max_mb": settings.MOTCUA_SUBMIT_MAX_BYTES // (1024 * 1024),
    }  # fmt: skip
    session, now = request.session, clock.now()
    documents.pending_expire(session, now_ts=now.timestamp())
    commune_id = request.POST.get("commune", "")
    commune = communes.filter(pk=int(commune_id)).first() if parse.small_int(commune_id) else None
    # No user: the session is the resident's own; the commune may change between attempts.
    owner = documents.PendingOwner(
        user_id=0, commune_id=commune.pk if commune else 0, procedure_code=procedure.code
    )
    earlier = documents.pending_for(session, owner=owner, any_commune=True)
    if request.method != "POST":
        if earlier:  # (a visitor with nothing kept gets no session)
            documents.pending_drop(session, [t for t, _ in earlier])
        return render(request, "portal/online_form.html", context)
    keep = set(parse.pending_tokens_from(request.POST))
    kept = [(t, f) for t, f in earlier if t in keep]
    try:
        hit(purpose="submit", key=client_key(request), rate=settings.MOTCUA_SUBMIT_RATE)
    except RateLimited:  # nothing written, nothing forgotten
        context.update(error=_TOO_MANY_SUBMISSIONS, pending=_by_item(kept))
        return render(request, "portal/online_form.html", context, status=429)
    documents.sweep_staging()
    if unticked := [t for t, _ in earlier if t not in keep]:
        documents.pending_drop(session, unticked)
    files = parse.files_from(request.FILES)
    try:
        if commune is None:
            raise ValidationFailed("Hãy chọn xã/phường nơi nộp hồ sơ.")
        dossier = dossier_create_draft(
            commune=commune,
            procedure=procedure,
            applicant=parse.applicant_from(request.POST),
            form_data=parse.form_data_from(request.POST, procedure),
            channel=Channel.ONLINE,
            now=now,
            files=[(f.item_id, f) for _, f in kept] + list(files),
            assisted_by_volunteer=request.POST.get("assisted") == "1",
            volunteer_name=request.POST.get("volunteer_name", ""),
            notify_phone=request.POST.get("notify_phone", ""),
            notify_email=request.POST.get("notify_email", ""),
        )
    except ValidationFailed as exc:
        # Keep this attempt's files for the next one, unless one of them was refused (then none
        # is written: the message says so) or they would break the caps.
        checked, problems = documents.sort_uploads(
            files, already=len(kept), already_bytes=sum(f.size for _, f in kept)
        )
        if not problems:
            new = [documents.stage(c) for c in checked]
            tokens = documents.pending_keep(session, staged=new, owner=owner, now_ts=now.timestamp())
            kept += zip(tokens, new, strict=True)
        kept = documents.pending_for(session, owner=owner, tokens=[t for t, _ in kept], any_commune=True)
        context.update(error=exc.message, error_details=exc.details, pending=_by_item(kept))
        return render(request, "portal/online_form.html", context, status=422)
    if kept:
        documents.pending_release(session, [t for t, _ in kept])
    return redirect("portal:online_done", pk=dossier.pk, secret=dossier.secret)


_Kept = list[tuple[str, documents.StagedFile]]  # (pending token, staged scan)


def _by_item(kept: _Kept) -> dict[object, _Kept]:
    """Kept scans under their checklist item (or "other"), as the form lists them."""
    by_item: dict[object, _Kept] = {}
    for token, f in kept:
        by_item.setdefault(f.item_id if f.item_id is not None else "other", []).append((token, f))
    return by_item


@require_GET
def online_done(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The page after sending: the dossier's code, big and copyable, what happens next and the
    link to follow it. Reachable only with the secret, like the draft's status page; once the
    desk has acted on the dossier, the status page says more, so the link goes there."""
    try:
        hit(purpose="lookup", key=client_key(request))
        dossier = draft_lookup(pk=pk, secret=secret)
    except (NotFound, RateLimited) as exc:
        return render(request, "portal/lookup.html", {"error": exc.message}, status=exc.status)
    status_path = reverse("portal:status", args=[dossier.code or str(dossier.pk), dossier.secret])
    if dossier.state != State.DRAFT:
        return redirect(status_path)
    return render(
        request,
        "portal/online_done.html",
        {"d": dossier, "reference": online_reference(dossier),
         "status_url": settings.MOTCUA_PUBLIC_URL.rstrip("/") + status_path, "status_path": status_path},
    )  # fmt: skip


def online_reference(dossier: Dossier) -> str:
    """What the resident quotes: the dossier code, taken at submission (a draft created before
    that rule has none: TT-<number>, the reference it was given then)."""
    return dossier.code or f"TT-{dossier.pk:06d}"
