"""Residents' feedback pages (issue 9 §1, §4): small, server-rendered, no JavaScript.

The online form, the confirmation (code, link, QR), following an item by code + the last 4 phone
digits or by the link's secret, the reporter's steps (rate, reopen, no more notices), photos
through a view that checks the secret, and the commune's public list (no personal data).
"""

from __future__ import annotations

import re
from pathlib import Path

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit
from motcua.core.text import clean_text
from motcua.org.models import User

from . import importer, photos, public
from .models import FeedbackItem

FORM_FIELDS = ("category", "neighbourhood", "address", "title", "description", "name", "phone", "email")
_MAX_FIELD = 10_000  # a longer raw value is refused before cleaning (the services' limits are smaller)


def _private(response: HttpResponse) -> HttpResponse:
    """The reporter's pages carry personal data: never kept by a browser or a proxy."""
    patch_cache_control(response, no_store=True, private=True)
    return response


def _raw(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "")
    if len(value) > _MAX_FIELD:
        raise ValidationFailed("Nội dung quá dài.", code="too_long")
    return value


def track_path(item: FeedbackItem) -> str:
    return reverse("feedback_public:track", args=[item.code, item.secret])


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, code: str) -> HttpResponse:
    commune = public.commune_for_code(code)
    context: dict[str, object] = {
        "commune": commune,
        "categories": public.categories_for(commune),
        "neighbourhoods": public.neighbourhoods_for(commune),
        "values": {},
    }
    if request.method == "POST":
        context["values"] = {k: request.POST.get(k, "")[:400] for k in FORM_FIELDS} | {
            "consent": request.POST.get("consent") == "1"
        }
        try:
            form = public.Submission(
                **{k: _raw(request, k) for k in FORM_FIELDS}, consent=request.POST.get("consent") == "1"
            )
            now = clock.now()
            item = public.public_submit(
                commune=commune, form=form, client=client_key(request), now=now,
                uploads=[u for u in request.FILES.getlist("photos") if u.size],
            )  # fmt: skip
        except (ValidationFailed, RateLimited) as exc:
            context["error"] = exc.message
            return _private(render(request, "feedback/public_form.html", context, status=exc.status))
        return redirect("feedback_public:done", code=item.code, secret=item.secret)
    return render(request, "feedback/public_form.html", context)


def _qr(url: str) -> str:
    return str(
        segno.make(url, error="m").svg_inline(
            scale=4, dark="#000", light="#fff", omitsize=True, title="Mã QR theo dõi phản ánh"
        )
    )


@require_GET
def done(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    try:
        hit(purpose=public.LINK_PURPOSE, key=client_key(request), now=clock.now())
        item = public.reporter_item(code=code, secret=secret)
    except RateLimited as exc:
        return _private(render(request, "feedback/public_lookup.html", {"error": exc.message}, status=429))
    url = settings.MOTCUA_PUBLIC_URL + track_path(item)
    context = {"item": item, "track_url": url, "track_path": track_path(item), "qr": _qr(url)}
    return _private(render(request, "feedback/public_done.html", context))


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Code + the last 4 phone digits; the right answer leads to the item's own page."""
    code = clean_text(request.GET.get("ma", "")).strip()[:40]
    context: dict[str, object] = {"code": code}
    if "ma" in request.GET or "sdt" in request.GET:
        try:
            item = public.reporter_lookup(
                code=request.GET.get("ma", ""), phone_last4=request.GET.get("sdt", ""),
                client=client_key(request), now=clock.now(),
            )  # fmt: skip
        except (NotFound, RateLimited, ValidationFailed) as exc:
            context["error"] = exc.message
            return _private(render(request, "feedback/public_lookup.html", context, status=exc.status))
        return _private(redirect(track_path(item)))
    return _private(render(request, "feedback/public_lookup.html", context))


def _track_page(
    request: HttpRequest, item: FeedbackItem, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = clock.now()
    context = {
        "item": item,
        "steps": public.reporter_steps(item),
        "photos": public.resolution_photos(item),
        "can_rate": public.can_rate(item),
        "can_reopen": public.can_reopen(item, now),
        "reopen_until": public.reopen_until(item),
        "error": error,
        "stars": [5, 4, 3, 2, 1],
        "values": request.POST if error else {},
    }
    return _private(render(request, "feedback/public_track.html", context, status=status))


@require_GET
def track(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    try:
        hit(purpose=public.LINK_PURPOSE, key=client_key(request), now=clock.now())
        item = public.reporter_item(code=code, secret=secret)
    except RateLimited as exc:
        return _private(render(request, "feedback/public_lookup.html", {"error": exc.message}, status=429))
    return _track_page(request, item)


ACTIONS = {"danh-gia": "rate", "mo-lai": "reopen", "ngung-thong-bao": "opt_out"}
_DONE = {
    "rate": "Cảm ơn bạn đã đánh giá.",
    "reopen": "Đã mở lại phản ánh; cán bộ sẽ tiếp tục xử lý.",
    "opt_out": "Bạn sẽ không nhận thêm thông báo nào.",
}


@require_POST
def act(request: HttpRequest, code: str, secret: str, action: str) -> HttpResponse:
    """The reporter's steps, by the link's secret (the lookup by phone leads to the same link)."""
    if action not in ACTIONS:
        raise Http404
    now = clock.now()
    try:  # counted before the secret is checked: wrong secrets count too
        hit(purpose=public.ACT_PURPOSE, key=client_key(request), now=now)
    except RateLimited as exc:
        return _private(render(request, "feedback/public_lookup.html", {"error": exc.message}, status=429))
    item = public.reporter_item(code=code, secret=secret)
    step = ACTIONS[action]
    try:
        if step == "rate":
            public.reporter_rate(
                item=item, rating=_raw(request, "rating"), comment=_raw(request, "comment"), now=now
            )
        elif step == "reopen":
            public.reporter_reopen(item=item, reason=_raw(request, "reason"), now=now)
        else:
            public.reporter_opt_out(item=item, now=now)
    except DomainError as exc:
        item.refresh_from_db()
        return _track_page(request, item, error=exc.message, status=exc.status)
    return _private(redirect(track_path(item) + f"?xong={action}"))


@require_GET
def photo(request: HttpRequest, code: str, secret: str, pk: int) -> HttpResponseBase:
    try:  # counted before the secret is checked: wrong secrets count too
        hit(purpose=public.PHOTO_PURPOSE, key=client_key(request), rate=public.photo_rate(), now=clock.now())
    except RateLimited as exc:
        return _private(render(request, "feedback/public_lookup.html", {"error": exc.message}, status=429))
    item = public.reporter_item(code=code, secret=secret)
    return photos.photo_response(public.public_photo(item, pk))


@require_GET
def items(request: HttpRequest, code: str) -> HttpResponse:
    """The commune's public list: no personal data (values chosen in public.public_items)."""
    commune = public.commune_for_code(code)
    filters = public.list_filter(commune, request.GET)
    page = public.public_items(commune=commune, filters=filters, page=request.GET.get("trang"))
    query = {
        k: v
        for k, v in (
            ("to", filters.neighbourhood.pk if filters.neighbourhood else ""),
            ("lv", filters.category.pk if filters.category else ""),
            ("tt", filters.state),
        )
        if v
    }
    context = {
        "commune": commune,
        "page": page,
        "filters": filters,
        "query": "&".join(f"{k}={v}" for k, v in query.items()),
        "categories": public.categories_for(commune),
        "neighbourhoods": public.neighbourhoods_for(commune),
        "states": [(k, v[0]) for k, v in public.STATE_FILTERS.items()],
        "counts": public.neighbourhood_counts(commune),
        "state_labels": {s.value: s.label for s in public.State},
    }
    return render(request, "feedback/public_list.html", context)


# ---------------------------------------------------------------------------------- Excel import


def _import_dir(commune_id: int) -> Path:
    return Path(settings.UPLOAD_ROOT) / "feedback-imports" / str(commune_id)


def _staged(user: User, sha: str) -> tuple[Path, bytes]:
    """The file uploaded for the preview (kept under UPLOAD_ROOT, named by its SHA-256)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ValidationFailed("Tệp đã tải lên không còn; hãy tải lên lại.", code="gone")
    path = _import_dir(int(user.commune_id or 0)) / f"{sha}.xlsx"
    if not path.is_file():
        raise ValidationFailed("Tệp đã tải lên không còn; hãy tải lên lại.", code="gone")
    return path, path.read_bytes()


def _import_page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    base: dict[str, object] = {
        "categories": public.categories_for(user.commune) if user.commune else [],
        "max_rows": importer.MAX_ROWS,
        "max_mb": importer.MAX_BYTES // (1024 * 1024),
        "default_category": importer.DEFAULT_CATEGORY,
    }
    return _private(render(request, "feedback/import_form.html", base | context, status=status))


@login_required
@require_http_methods(["GET", "POST"])
def import_excel(request: HttpRequest) -> HttpResponse:
    """Upload → preview (a category per row) → import all rows or none."""
    user = request.user
    assert isinstance(user, User)
    importer.check_importer(user)
    commune = user.commune
    assert commune is not None
    if request.method == "GET":
        return _import_page(request, {})
    try:
        if "confirm" in request.POST:
            path, data = _staged(user, request.POST.get("sha256", ""))
            book = importer.read_feedback_workbook(data, name="tệp đã tải lên", commune=commune)
            choices = {
                r.line: request.POST.get(f"cat_{r.line}", "")[:40] or importer.DEFAULT_CATEGORY
                for r in book.rows
            }
            result = importer.import_rows(
                actor=user, commune=commune, book=book, choices=choices, now=clock.now()
            )
            path.unlink(missing_ok=True)
            return _import_page(request, {"result": result})
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("Hãy chọn tệp Excel (.xlsx).", code="required")
        if upload.size and upload.size > importer.MAX_BYTES:
            raise ValidationFailed(f"Tệp lớn hơn {importer.MAX_BYTES // (1024 * 1024)} MB.", code="too_large")
        data = upload.read(importer.MAX_BYTES + 1)
        name = clean_text(str(upload.name or "tệp"))[:80]
        book = importer.read_feedback_workbook(data, name=name, commune=commune)
        folder = _import_dir(commune.pk)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{book.sha256}.xlsx").write_bytes(data)
        done = importer.already_imported(commune, book)
    except ValidationFailed as exc:
        return _import_page(request, {"error": exc.message, "details": exc.details}, status=exc.status)
    return _import_page(request, {"book": book, "done": done, "file_name": name})
