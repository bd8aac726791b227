"""The queue's front door (issue 8 §2, §3): the resident's phone pages (the page a center's QR
poster opens, and the ticket), the kiosk at the door (activated once per screen with its device
token, huge buttons, an 80 mm printed ticket) and the printable QR poster.

Phones: a random device id in a signed HttpOnly cookie; its SHA-256 is the tickets' `holder`, so
a phone holds at most MOTCUA_QUEUE_PHONE_MAX_LIVE live tickets (ticket_issue checks). The ticket
page listens to the center's event stream (static/queueing/phone.js) and re-reads its card.
Kiosks: the raw device token in a signed HttpOnly SameSite=Strict cookie, checked against its
SHA-256 on every request, so revoking it (`motcua queue kiosk-revoke`) stops the screen at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, NotAllowed, NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit
from motcua.core.text import mask_digits
from motcua.geo.models import Commune
from motcua.org.models import CommuneProfile, Role, User

from .appointments import clean_phone
from .holders import address_of
from .kiosks import KioskUnauthorized, kiosk_by_token, kiosk_touch
from .models import KioskDevice, Ticket, TicketSource, TicketState
from .selectors import center_by_code, estimated_wait_s, groups_with_waiting, ticket_position, ticket_public
from .services import LIVE_STATES, local_day, ticket_issue, ticket_leave, ticket_set_notify_phone

PHONE_COOKIE = "motcua_phone"
KIOSK_COOKIE = "motcua_kiosk"
_PHONE_SALT = "motcua.queueing.phone"
_KIOSK_SALT = "motcua.queueing.kiosk"
_PHONE_AGE = 400 * 24 * 3600  # browsers keep a cookie at most 400 days
_KIOSK_AGE = 400 * 24 * 3600
# The kiosk's activation form: a token is 256 bits (nothing to guess), but a stuck key must not
# fill the rate table either.
KIOSK_ACTIVATION_RATE = "20/600"
KIOSK_RETURN_SECONDS = 10

# Priority in Vietnamese offices: who is served first (Luật Người cao tuổi, Luật Người khuyết tật…).
PRIORITY_CATEGORIES: list[tuple[str, str]] = [
    ("cao-tuoi", "Người cao tuổi"),
    ("khuyet-tat", "Người khuyết tật"),
    ("mang-thai", "Phụ nữ mang thai"),
    ("con-nho", "Người có con nhỏ"),
]
_PRIORITY_KEYS = {key for key, _ in PRIORITY_CATEGORIES}
_LEAVABLE = {TicketState.WAITING, TicketState.CALLED, TicketState.HELD}


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "queueing/not_found.html", {"message": message}, status=404)


def _priority(request: HttpRequest) -> bool:
    """One of the four categories means priority; anything else (nothing, «Không», junk) not."""
    return request.POST.get("priority", "")[:20] in _PRIORITY_KEYS


def _priority_reason(request: HttpRequest) -> str:
    """The category's words, kept in the ISSUED event's note (who is served first, for the
    statistics); "" for no priority."""
    return dict(PRIORITY_CATEGORIES).get(request.POST.get("priority", "")[:20], "")


def _secure(request: HttpRequest) -> bool:
    return bool(settings.SESSION_COOKIE_SECURE) or request.is_secure()


# --------------------------------------------------------------------------------------------
# the phone
# --------------------------------------------------------------------------------------------


@dataclass
class Phone:
    device: str
    new: bool

    @property
    def holder(self) -> str:
        return hashlib.sha256(self.device.encode()).hexdigest()

    def keep(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if self.new:
            response.set_signed_cookie(
                PHONE_COOKIE, self.device, salt=_PHONE_SALT, max_age=_PHONE_AGE, httponly=True,
                samesite="Lax", secure=_secure(request),
            )  # fmt: skip
        return response


def _phone(request: HttpRequest) -> Phone:
    device = request.get_signed_cookie(PHONE_COOKIE, default="", salt=_PHONE_SALT)
    if isinstance(device, str) and 20 <= len(device) <= 64:
        return Phone(device=device, new=False)
    return Phone(device=secrets.token_urlsafe(24), new=True)


def _live_of(*, commune: Commune, holder: str, now: object) -> list[Ticket]:
    return list(
        Ticket.objects.select_related("queue_group")
        .filter(commune=commune, day=local_day(now), holder=holder, state__in=LIVE_STATES)  # type: ignore[arg-type]
        .order_by("issued_at", "id")
    )


@never_cache
@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, code: str) -> HttpResponse:
    """The center's groups as big buttons and a priority choice; a POST takes a number of the
    group pressed, under the API's per-client limit (MOTCUA_TICKET_RATE, the same counter) and
    the phone's cap of live tickets, and shows the ticket."""
    now = clock.now()
    try:
        commune = center_by_code(code)
    except (NotFound, ValidationFailed):
        return _not_found(request, "Không tìm thấy trung tâm này. Vui lòng quét lại mã QR tại trung tâm.")
    phone = _phone(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            hit(purpose="ticket", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
            t = ticket_issue(
                commune=commune, group_letter=request.POST.get("group", ""), priority=_priority(request),
                now=now, source=TicketSource.PHONE, holder=phone.holder, address=address_of(request),
                priority_reason=_priority_reason(request),
            )  # fmt: skip
        except (RateLimited, Conflict) as exc:
            error, status = exc.message, exc.status
        except (NotFound, ValidationFailed):
            return _not_found(request, "Nhóm dịch vụ này không có hoặc đang tạm ngừng lấy số.")
        else:
            return phone.keep(request, redirect("queueing:ticket", pk=t.pk, secret=t.secret))
    context = {
        "commune": commune,
        "groups": groups_with_waiting(commune=commune, day=local_day(now)),
        "error": error,
        "categories": PRIORITY_CATEGORIES,
        "mine": [] if phone.new else _live_of(commune=commune, holder=phone.holder, now=now),
    }
    return phone.keep(request, render(request, "queueing/take.html", context, status=status))


def state_words(t: Ticket) -> str:
    """The ticket's state in plain words for the resident."""
    counter = t.counter.number if t.counter_id and t.counter else None
    if t.state == TicketState.CALLED and counter is not None:
        return f"Mời bạn đến quầy số {counter}"
    if t.state == TicketState.SERVING and counter is not None:
        return f"Đang được phục vụ tại quầy số {counter}"
    return {
        TicketState.WAITING: "Đang chờ",
        TicketState.CALLED: "Mời bạn đến quầy",
        TicketState.SERVING: "Đang được phục vụ",
        TicketState.HELD: "Tạm hoãn: cán bộ sẽ gọi lại bạn",
        TicketState.DONE: "Đã xong",
        TicketState.NO_SHOW: "Đã qua lượt (vắng mặt khi được gọi)",
        TicketState.LEFT: "Đã rời hàng",
    }.get(TicketState(t.state), t.get_state_display())


def _ticket_context(t: Ticket) -> dict[str, object]:
    now = clock.now()
    expired = t.day < local_day(now)
    live = t.state in LIVE_STATES and not expired
    position = ticket_position(t) if live else None
    wait_s = estimated_wait_s(t, position=position, now=now) if position is not None else None
    words = f"Số này đã hết hiệu lực (ngày {t.day:%d/%m/%Y})" if expired else state_words(t)
    return {
        "t": t,
        "commune": t.commune,
        "words": words,
        "expired": expired,
        "called": t.state == TicketState.CALLED and not expired,
        "live": live,
        "leavable": live and t.state in _LEAVABLE,
        "position": position,
        "wait_min": max(1, math.ceil(wait_s / 60)) if wait_s is not None else None,
        "events_url": f"/api/queue/centers/{t.commune.code}/events",
        "notify_phone_masked": mask_digits(t.notify_phone),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def ticket(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The ticket: its number, group, state, place in line and estimated wait. A wrong secret is
    'not found', like an unknown id. A ticket of an earlier day says so. A POST leaves a phone
    for «Nhắn tin cho tôi khi sắp đến lượt» (the secret is the resident's proof)."""
    try:
        t = ticket_public(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    if request.method == "POST":
        raw = request.POST.get("sdt_bao", "")
        now = clock.now()
        try:
            # Any number can be typed here: a few tries per client (the notices also have a daily cap).
            rate = getattr(settings, "MOTCUA_QUEUE_NOTIFY_PHONE_RATE", "5/600")
            hit(purpose="ticket-phone", key=client_key(request), rate=rate, now=now)
            t = ticket_set_notify_phone(ticket=t, phone=clean_phone(raw), now=now)
        except (ValidationFailed, Conflict, RateLimited) as exc:
            context = _ticket_context(t) | {
                "phone_error": exc.message,
                "phone_value": raw[:30].replace("\x00", ""),
            }
            return render(request, "queueing/ticket.html", context, status=exc.status)
        return redirect("queueing:ticket", pk=t.pk, secret=t.secret)
    return render(request, "queueing/ticket.html", _ticket_context(t))


@never_cache
@require_POST
def leave(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """«Tôi không chờ nữa»: the ticket leaves the line (the secret is the resident's proof)."""
    try:
        t = ticket_public(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    if t.state in _LEAVABLE and t.day == local_day(clock.now()):
        # Changed meanwhile (called, served): the ticket page shows what it is now.
        with contextlib.suppress(DomainError):
            ticket_leave(ticket=t, now=clock.now())
    return redirect("queueing:ticket", pk=t.pk, secret=t.secret)


# --------------------------------------------------------------------------------------------
# the kiosk
# --------------------------------------------------------------------------------------------

_REVOKED = "Máy này chưa được kích hoạt hoặc mã của máy đã bị thu hồi. Vui lòng nhập mã mới."


def _kiosk(request: HttpRequest) -> tuple[KioskDevice | None, str]:
    """The kiosk of this screen's cookie, or None and why (a revoked token says so)."""
    raw = request.get_signed_cookie(KIOSK_COOKIE, default="", salt=_KIOSK_SALT)
    if not raw:
        return None, ""
    try:
        return kiosk_by_token(str(raw)), ""
    except KioskUnauthorized:
        return None, _REVOKED


def _to_activation(request: HttpRequest, reason: str) -> HttpResponse:
    response = render(
        request, "queueing/kiosk_activate.html", {"error": reason, "token_max": 200}, status=200
    )
    response.delete_cookie(KIOSK_COOKIE, samesite="Strict")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_activate(request: HttpRequest) -> HttpResponse:
    """Once per screen: the center's administrator pastes the token `motcua queue kiosk-token`
    printed; it is kept in a signed HttpOnly cookie."""
    if request.method == "GET":
        device, _ = _kiosk(request)
        return render(
            request, "queueing/kiosk_activate.html", {"device": device, "error": "", "token_max": 200}
        )
    now = clock.now()
    try:
        hit(purpose="kiosk", key=client_key(request), rate=KIOSK_ACTIVATION_RATE, now=now)
    except RateLimited as exc:
        return render(request, "queueing/kiosk_activate.html", {"error": exc.message}, status=429)
    raw = request.POST.get("token", "")
    raw = raw.strip() if len(raw) <= 200 else ""
    try:
        device = kiosk_by_token(raw)
    except KioskUnauthorized:
        message = "Mã không đúng hoặc đã bị thu hồi. Mã là dòng chữ mà lệnh «motcua queue kiosk-token» in ra."
        return render(
            request, "queueing/kiosk_activate.html", {"error": message, "token_max": 200}, status=422
        )
    kiosk_touch(device, now=now)
    response = redirect("queueing:kiosk")
    response.set_signed_cookie(
        KIOSK_COOKIE, raw, salt=_KIOSK_SALT, max_age=_KIOSK_AGE, httponly=True, samesite="Strict",
        secure=_secure(request),
    )  # fmt: skip
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    """The kiosk's start: the center's groups as huge buttons; `?nhom=B` asks «Bạn thuộc diện ưu
    tiên?»; the POST issues the ticket (source KIOSK) and shows it for printing."""
    device, reason = _kiosk(request)
    if device is None:
        if not reason:
            return redirect("queueing:kiosk_activate")
        return _to_activation(request, reason)
    commune = device.commune
    now = clock.now()
    if request.method == "POST":
        try:
            t = ticket_issue(
                commune=commune, group_letter=request.POST.get("group", ""), priority=_priority(request),
                now=now, source=TicketSource.KIOSK, kiosk=device, priority_reason=_priority_reason(request),
            )  # fmt: skip
        except DomainError as exc:
            groups = groups_with_waiting(commune=commune, day=local_day(now))
            context = {"device": device, "commune": commune, "groups": groups, "error": exc.message}
            return render(request, "queueing/kiosk.html", context, status=exc.status)
        kiosk_touch(device, now=now)
        return redirect("queueing:kiosk_ticket", pk=t.pk, secret=t.secret)
    groups = groups_with_waiting(commune=commune, day=local_day(now))
    chosen = request.GET.get("nhom", "")[:2].strip().upper()
    group = next((g for g in groups if g.letter == chosen), None)
    context = {
        "device": device,
        "commune": commune,
        "groups": groups,
        "group": group,
        "categories": PRIORITY_CATEGORIES,
        "error": "" if group or not chosen else "Nhóm dịch vụ này không có hoặc đang tạm ngừng lấy số.",
    }
    return render(request, "queueing/kiosk.html", context)


def _qr(url: str, *, title: str, scale: int) -> str:
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#000", title=title)


@never_cache
@require_GET
def kiosk_ticket(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The ticket the kiosk just issued, laid out for 80 mm thermal paper; kiosk.js prints it and
    returns to the start after KIOSK_RETURN_SECONDS. Only the kiosk that issued it shows it."""
    device, reason = _kiosk(request)
    if device is None:
        if reason:
            return _to_activation(request, reason)
        return _not_found(request, "Không tìm thấy số thứ tự.")
    try:
        t = ticket_public(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    if t.kiosk_id != device.pk:
        return _not_found(request, "Không tìm thấy số thứ tự.")
    phone_url = f"{settings.MOTCUA_PUBLIC_URL}{reverse('queueing:ticket', args=[t.pk, t.secret])}"
    context = _ticket_context(t) | {
        "device": device,
        "qr_svg": _qr(phone_url, title="Mã QR theo dõi số thứ tự", scale=3),
        "return_seconds": KIOSK_RETURN_SECONDS,
    }
    return render(request, "queueing/kiosk_ticket.html", context)


# --------------------------------------------------------------------------------------------
# the QR poster
# --------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """The center's A4 poster: a big QR to its phone page, the groups and the opening hours. For
    its own staff (commune administrator, counter officer) only: another commune's is a 404."""
    user = request.user
    assert isinstance(user, User)
    try:
        commune = center_by_code(code)
    except (NotFound, ValidationFailed):
        return _not_found(request, "Không tìm thấy trung tâm này.")
    if user.commune_id != commune.pk:
        return _not_found(request, "Không tìm thấy trung tâm này.")
    if not user.has_role(Role.ADMIN, Role.COUNTER_OFFICER):
        raise NotAllowed("Chỉ quản trị xã, phường và cán bộ một cửa in được áp phích lấy số.")
    url = f"{settings.MOTCUA_PUBLIC_URL}{reverse('queueing:take', args=[commune.code])}"
    profile = CommuneProfile.objects.filter(commune=commune).first()
    context = {
        "commune": commune,
        "profile": profile,
        "url": url,
        "qr_svg": _qr(url, title="Mã QR lấy số thứ tự", scale=14),
        "groups": groups_with_waiting(commune=commune, day=local_day(clock.now())),
    }
    return render(request, "queueing/poster.html", context)
