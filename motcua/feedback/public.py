"""The residents' side of feedback (issue 9 §1, §4): the online form, following an item by its code
and a second factor (the last 4 digits of the phone given, or the secret of the confirmation
link), the reporter's own steps (rate, reopen, no more notices) and the commune's public list.

Reads here never return personal data to the public: the public list shows an item's code, title,
category, neighbourhood, state, dates and resolution only; the reporter's own page shows what the
reporter gave, and of the staff only the department. Every reporter step goes through
`workflow.feedback_apply(as_=Actor.REPORTER)`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from motcua.core import ratelimit
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.notify.models import OptOut
from motcua.notify.services import address_hash, notify
from motcua.notify.texts import _fit, sms_fits

from . import photos
from .models import (
    FINAL_STATES,
    OPEN_STATES,
    Category,
    Channel,
    FeedbackEvent,
    FeedbackItem,
    FeedbackPhoto,
    Neighbourhood,
    PhotoKind,
    State,
)
from .services import LOCAL_TZ, Reporter, clean_field, feedback_create
from .workflow import Action, Actor, feedback_apply

CODE_RE = re.compile(r"PA-[0-9]{1,9}-[0-9]{6}-[0-9]{4,6}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_PHONE4 = re.compile(r"[0-9]{4}")
NOT_FOUND = "Không tìm thấy phản ánh với mã và 4 số cuối điện thoại này. Hãy kiểm tra lại."
_LINK_NOT_FOUND = "Không tìm thấy phản ánh. Đường dẫn theo dõi không đúng hoặc đã bị thay đổi."
PAGE_SIZE = 20

# Rate purposes (their messages are ratelimit's default Vietnamese one).
SUBMIT_PURPOSE = "feedback-submit"
LOOKUP_PURPOSE = "lookup"
LINK_PURPOSE = "qr"
ACT_PURPOSE = "feedback-act"
PHOTO_PURPOSE = "feedback-photo"


def submit_rate() -> str:
    return str(getattr(settings, "MOTCUA_FEEDBACK_SUBMIT_RATE", settings.MOTCUA_SUBMIT_RATE))


# ---------------------------------------------------------------------------------- the commune


def commune_for_code(code: object) -> Commune:
    """The commune of a public address (`/gop-y/<code>/`); NotFound for anything else."""
    text = str(code or "")
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise NotFound("Không tìm thấy xã, phường này.")
    commune = Commune.objects.filter(pk=int(text)).select_related("province").first()
    if commune is None:
        raise NotFound("Không tìm thấy xã, phường này.")
    return commune


def categories_for(commune: Commune) -> QuerySet[Category]:
    return Category.objects.filter(commune=commune, active=True)


def neighbourhoods_for(commune: Commune) -> QuerySet[Neighbourhood]:
    return Neighbourhood.objects.filter(commune=commune, active=True)


def _pick(qs: QuerySet[Any], raw: object, *, label: str, required: bool) -> Any:
    text = str(raw or "").strip()
    if not text:
        if required:
            raise ValidationFailed(f"Hãy chọn {label}.", code="required")
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise ValidationFailed(f"{label.capitalize()} không hợp lệ.", code="bad_choice")
    found = qs.filter(pk=int(text)).first()
    if found is None:
        raise ValidationFailed(f"{label.capitalize()} không có trong danh sách.", code="bad_choice")
    return found


# ---------------------------------------------------------------------------------- the form


@dataclass(frozen=True)
class Submission:
    category: str = ""
    neighbourhood: str = ""
    address: str = ""
    title: str = ""
    description: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    consent: bool = False


RECEIVED_SMS = "{commune} da nhan phan anh {code}, han tra loi {due}. Theo doi: {url} (ma + 4 so cuoi SDT)"


def received_sms(*, commune: str, code: str, due: str, url: str) -> str:
    """One SMS (≤ 160 characters without diacritics) whatever the public address's length: the
    «(ma + 4…)» hint goes first, then the address, and a text still too long is cut at a word."""
    full = RECEIVED_SMS.format(commune=commune, code=code, due=due, url=url)
    for text in (full, full.split(" (ma + ", 1)[0], full.split(" Theo doi: ", 1)[0]):
        if sms_fits(text):
            return text
    return _fit(full.split(" Theo doi: ", 1)[0])


def photo_rate() -> str:
    """A page of the reporter's photos is up to MAX_PHOTOS requests: that many times the lookup rate."""
    rate = ratelimit.parse_rate()
    return f"{rate.limit * photos.MAX_PHOTOS}/{rate.window}"


def public_submit(
    *,
    commune: Commune,
    form: Submission,
    client: str,
    now: dt.datetime,
    uploads: list[UploadedFile] | None = None,
) -> FeedbackItem:
    """A resident's item from the online form, with up to 3 photos (checked by content before
    anything is written: feedback.photos). The client's attempt is counted first (a refused form
    counts too); a resident who consents and gives a phone or e-mail is told the code."""
    ratelimit.hit(purpose=SUBMIT_PURPOSE, key=client, rate=submit_rate(), now=now)
    checked = photos.check_photos(uploads or [])
    category = _pick(categories_for(commune), form.category, label="lĩnh vực", required=True)
    neighbourhood = _pick(neighbourhoods_for(commune), form.neighbourhood, label="tổ dân phố", required=False)
    reporter = Reporter(name=form.name, phone=form.phone, email=form.email)
    if form.consent and not (str(form.phone or "").strip() or str(form.email or "").strip()):
        raise ValidationFailed(
            "Muốn nhận thông báo, hãy ghi số điện thoại hoặc thư điện tử.", code="no_contact"
        )
    with transaction.atomic():
        item = feedback_create(
            commune=commune, channel=Channel.ONLINE, category=category, title=form.title,
            description=form.description, neighbourhood=neighbourhood, address=form.address,
            reporter=reporter, now=now, actor_label="Người phản ánh (trực tuyến)",
        )  # fmt: skip
        photos.photos_attach(item=item, photos=checked, kind=PhotoKind.REPORT, actor=None, now=now)
        if not form.consent:
            # The contact stays for the second factor and the handlers; no notice is sent.
            FeedbackItem.objects.filter(pk=item.pk).update(notify_opt_out=True)
            item.notify_opt_out = True
        else:
            _tell_received(item, now=now)
    return item


def _tell_received(item: FeedbackItem, *, now: dt.datetime) -> None:
    """The code by SMS/Zalo (the lookup's address: code + phone digits, one SMS) and by e-mail
    (the link with the secret), once per item."""
    ref, key = f"feedback.item:{item.pk}", f"feedback:{item.pk}:received"
    due = item.due_at.astimezone(LOCAL_TZ)
    if item.reporter_phone:
        url = settings.MOTCUA_PUBLIC_URL + reverse("feedback_public:lookup")
        text = received_sms(commune=_ascii_name(item.commune), code=item.code, due=f"{due:%d/%m}", url=url)
        notify(
            topic="feedback.received", subject_ref=ref, commune=item.commune, text=text, now=now,
            dedupe_key=key, phone=item.reporter_phone,
        )  # fmt: skip
    if item.reporter_email:
        link = settings.MOTCUA_PUBLIC_URL + reverse("feedback_public:track", args=[item.code, item.secret])
        text = (
            f"{item.commune.name} đã nhận phản ánh {item.code} «{item.title}». Hạn trả lời: "
            f"{due:%d/%m/%Y}. Theo dõi, đánh giá kết quả tại: {link}"
        )
        notify(
            topic="feedback.received", subject_ref=ref, commune=item.commune, text=text, now=now,
            dedupe_key=key, email=item.reporter_email, email_subject=f"Đã nhận phản ánh {item.code}",
        )  # fmt: skip


def _ascii_name(commune: Commune) -> str:
    from motcua.core.text import fold

    return fold(commune.name).title()


# ---------------------------------------------------------------------------------- following


def valid_code(raw: object) -> str:
    code = str(raw or "").strip().upper()
    if not code:
        raise ValidationFailed("Hãy nhập mã phản ánh (ví dụ PA-20209-260210-0001).", code="required")
    if not CODE_RE.fullmatch(code):
        raise ValidationFailed(
            "Mã phản ánh không hợp lệ: dạng PA-<mã xã>-<ngày>-<số>, ví dụ PA-20209-260210-0001.",
            code="bad_code",
        )
    return code


def valid_last4(raw: object) -> str:
    phone = str(raw or "").strip()
    if not _PHONE4.fullmatch(phone):
        raise ValidationFailed("Hãy nhập đúng 4 chữ số cuối của số điện thoại đã ghi.", code="bad_phone")
    return phone


def reporter_lookup(*, code: object, phone_last4: object, client: str, now: dt.datetime) -> FeedbackItem:
    """Code + the last 4 digits of the phone given, with the dossier lookup's defences: the
    client's attempts are counted (MOTCUA_LOOKUP_RATE); a code is locked after
    MOTCUA_LOOKUP_CODE_FAILURES wrong digits from any address (even the right ones are refused
    then); a wrong code and wrong digits give the same answer and both count against the code."""
    code, last4 = valid_code(code), valid_last4(phone_last4)
    ratelimit.hit(purpose=LOOKUP_PURPOSE, key=client, now=now)
    if ratelimit.code_is_locked(code=code, now=now):
        raise code_locked_error()
    item = FeedbackItem.objects.filter(code=code).first()
    phone = item.reporter_phone if item is not None else ""
    if item is None or not (len(phone) >= 4 and hmac.compare_digest(last4, phone[-4:])):
        ratelimit.count_failure(code=code, now=now)
        raise NotFound(NOT_FOUND)
    return item


def code_locked_error() -> RateLimited:
    minutes = max(1, round(ratelimit.lock_seconds() / 60))
    return RateLimited(
        f"Mã phản ánh này đang tạm khóa tra cứu bằng số điện thoại vì đã nhập sai nhiều lần. Vui lòng "
        f"thử lại sau {minutes} phút, hoặc mở đường dẫn theo dõi đã nhận khi gửi phản ánh.",
        code="code_locked",
    )


def reporter_item(*, code: object, secret: object) -> FeedbackItem:
    """The item of a confirmation link (code + secret): the same NotFound for every mismatch."""
    code_s = clean_text(str(code or "")).strip().upper()
    secret_s = clean_text(str(secret or "")).strip()
    if not CODE_RE.fullmatch(code_s) or not _SECRET_RE.fullmatch(secret_s):
        raise NotFound(_LINK_NOT_FOUND)
    item = (
        FeedbackItem.objects.filter(code=code_s)
        .select_related("commune", "category", "neighbourhood", "department")
        .first()
    )
    if item is None or not hmac.compare_digest(secret_s, item.secret):
        raise NotFound(_LINK_NOT_FOUND)
    return item


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    label: str
    note: str = ""


_PLAIN = {
    "create": "Đã tiếp nhận phản ánh",
    "assign": "Đã giao xử lý",
    "start": "Bắt đầu xử lý",
    "resolve": "Đã giải quyết",
    "resolve_on_spot": "Đã giải quyết ngay tại chỗ",
    "close": "Đã đóng phản ánh",
    "reject": "Không thụ lý",
    "duplicate": "Trùng với phản ánh khác",
    "escalate": "Đã chuyển lên cấp tỉnh (vượt thẩm quyền của xã, phường)",
    "province_resolve": "Cấp tỉnh đã giải quyết",
    "province_return": "Cấp tỉnh đã trả lời, xã, phường tiếp tục xử lý",
    "reopen": "Bạn đã mở lại phản ánh",
    "rate": "Bạn đã đánh giá",
}
# Steps whose note the resident may read: the answer, the reason of a refusal, their own words.
_NOTE_SHOWN = {"resolve", "resolve_on_spot", "reject", "duplicate", "province_resolve", "reopen", "rate"}


def reporter_steps(item: FeedbackItem) -> list[Step]:
    """The item's history in plain words: no officer's name, only the department; the timers'
    internal marks are left out."""
    out = []
    events = FeedbackEvent.objects.filter(item=item).select_related("department").order_by("at", "id")
    for e in events:
        label = _PLAIN.get(e.action)
        if label is None:
            continue
        if e.action == "create":
            label = f"{label} ({e.note.lower()})" if e.note else label
        elif e.action == "assign" and e.department is not None:
            label = f"{label}: {e.department.name}"
        out.append(Step(at=e.at, label=label, note=e.note if e.action in _NOTE_SHOWN else ""))
    return out


def resolution_photos(item: FeedbackItem) -> QuerySet[FeedbackPhoto]:
    return FeedbackPhoto.objects.filter(item=item, kind=PhotoKind.RESOLUTION)


def public_photo(item: FeedbackItem, pk: int) -> FeedbackPhoto:
    """A photo of the item the reporter may see (theirs and the resolution's)."""
    photo = FeedbackPhoto.objects.filter(item=item, pk=pk).first()
    if photo is None:
        raise NotFound("Không tìm thấy ảnh.")
    return photo


def can_rate(item: FeedbackItem) -> bool:
    return item.state in (State.RESOLVED, State.CLOSED) and item.rating is None


def can_reopen(item: FeedbackItem, now: dt.datetime) -> bool:
    window = dt.timedelta(days=int(settings.MOTCUA_FEEDBACK_REOPEN_DAYS))
    return (
        item.state in (State.RESOLVED, State.CLOSED)
        and item.resolved_at is not None
        and now <= item.resolved_at + window
    )


def reopen_until(item: FeedbackItem) -> dt.datetime | None:
    if item.resolved_at is None:
        return None
    return item.resolved_at + dt.timedelta(days=int(settings.MOTCUA_FEEDBACK_REOPEN_DAYS))


def reporter_rate(*, item: FeedbackItem, rating: object, comment: object, now: dt.datetime) -> FeedbackEvent:
    note = clean_field(comment, label="Nhận xét", limit=500)
    return feedback_apply(
        item=item, action=Action.RATE, actor=None, now=now,
        data={"rating": rating, "note": note}, as_=Actor.REPORTER,
    )  # fmt: skip


def reporter_reopen(*, item: FeedbackItem, reason: object, now: dt.datetime) -> FeedbackEvent:
    note = clean_field(reason, label="Lý do mở lại", limit=1000, required=True)
    return feedback_apply(
        item=item, action=Action.REOPEN, actor=None, now=now, data={"note": note}, as_=Actor.REPORTER
    )


def reporter_opt_out(*, item: FeedbackItem, now: dt.datetime) -> None:
    """No more notices for this item, nor to the reporter's phone and e-mail (notify.OptOut)."""
    with transaction.atomic():
        FeedbackItem.objects.filter(pk=item.pk).update(notify_opt_out=True)
        item.notify_opt_out = True
        for address in (item.reporter_phone, item.reporter_email):
            if address:
                OptOut.objects.get_or_create(
                    address_sha256=address_hash(address), defaults={"created_at": now}
                )


# ---------------------------------------------------------------------------------- the public list


@dataclass(frozen=True)
class ListFilter:
    neighbourhood: Neighbourhood | None = None
    category: Category | None = None
    state: str = ""


STATE_FILTERS = {
    "dang-xu-ly": ("Đang xử lý", OPEN_STATES),
    "da-giai-quyet": ("Đã giải quyết", frozenset({State.RESOLVED, State.CLOSED})),
    "khac": ("Không thụ lý, trùng", FINAL_STATES - {State.CLOSED}),
}


def list_filter(commune: Commune, query: Any) -> ListFilter:
    """The list's filters from the query string; unknown values are ignored (a public page)."""

    def pick(qs: QuerySet[Any], raw: object) -> Any:
        try:
            return _pick(qs, raw, label="mục", required=False)
        except ValidationFailed:
            return None

    state = str(query.get("tt", "") or "")
    return ListFilter(
        neighbourhood=pick(neighbourhoods_for(commune), query.get("to")),
        category=pick(categories_for(commune), query.get("lv")),
        state=state if state in STATE_FILTERS else "",
    )


def public_items(*, commune: Commune, filters: ListFilter, page: object) -> Page[Any]:
    """The commune's items, newest first, as the public may see them (values only: no personal
    field ever leaves the database for this page)."""
    qs = FeedbackItem.objects.filter(commune=commune)
    if filters.neighbourhood is not None:
        qs = qs.filter(neighbourhood=filters.neighbourhood)
    if filters.category is not None:
        qs = qs.filter(category=filters.category)
    if filters.state:
        qs = qs.filter(state__in=STATE_FILTERS[filters.state][1])
    rows = qs.order_by("-received_at", "-id").values(
        "code", "title", "state", "received_at", "resolved_at", "resolved_on_spot", "resolution",
        "category__name", "neighbourhood__name", "due_at",
    )  # fmt: skip
    for_page = str(page or "1")
    number = int(for_page) if for_page.isascii() and for_page.isdigit() and len(for_page) < 7 else 1
    return Paginator(rows, PAGE_SIZE).get_page(number)


def neighbourhood_counts(commune: Commune) -> list[dict[str, Any]]:
    """Per neighbourhood: items received, still open, resolved."""
    resolved = Q(items__state__in=[State.RESOLVED, State.CLOSED])
    return list(
        neighbourhoods_for(commune)
        .annotate(
            total=Count("items"),
            open=Count("items", filter=Q(items__state__in=list(OPEN_STATES))),
            resolved=Count("items", filter=resolved),
        )
        .values("pk", "name", "total", "open", "resolved")
    )


def state_label(value: str) -> str:
    return str(State(value).label) if value in State.values else value
