"""Open311 GeoReport v2 under /open311/v2/: discovery, services, service definitions, requests
(GET and POST), requests/{id}, tokens/{token}; each in .json and .xml. Errors are the
specification's array `[{code, description}]` with 400 / 403 / 404 (429 past the rate limit).

GETs are public (what they answer carries no personal data); POST needs the api_key of the
commune, issued with `motcua open311-key <commune code>`. `jurisdiction_id` is the commune's code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core import clock, ratelimit
from motcua.core.errors import RateLimited

from . import selectors, services
from .errors import Open311Error
from .keys import open311_key_for
from .xml import render

FORMATS = ("json", "xml")
READ_RATE = "600/60"
WRITE_RATE = "30/60"

Data = Sequence[Mapping[str, Any]] | Mapping[str, Any]


def answer(fmt: str, data: Data, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(render(root, item, data), status=status, content_type="text/xml; charset=utf-8")
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    data = [{"code": status, "description": description}]
    return answer(fmt if fmt in FORMATS else "json", data, root="errors", item="error", status=status)


def open311(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The format checked, the client's read rate counted, Open311Errors answered as arrays."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            return error("json", 404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")
        try:
            ratelimit.hit(
                purpose="open311",
                key=ratelimit.client_key(request),
                rate=getattr(settings, "MOTCUA_OPEN311_READ_RATE", READ_RATE),
                now=clock.now(),
            )
            for name, value in request.GET.items():
                if "\x00" in value or "\x00" in name or len(value) > 2000:
                    raise Open311Error(400, f"Tham số {name[:40]} không hợp lệ.")
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)
        except RateLimited as exc:
            return error(fmt, 429, exc.message)
        except SuspiciousOperation:  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields
            return error(fmt, 400, "Yêu cầu quá lớn hoặc có quá nhiều tham số.")

    return wrapper


def _jurisdiction(request: HttpRequest) -> Any:
    return selectors.jurisdiction(services.param(request.GET, "jurisdiction_id"))


@require_GET
@open311
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = settings.MOTCUA_PUBLIC_URL.rstrip("/") + reverse("open311:root")
    return answer(fmt, selectors.discovery(base), root="discovery")


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    """The endpoint's base URL: the discovery document."""
    return redirect("open311:discovery", fmt="json")


@require_GET
@open311
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    commune = _jurisdiction(request)
    return answer(fmt, selectors.services(commune), root="services", item="service")


@require_GET
@open311
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    commune = _jurisdiction(request)
    category = selectors.category_for(commune, service_code)
    return answer(fmt, selectors.service_definition(category), root="service_definition")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@open311
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    commune = _jurisdiction(request)
    query = request.GET
    ids_raw = services.param(
        query, "service_request_id", limit=selectors.IDS_LIMIT * (selectors.ID_LIMIT + 1)
    )
    ids = [i.strip() for i in ids_raw.split(",") if i.strip()]
    if len(ids) > selectors.IDS_LIMIT:
        raise Open311Error(400, f"service_request_id: tối đa {selectors.IDS_LIMIT} mã.")
    for one in ids:
        selectors.check_id(one)
    service_code = services.param(query, "service_code")
    start_raw, end_raw = (
        services.param(query, "start_date", limit=40),
        services.param(query, "end_date", limit=40),
    )
    start = selectors.parse_moment(start_raw, name="start_date") if start_raw else None
    end = selectors.parse_moment(end_raw, name="end_date") if end_raw else None
    status_raw = services.param(query, "status", limit=20)
    statuses = frozenset(s.strip().lower() for s in status_raw.split(",") if s.strip())
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, "status chỉ nhận open hoặc closed.")
    data = selectors.requests_list(
        commune, now=clock.now(), ids=ids, service_code=service_code, start=start, end=end, statuses=statuses
    )
    return answer(fmt, data, root="service_requests", item="request")


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    key = open311_key_for(data.get("api_key"))  # absent, long or with a NUL: no key, a 403
    if key is None:
        raise Open311Error(403, "api_key không hợp lệ hoặc đã bị thu hồi.")
    commune = selectors.jurisdiction(services.param(data, "jurisdiction_id"), key=key)
    now = clock.now()
    ratelimit.hit(
        purpose="open311-post",
        key=f"{key.pk}|{ratelimit.client_key(request)}",
        rate=getattr(settings, "MOTCUA_OPEN311_WRITE_RATE", WRITE_RATE),
        now=now,
    )
    item = services.request_create(data=data, key=key, commune=commune, now=now)
    return answer(fmt, services.created_data(item), root="service_requests", item="request")


@require_GET
@open311
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    commune = selectors.jurisdiction_of_request(services.param(request.GET, "jurisdiction_id"), request_id)
    data = [selectors.request_one(commune, request_id)]
    return answer(fmt, data, root="service_requests", item="request")


@require_GET
@open311
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    raw = services.param(request.GET, "jurisdiction_id")
    commune = selectors.jurisdiction(raw) if raw else None  # none: the token's own commune
    return answer(fmt, selectors.token_lookup(commune, token), root="service_requests", item="request")
