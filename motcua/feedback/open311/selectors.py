"""Open311 reads: the jurisdiction, the services (the commune's active feedback categories) and
their definitions, the service requests (feedback items) as GeoReport v2 dictionaries.

What an Open311 answer carries is public, and no more than the public list (/gop-y/…/danh-sach/)
shows: the title, the state's label and the resolution, the neighbourhood, coordinates rounded to
~100 m. Only an item that came in through Open311 itself carries what its app sent (the full
description, the address, exact coordinates). Never the reporter's name, phone or e-mail; a phone
number or an e-mail address typed into any text is masked too (`scrub`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet
from unidecode import unidecode

from motcua.core.text import mask_digits
from motcua.feedback.models import (
    OPEN_STATES,
    Category,
    Channel,
    FeedbackItem,
    Neighbourhood,
    Open311Key,
    State,
)
from motcua.geo.models import Commune

from .errors import Open311Error

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-02-10T00:00:00+07:00"
ID_LIMIT = 40  # a feedback code is PA-<commune>-<yymmdd>-<nnnn>: far shorter
IDS_LIMIT = 100  # service_request_id=a,b,c… at most this many
LIST_LIMIT = 1000  # the specification's advice: at most 1000 requests per answer
DEFAULT_DAYS = 90  # without dates: the last 90 days

_JURISDICTION = re.compile(r"[0-9]{1,10}")
# A Vietnamese phone number however it is typed: +84 905 123 478, 84905123478, (+84)905123478,
# (84) 905.123.478, 0905-123-478, (0236) 3822 123: the prefix, then 9 or 10 digits with up to
# three spaces, dots, dashes or brackets between any two. Not inside a longer number.
_SEP = r"[\s.\-()]{0,3}"
_PHONE_LIKE = re.compile(
    rf"(?<![0-9])(?<![0-9][.,\-])(?:\(?\+?\(?84\)?|\(?0){_SEP}(?:[0-9]{_SEP}){{7,9}}[0-9](?![0-9])"
)
_EMAIL_LIKE = re.compile(r"[^@＠\s]{1,64}[@＠][^@＠\s]{1,190}\.[A-Za-z]{2,}")
COORDINATE_DECIMALS = 3  # ~100 m: the street, not the house
_CODE_COMMUNE = re.compile(r"PA-([0-9]{1,10})-")

ATTRIBUTE_NEIGHBOURHOOD = "neighbourhood"
ATTRIBUTE_LANDMARK = "landmark"
LANDMARK_LIMIT = 200


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the local offset, whole seconds: 2026-02-10T09:00:00+07:00."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).replace(microsecond=0).isoformat()


def served_communes() -> QuerySet[Commune]:
    """Communes that take feedback (an active category): the installation's jurisdictions."""
    return Commune.objects.filter(feedback_categories__active=True).distinct()


def jurisdiction(raw: str | None, *, key: Open311Key | None = None) -> Commune:
    """The commune named by `jurisdiction_id` (its code). Missing: the key's commune, or the one
    commune of an installation that serves one; otherwise a 400."""
    if raw is None or raw == "":
        if key is not None:
            return key.commune
        communes = list(served_communes().order_by("code")[:2])
        if len(communes) == 1:
            return communes[0]
        raise Open311Error(400, "Thiếu jurisdiction_id (mã xã, phường).")
    if not _JURISDICTION.fullmatch(raw):
        raise Open311Error(400, "jurisdiction_id (mã xã, phường) không hợp lệ.")
    commune = served_communes().filter(code=int(raw)).first()
    if commune is None:
        raise Open311Error(404, f"Không có xã, phường mã {raw} nhận phản ánh qua Open311.")
    if key is not None and key.commune_id != commune.pk:
        raise Open311Error(403, "api_key không thuộc xã, phường này.")
    return commune


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "Bộ phận Một cửa của xã, phường (jurisdiction_id là mã xã, phường).",
        "key_service": "Cán bộ vận hành cấp khoá bằng lệnh: motcua open311-key <mã xã, phường>.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def categories(commune: Commune) -> QuerySet[Category]:
    return Category.objects.filter(commune=commune, active=True).select_related("department")


def service_data(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"Hạn xử lý: {category.deadline_days} ngày làm việc.",
        "metadata": True,
        "type": "realtime",
        "keywords": None,
        "group": category.department.name if category.department else None,
    }


def services(commune: Commune) -> list[dict[str, Any]]:
    return [service_data(c) for c in categories(commune)]


def category_for(commune: Commune, code: str) -> Category:
    if len(code) > ID_LIMIT or "\x00" in code:
        raise Open311Error(400, "service_code không hợp lệ.")
    category = categories(commune).filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"Không có lĩnh vực (service_code) «{code}».")
    return category


def neighbourhoods(commune: Commune) -> QuerySet[Neighbourhood]:
    return Neighbourhood.objects.filter(commune=commune, active=True).order_by("name", "pk")


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": ATTRIBUTE_NEIGHBOURHOOD,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "Chọn một tổ dân phố, khu phố hoặc thôn.",
                "order": 1,
                "description": "Tổ dân phố, khu phố hoặc thôn nơi xảy ra sự việc.",
                "values": [{"key": str(n.pk), "name": n.name} for n in neighbourhoods(category.commune)],
            },
            {
                "variable": True,
                "code": ATTRIBUTE_LANDMARK,
                "datatype": "string",
                "required": False,
                "datatype_description": f"Tối đa {LANDMARK_LIMIT} ký tự.",
                "order": 2,
                "description": "Điểm mốc gần nơi xảy ra sự việc (ví dụ: trước nhà số 12, gần chợ).",
            },
        ],
    }


# ---- service requests -------------------------------------------------------------------------


def _fold_char(char: str) -> str:
    """One character compared without case or diacritics (ễ, Ễ → e; đ → d), still one character
    so that a match's position in the folded text is its position in the text."""
    for folded in (unidecode(char).casefold(), char.casefold(), char.lower()):
        if len(folded) == 1:
            return folded
    return char


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def scrub(text: str, item: FeedbackItem) -> str:
    """The text (NFC) without the reporter's name, phone or e-mail, in any case, with or without
    diacritics, nor any phone number or e-mail address in it."""
    text = unicodedata.normalize("NFC", text)
    for secret in (item.reporter_name, item.reporter_phone, item.reporter_email):
        words = _fold(unicodedata.normalize("NFC", secret or "")).split()
        if len("".join(words)) < 3:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")
        spans = [m.span() for m in pattern.finditer(_fold(text))]
        for start, end in reversed(spans):
            text = text[:start] + "***" + text[end:]
    text = _EMAIL_LIKE.sub("***", text)
    return _PHONE_LIKE.sub(lambda m: mask_digits(re.sub(r"[^0-9]", "", m.group(0))), text)


def status_of(item: FeedbackItem) -> str:
    return "open" if item.state in OPEN_STATES else "closed"


def status_notes(item: FeedbackItem) -> str:
    """The state's label, and the resolution once resolved (as the public list shows): never a
    rejection, duplicate or escalation reason (officers write those for officers)."""
    label = State(item.state).label
    note = item.resolution if item.state in (State.RESOLVED, State.CLOSED) else ""
    return scrub(f"{label}: {note}" if note else label, item)


def items(commune: Commune) -> QuerySet[FeedbackItem]:
    return (
        FeedbackItem.objects.filter(commune=commune)
        .select_related("category", "department", "neighbourhood", "commune")
        .annotate(updated=Max("events__at"))
    )


def from_open311(item: FeedbackItem) -> bool:
    return item.channel == Channel.OPEN311


def address_of(item: FeedbackItem) -> str | None:
    """The neighbourhood and the commune; the free-text address only when an app sent it."""
    street = scrub(item.address, item) if from_open311(item) else ""
    parts = [street, item.neighbourhood.name if item.neighbourhood else "", item.commune.name]
    return ", ".join(p for p in parts if p) or None


def coordinate(value: Any, item: FeedbackItem) -> float | None:
    if value is None:
        return None
    return float(value) if from_open311(item) else round(float(value), COORDINATE_DECIMALS)


def description_of(item: FeedbackItem) -> str:
    """The title, as the public list shows; an app's own item: the description it sent."""
    text = (item.description or item.title) if from_open311(item) else item.title
    return scrub(text, item)


def request_data(item: FeedbackItem) -> dict[str, Any]:
    """One item as a GeoReport v2 service request: what the public list shows, no personal data."""
    updated = getattr(item, "updated", None) or item.received_at
    return {
        "service_request_id": item.code,
        "status": status_of(item),
        "status_notes": status_notes(item),
        "service_name": item.category.name,
        "service_code": item.category.code,
        "description": description_of(item),
        "agency_responsible": item.department.name if item.department else item.commune.name,
        "service_notice": None,
        "requested_datetime": iso(item.received_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(item.due_at),
        "address": address_of(item),
        "address_id": None,
        "zipcode": None,
        "lat": coordinate(item.latitude, item),
        "long": coordinate(item.longitude, item),
        "media_url": None,
    }


def jurisdiction_of_request(raw: str | None, request_id: str) -> Commune:
    """`jurisdiction_id`, or when it is missing the commune in the code: PA-<commune>-…"""
    if not raw:
        check_id(request_id)
        found = _CODE_COMMUNE.match(request_id)
        if found is not None:
            return jurisdiction(found.group(1))
    return jurisdiction(raw)


def request_one(commune: Commune, request_id: str) -> dict[str, Any]:
    check_id(request_id)
    item = items(commune).filter(code=request_id).first()
    if item is None:
        raise Open311Error(404, f"Không có phản ánh mã «{request_id}».")
    return request_data(item)


def check_id(value: str, *, name: str = "service_request_id") -> None:
    if not value or len(value) > ID_LIMIT or "\x00" in value or not value.isprintable():
        raise Open311Error(400, f"{name} không hợp lệ.")


YEARS = (2000, 2100)  # a date outside these is a mistake (and 0001 or 9999 overflows in UTC)


def parse_moment(raw: str, *, name: str) -> dt.datetime:
    if len(raw) > 40 or "\x00" in raw:
        raise Open311Error(400, f"{name} không hợp lệ.")
    try:
        moment = dt.datetime.fromisoformat(raw)
        moment = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment
        moment.astimezone(dt.UTC)  # the database compares in UTC: must not overflow
    except (ValueError, OverflowError):
        raise Open311Error(
            400, f"{name} phải là ngày giờ ISO 8601 (ví dụ 2026-02-10T00:00:00+07:00)."
        ) from None
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise Open311Error(400, f"{name} phải trong các năm {YEARS[0]}–{YEARS[1]}.")
    return moment


def requests_list(
    commune: Commune,
    *,
    now: dt.datetime,
    ids: Iterable[str] = (),
    service_code: str = "",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The commune's requests: the ids named (then the other filters are ignored, as the
    specification says), else by service, time (the last 90 days by default) and status."""
    qs = items(commune)
    ids = list(ids)
    if ids:
        qs = qs.filter(code__in=ids)
    else:
        if service_code:
            qs = qs.filter(category__code=service_code)
        if start is None and end is None:
            start = now - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            qs = qs.filter(received_at__gte=start)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    return [request_data(item) for item in qs.order_by("-received_at", "-id")[:LIST_LIMIT]]


def token_lookup(commune: Commune | None, token: str) -> list[dict[str, Any]]:
    """The request a POST's token became; without a commune (no jurisdiction_id), wherever the
    token is (tokens are unique across the installation)."""
    check_id(token, name="token")
    qs = FeedbackItem.objects.filter(open311_token=token)
    if commune is not None:
        qs = qs.filter(commune=commune)
    item = qs.only("code").first()
    if item is None:
        raise Open311Error(404, "Không có token này.")
    return [{"service_request_id": item.code, "token": token}]
