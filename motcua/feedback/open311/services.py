"""Open311's one write: POST requests — a service request from an app becomes a feedback item
through `feedback_create` (channel OPEN311, the key it came with, a token, the definition's
attribute values)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.datastructures import MultiValueDict

from motcua.core.errors import ValidationFailed
from motcua.feedback.models import Channel, FeedbackItem, Open311Key
from motcua.feedback.services import Reporter, clean_field, feedback_create
from motcua.geo.models import Commune

from . import selectors
from .errors import Open311Error

_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,40})\](\[\])?")
TITLE_LIMIT = 200
# Parameters of the specification we read, with their length limits.
LIMITS = {
    "api_key": 100,
    "jurisdiction_id": 10,
    "service_code": selectors.ID_LIMIT,
    "lat": 40,
    "long": 40,
    "address_string": 300,
    "address_id": 100,
    "email": 254,
    "device_id": 100,
    "account_id": 100,
    "first_name": 75,
    "last_name": 75,
    "phone": 20,
    "description": 4000,
    "media_url": 500,
}


def param(data: Mapping[str, Any], name: str, *, limit: int | None = None) -> str:
    """One parameter's value ("" when absent); a NUL or an over-long value is a 400."""
    value = data.get(name)
    if value is None:
        return ""
    value = str(value)
    if "\x00" in value:
        raise Open311Error(400, f"{name}: có ký tự không hợp lệ.")
    if len(value) > (limit or LIMITS.get(name, 200)):
        raise Open311Error(400, f"{name}: tối đa {limit or LIMITS.get(name, 200)} ký tự.")
    return value.strip()


def attributes_from(data: MultiValueDict[str, str], commune: Commune) -> tuple[dict[str, str], Any]:
    """The `attribute[code]` values, checked against the service definition: the cleaned values
    and the neighbourhood chosen (or None)."""
    values: dict[str, str] = {}
    neighbourhood = None
    for key in data:
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE.fullmatch(key)
        if not match:
            raise Open311Error(400, "Tham số attribute không hợp lệ (dạng attribute[mã]).")
        code = match.group(1)
        given = data.getlist(key)
        if code not in (selectors.ATTRIBUTE_NEIGHBOURHOOD, selectors.ATTRIBUTE_LANDMARK):
            raise Open311Error(400, f"Không có thuộc tính «{code[:40]}» trong định nghĩa dịch vụ.")
        if len(given) != 1 or match.group(2):
            raise Open311Error(400, f"Thuộc tính {code} chỉ nhận một giá trị.")
        raw = given[0]
        if "\x00" in raw:
            raise Open311Error(400, f"Thuộc tính {code}: có ký tự không hợp lệ.")
        if code == selectors.ATTRIBUTE_NEIGHBOURHOOD:
            raw = raw.strip()
            if not raw:
                continue
            if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
                raise Open311Error(400, "Thuộc tính neighbourhood: hãy chọn một giá trị trong danh sách.")
            neighbourhood = selectors.neighbourhoods(commune).filter(pk=int(raw)).first()
            if neighbourhood is None:
                raise Open311Error(400, "Thuộc tính neighbourhood: hãy chọn một giá trị trong danh sách.")
            values[code] = raw
        else:
            if len(raw) > selectors.LANDMARK_LIMIT:
                raise Open311Error(400, f"Thuộc tính landmark: tối đa {selectors.LANDMARK_LIMIT} ký tự.")
            landmark = clean_field(raw, label="Điểm mốc", limit=selectors.LANDMARK_LIMIT)
            if landmark:
                values[code] = landmark
    return values, neighbourhood


def _title(description: str, fallback: str) -> str:
    line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not line:
        return fallback
    return line if len(line) <= TITLE_LIMIT else line[: TITLE_LIMIT - 1].rstrip() + "…"


def _media_url(raw: str) -> str:
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or not raw.isprintable():
        raise Open311Error(400, "media_url phải là một địa chỉ http(s).")
    return raw


def request_create(
    *, data: MultiValueDict[str, str], key: Open311Key, commune: Commune, now: dt.datetime
) -> FeedbackItem:
    """A POSTed service request → a new feedback item (state NEW). Errors are Open311Errors."""
    for name in LIMITS:
        param(data, name)
    service_code = param(data, "service_code")
    if not service_code:
        raise Open311Error(400, "Thiếu service_code.")
    category = selectors.categories(commune).filter(code=service_code).first()
    if category is None:
        raise Open311Error(400, f"service_code «{service_code}» không có ở xã, phường này.")
    attributes, neighbourhood = attributes_from(data, commune)
    lat, lng = param(data, "lat"), param(data, "long")
    address = param(data, "address_string")
    address_id = param(data, "address_id")
    if bool(lat) != bool(lng):
        raise Open311Error(400, "Hãy gửi cả lat và long.")
    if not (lat or address or address_id or neighbourhood):
        raise Open311Error(
            400,
            "Thiếu vị trí: hãy gửi lat và long, address_string, address_id hoặc attribute[neighbourhood].",
        )
    if address_id:
        attributes["address_id"] = clean_field(address_id, label="address_id", limit=100)
    media_url = _media_url(param(data, "media_url"))
    if media_url:
        attributes["media_url"] = media_url
    description = param(data, "description")
    name = " ".join(p for p in (param(data, "last_name"), param(data, "first_name")) if p)
    reporter = Reporter(name=name, phone=param(data, "phone"), email=param(data, "email"))
    try:
        with transaction.atomic():
            item = feedback_create(
                commune=commune,
                channel=Channel.OPEN311,
                category=category,
                title=_title(description, category.name),
                description=description,
                neighbourhood=neighbourhood,
                address=address,
                latitude=lat or None,
                longitude=lng or None,
                reporter=reporter,
                actor_label=key.name[:100],
                attributes=attributes,
                open311_key=key,
                open311_token=secrets.token_urlsafe(16),
                now=now,
            )
            Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    except ValidationFailed as exc:
        raise Open311Error(400, exc.message) from exc
    return item


def created_data(item: FeedbackItem) -> list[dict[str, Any]]:
    """The POST's answer: the id at once (requests are created synchronously)."""
    due = item.due_at.astimezone(selectors.LOCAL_TZ)
    return [
        {
            "service_request_id": item.code,
            "service_notice": f"Đã tiếp nhận phản ánh {item.code}. Hạn xử lý: {due:%d/%m/%Y}.",
        }
    ]
