"""Staff screens of the one-stop desk. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from motcua.catalog import selectors as catalog
from motcua.catalog.models import Procedure
from motcua.core import clock
from motcua.core.dates import parse_date
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.org.models import Role, User
from motcua.queueing.models import Counter, Ticket, TicketState
from motcua.queueing.services import local_day, ticket_for_intake, ticket_link_dossier

from . import documents
from . import forms as parse
from .documents import stored_path
from .models import Dossier, State
from .selectors import (
    approvals_for,
    book_for,
    control_sheet_for,
    document_get_for,
    dossier_get_for,
    dossier_search,
    dossiers_visible_to,
    drafts_for,
    inbox_for,
    overview_communes_for,
    overview_for,
    supplement_waiting_for,
)
from .services import INTAKE_OUTCOMES, dossier_attach_documents, dossier_intake
from .workflow import (
    CONTROL_SHEET_FORM,
    Action,
    allowed_transitions,
    dossier_apply,
    form_after,
    forms_of,
    steps_of_form,
    transition_label,
)

# What the dossier page's print buttons say; which of them a dossier has: workflow.forms_of.
FORM_BUTTONS = {
    "01": "Mẫu 01 — Phiếu hẹn",
    "02": "Mẫu 02",
    "03": "Mẫu 03",
    "04": "Mẫu 04",
    CONTROL_SHEET_FORM: "Mẫu 05 — Phiếu kiểm soát",
}


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.role == Role.RESIDENT:
        raise NotAllowed("Trang này dành cho cán bộ.")
    return user


def _counter_officer(request: HttpRequest) -> User:
    user = _staff(request)
    if not user.has_role(Role.COUNTER_OFFICER):
        raise NotAllowed("Trang này dành cho cán bộ bộ phận một cửa.")
    return user


@login_required
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    user = _counter_officer(request)
    now = clock.now()
    visible = dossiers_visible_to(user)
    return render(
        request,
        "dossiers/counter.html",
        {
            "drafts": drafts_for(user=user)[:50],
            "to_transfer": visible.filter(state=State.RECEIVED).order_by("received_at")[:50],
            "to_return": visible.filter(state=State.RESULT_READY).order_by("finished_at")[:50],
            "received_today": visible.filter(first_received_at__date=timezone.localdate(now)).count(),
            "supplement_count": supplement_waiting_for(user=user).count(),
            "now": now,
        },
    )


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Find a dossier over all time by code, phone, CCCD or the applicant's name."""
    user = _staff(request)
    q = request.GET.get("q", "")
    context: dict[str, object] = {"q": clean_text(q).strip(), "now": clock.now()}
    try:
        rows = dossier_search(user=user, query=q)
    except ValidationFailed as exc:
        context.update(error=exc.message, q="")
        return render(request, "dossiers/search.html", context, status=422)
    context["page"] = Paginator(rows, 25).get_page(request.GET.get("trang"))
    return render(request, "dossiers/search.html", context)


@login_required
@require_GET
def supplements(request: HttpRequest) -> HttpResponse:
    """Dossiers waiting for the resident's supplementation (Mẫu 02 given)."""
    user = _staff(request)
    page = Paginator(supplement_waiting_for(user=user), 50).get_page(request.GET.get("trang"))
    return render(request, "dossiers/supplements.html", {"page": page, "now": clock.now()})


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The leader's ward-wide view: overdue and soon-due dossiers, backlog, on-time rate."""
    user = _staff(request)
    raw = request.GET.get("xa", "")
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # commune codes: 5 digits
        raise NotFound("Không tìm thấy xã/phường.")
    data = overview_for(user=user, now=clock.now(), commune_code=int(raw) if raw else None)
    communes = overview_communes_for(user) if user.has_role(Role.PROVINCE_OFFICER) else None
    return render(request, "dossiers/overview.html", {"o": data, "communes": communes, "now": data.now})


@login_required
@require_GET
def procedure_search(request: HttpRequest) -> HttpResponse:
    """The counter's search box: typed without diacritics, matched on name or code."""
    _staff(request)
    q = request.GET.get("q", "").strip()
    results = catalog.procedure_search(query=q, limit=15) if q else Procedure.objects.none()
    return render(request, "dossiers/_procedure_results.html", {"results": results, "q": q})


@login_required
def intake(request: HttpRequest, code: str) -> HttpResponse:
    """The counter's intake form. A form rejected for one field keeps the scans already sent:
    they wait in the officer's session (documents.pending_*) and are shown as attached; they
    join the dossier only when the form is accepted."""
    user = _counter_officer(request)
    procedure = catalog.procedure_get(code=code)
    context: dict[str, object] = {
        "procedure": procedure, "values": request.POST, "pending": {},
        "max_files": settings.MOTCUA_SUBMIT_MAX_FILES, "max_mb": settings.MOTCUA_SUBMIT_MAX_BYTES // (1024 * 1024),
    }  # fmt: skip
    # Received for a queue ticket called to this officer's counter (the console's «Tiếp nhận hồ sơ»).
    so = (request.POST.get("so") or request.GET.get("so", ""))[:20]
    queue: tuple[Ticket, Counter] | None = None
    unlinked: list[Ticket] = []  # the ticket moved on while the form was open: received without it
    try:
        queue = ticket_for_intake(actor=user, raw=so, now=clock.now()) if so else None
    except Conflict:
        if request.method != "POST":
            raise  # a fresh form for a ticket no longer at the counter is refused
        # ticket_for_intake found it in the officer's commune before refusing it
        unlinked.append(
            Ticket.objects.select_related("counter").get(pk=int(so), commune_id=user.commune_id or 0)
        )
        context["queue_warning"] = _unlinked_message(unlinked[0], user, clock.now(), dossier=None)
    context["queue_ticket"] = queue[0] if queue else None
    session = request.session
    owner = documents.PendingOwner(
        user_id=user.pk, commune_id=user.commune_id or 0, procedure_code=procedure.code
    )
    now = clock.now()
    documents.pending_expire(session, now_ts=now.timestamp())
    if request.method != "POST":
        # A fresh form: scans left from an abandoned attempt at it are deleted.
        documents.pending_drop(session, [t for t, _ in documents.pending_for(session, owner=owner)])
        context["ticked"] = []
        return render(request, "dossiers/intake.html", context)
    documents.sweep_staging()
    keep = set(parse.pending_tokens_from(request.POST))
    earlier = documents.pending_for(session, owner=owner)
    documents.pending_drop(session, [t for t, _ in earlier if t not in keep])
    kept = [(t, f) for t, f in earlier if t in keep]
    checked, problems = documents.sort_uploads(
        parse.files_from(request.FILES), already=len(kept), already_bytes=sum(f.size for _, f in kept)
    )
    new = [documents.stage(c) for c in checked]
    kept += zip(
        documents.pending_keep(session, staged=new, now_ts=now.timestamp(), owner=owner), new, strict=True
    )
    try:
        if problems:
            raise documents.refusal(problems)
        dossier = dossier_intake(
            actor=user,
            procedure=procedure,
            applicant=parse.applicant_from(request.POST),
            form_data=parse.form_data_from(request.POST, procedure),
            checklist_ticked=parse.ticked_from(request.POST),
            outcome=request.POST.get("outcome", ""),
            files=[(f.item_id, f) for _, f in kept],
            missing_items=parse.lines(request.POST.get("missing_items", "")),
            reason=request.POST.get("reason", ""),
            now=now,
            then=_queue_link(user, queue, now, unlinked),
        )
    except ValidationFailed as exc:
        by_item: dict[object, list[tuple[str, documents.StagedFile]]] = {}
        for token, f in kept:
            by_item.setdefault(f.item_id if f.item_id is not None else "other", []).append((token, f))
        context.update(error=exc.message, error_details=exc.details, pending=by_item)
        context["ticked"] = parse.ticked_from(request.POST)
        return render(request, "dossiers/intake.html", context, status=422)
    documents.pending_release(session, [t for t, _ in kept])
    form = form_after(INTAKE_OUTCOMES[request.POST.get("outcome", "")])
    messages.success(request, f"Đã lưu hồ sơ {dossier}. Hãy in phiếu cho người dân.")
    if unlinked:
        ticket = Ticket.objects.select_related("counter").get(pk=unlinked[0].pk)
        messages.warning(request, _unlinked_message(ticket, user, now, dossier=dossier))
    if form:
        return redirect(reverse("dossiers:form", args=[dossier.pk, form]) + "?moi=1")
    return redirect("dossiers:detail", pk=dossier.pk)


def _queue_link(
    user: User, queue: tuple[Ticket, Counter] | None, now: dt.datetime, unlinked: list[Ticket]
) -> Callable[[Dossier], object] | None:
    """Link the received dossier to its ticket; a ticket that moved on since (finished,
    transferred, left, the counter freed) leaves the dossier received without the link."""
    if queue is None:
        return None
    ticket, counter = queue

    def link(d: Dossier) -> None:
        try:
            with transaction.atomic():  # a savepoint: a refused link undoes only itself
                ticket_link_dossier(actor=user, counter=counter, ticket=ticket, dossier=d, now=now)
        except (Conflict, NotAllowed):
            unlinked.append(ticket)

    return link


def _unlinked_message(ticket: Ticket, user: User, now: dt.datetime, *, dossier: Dossier | None) -> str:
    """Why the dossier is (or will be) received without its queue ticket, in the officer's words."""
    state = ticket.state
    if ticket.day < local_day(now):
        why = f"là số của ngày {ticket.day:%d/%m/%Y}"
    elif state == TicketState.DONE:
        why = "đã hoàn thành"
    elif state == TicketState.LEFT:
        why = "đã rời hàng"
    elif state == TicketState.NO_SHOW:
        why = "đã được ghi vắng mặt"
    elif state == TicketState.HELD:
        why = "đang tạm hoãn"
    elif state == TicketState.WAITING:
        why = "đã được chuyển và đang chờ gọi"
    elif ticket.counter is not None and ticket.counter.officer_id != user.pk:
        why = f"đang ở quầy số {ticket.counter.number}, không phải quầy bạn đang ngồi"
    else:
        why = "không còn ở quầy của bạn"
    if dossier is None:
        return f"Số {ticket.number} {why}: khi lưu, hồ sơ sẽ được tiếp nhận nhưng không gắn với số này."
    return f"Hồ sơ {dossier} đã được tiếp nhận nhưng không gắn với số {ticket.number} vì số này {why}."


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    dossier = dossier_get_for(user=user, pk=pk)
    now = clock.now()
    actions = allowed_transitions(actor=user, dossier=dossier)
    entries = list(dossier.control_entries.select_related("actor", "handed_to"))
    assignees = []
    if dossier.department_id and any(t.action == Action.ASSIGN for t in actions):
        assignees = list(
            User.objects.filter(department_id=dossier.department_id, is_active=True).order_by("full_name")
        )
    return render(
        request,
        "dossiers/detail.html",
        {
            "d": dossier,
            "now": now,
            "overdue": dossier.is_overdue(now),
            "actions": actions,
            "assignees": assignees,
            "entries": entries,
            "forms": [
                (code, FORM_BUTTONS.get(code, f"Mẫu {code}")) for code in forms_of(e.action for e in entries)
            ],
            "documents": dossier.documents.select_related("checklist_item"),
            "checklist": dossier.procedure.checklist.all(),
            "form_fields": dossier.procedure.form_fields.all(),
            "may_attach": user.commune_id == dossier.commune_id and not dossier.is_final,
            # The commune's own staff handle the dossier and must call the resident; a reader
            # from the province sees personal numbers masked as in lists.
            "reveal_personal": user.commune_id == dossier.commune_id,
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _staff(request)
    dossier = dossier_get_for(user=user, pk=pk)
    data: dict[str, object] = {
        "items": parse.lines(request.POST.get("items", "")),
        "assignee_id": request.POST.get("assignee_id"),
        "new_due_date": request.POST.get("new_due_date", ""),
        "method": request.POST.get("method", "IN_PERSON"),
        "result_summary": request.POST.get("result_summary", ""),
    }
    if action == Action.RECEIVE:
        data["checklist_ticked"] = parse.ticked_from(request.POST)
    try:
        dossier = dossier_apply(
            dossier=dossier,
            action=action,
            actor=user,
            reason=request.POST.get("reason", ""),
            data=data,
            now=clock.now(),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message + (" " + "; ".join(exc.details) if exc.details else ""))
        return redirect("dossiers:detail", pk=pk)
    messages.success(request, f"{transition_label(action)}: xong.")
    form = form_after(action)
    if form:
        return redirect("dossiers:form", pk=pk, form=form)
    return redirect("dossiers:detail", pk=pk)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Add scans to a dossier: all of them checked first, none written unless all are good."""
    user = _staff(request)
    dossier = dossier_get_for(user=user, pk=pk)
    kind = clean_text(request.POST.get("kind", "INPUT")).strip()
    try:
        dossier_attach_documents(
            dossier=dossier, actor=user, files=parse.files_from(request.FILES), kind=kind, now=clock.now()
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message + (" " + " ".join(exc.details) if exc.details else ""))
    else:
        messages.success(request, "Đã thêm tài liệu vào hồ sơ.")
    return redirect("dossiers:detail", pk=pk)


@login_required
@require_GET
def document(request: HttpRequest, pk: int) -> FileResponse:
    """A stored scan, to the commune's staff only. Shown in the browser only when it passes
    today's content checks as a PDF or an image; anything else is a download."""
    user = _staff(request)
    doc = document_get_for(user=user, pk=pk)
    path = stored_path(doc.storage_path)
    if not path.exists():
        raise Http404
    verified = documents.verified_type(path)
    inline = verified is not None and verified == doc.content_type
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 — FileResponse closes the file
        content_type=doc.content_type if inline else "application/octet-stream",
    )
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{doc.pk}.{path.suffix.lstrip(".")}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    scope = request.GET.get("pham_vi", "mine")
    if scope not in {"mine", "department"}:
        scope = "mine"
    now = clock.now()
    page = Paginator(inbox_for(user=user, now=now, scope=scope), 50).get_page(request.GET.get("trang"))
    return render(request, "dossiers/inbox.html", {"page": page, "scope": scope, "now": now})


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    return render(
        request, "dossiers/approvals.html", {"dossiers": approvals_for(user=user, now=now), "now": now}
    )


@login_required
@require_GET
def book(request: HttpRequest) -> HttpResponse:
    """Mẫu 06: the tracking book (A4, landscape)."""
    user = _staff(request)
    today = timezone.localdate(clock.now())
    date_from: dt.date | None = parse_date(request.GET.get("tu"))
    date_to: dt.date | None = parse_date(request.GET.get("den"))
    # Browsing shows the last 30 days; a search without dates looks through every year.
    if not clean_text(request.GET.get("q", "")).strip() or date_from or date_to:
        date_from = date_from or today - dt.timedelta(days=30)
        date_to = date_to or today
    rows = book_for(user=user, date_from=date_from, date_to=date_to, query=request.GET.get("q", ""))
    page = Paginator(rows, 100).get_page(request.GET.get("trang"))
    return render(
        request,
        "dossiers/book.html",
        {"page": page, "date_from": date_from, "date_to": date_to, "q": request.GET.get("q", ""),
         "now": clock.now()},
    )  # fmt: skip


def status_url(dossier: Dossier) -> str:
    return f"{settings.MOTCUA_PUBLIC_URL}{reverse('portal:status', args=[dossier.code or dossier.pk, dossier.secret])}"


@login_required
@require_GET
def printed_form(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """Mẫu 01–05, A5, printable from the browser."""
    user = _staff(request)
    dossier = dossier_get_for(user=user, pk=pk)
    # A form exists only once its step happened: no receipt before receipt, no refusal slip
    # for a dossier that was not refused.
    if form not in forms_of(dossier.control_entries.values_list("action", flat=True)):
        raise Http404
    url = status_url(dossier)
    qr_svg = segno.make(url, error="m").svg_inline(scale=3, dark="#000", title="Mã QR tra cứu hồ sơ")
    rating_qr_svg = ""
    if form == "01":  # the receipt: a second QR to the rating page (issue 10 §1)
        from motcua.quality.ratings import rating_url_of_dossier

        rating_url = rating_url_of_dossier(dossier, source="bien-nhan")
        rating_qr_svg = segno.make(rating_url, error="m").svg_inline(
            scale=3, dark="#000", title="Mã QR đánh giá"
        )
    steps = steps_of_form(form)
    entry = dossier.control_entries.filter(action__in=steps).last() if steps else None
    return render(
        request,
        f"dossiers/forms/mau{form}.html",
        {
            "d": dossier,
            "qr_svg": qr_svg,
            "rating_qr_svg": rating_qr_svg,
            "status_url": url,
            "entry": entry,
            "entries": dossier.control_entries.select_related("actor", "handed_to"),
            "control_sheet": control_sheet_for(dossier=dossier) if form == CONTROL_SHEET_FORM else [],
            "checklist": dossier.procedure.checklist.all(),
            "ticked": set(dossier.checklist_ticked),
            "is_new": request.GET.get("moi") == "1",
            "now": clock.now(),
        },
    )
