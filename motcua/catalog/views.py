"""Public catalogue pages (the disclosure the law requires: no login, work without
JavaScript) and the staff pages that move the catalogue in and out of Excel."""

import uuid
from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.catalog.models import CatalogueImport
from motcua.catalog.selectors import (
    CATALOGUE_MANAGERS_ONLY,
    can_manage_catalogue,
    catalogue_import_list,
    catalogue_import_preview_get,
    procedure_field_list,
    procedure_get,
    procedure_search,
)
from motcua.catalog.services import (
    MAX_IMPORT_BYTES,
    catalog_export_excel,
    catalog_import_apply,
    catalog_import_preview,
)
from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.org.models import User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def catalogue_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not can_manage_catalogue(request.user):
            raise PermissionDenied(CATALOGUE_MANAGERS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
def procedure_list(request: HttpRequest) -> HttpResponse:
    """Search box + results grouped by field. HTMX requests get only the results partial."""
    q = request.GET.get("q", "").strip()[:200]
    field_code = request.GET.get("linh_vuc", "").strip()[:40] or None
    results = list(procedure_search(query=q, field_code=field_code, limit=None))
    context: dict[str, object] = {"q": q, "field_code": field_code or "", "results": results}
    if request.headers.get("HX-Request"):
        response = render(request, "catalog/_results.html", context)
    else:
        context["fields"] = procedure_field_list()
        context["can_manage"] = can_manage_catalogue(request.user)
        response = render(request, "catalog/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = procedure_get(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "catalog/detail.html", {"p": procedure})


@require_GET
@catalogue_manager_required
def export_excel(request: HttpRequest) -> HttpResponse:
    filename = f"danh-muc-thu-tuc-{timezone.localdate(clock.now()):%Y%m%d}.xlsx"
    response = HttpResponse(catalog_export_excel(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label="Tệp Excel danh mục (.xlsx)")

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"Tệp quá lớn: tối đa {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        return upload


@require_http_methods(["GET", "POST"])
@catalogue_manager_required
def import_excel(request: HttpRequest) -> HttpResponse:
    """Upload → the preview page (nothing is written to the catalogue here)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            pending, _ = catalog_import_preview(
                actor=_user(request),
                file=upload,
                filename=upload.name or "",
                source=CatalogueImport.Source.WEB,
                now=clock.now(),
            )
        except ValidationFailed as exc:
            context |= {"error": exc}
            return render(request, "catalog/import.html", context, status=422)
        return redirect("catalog:import_preview", import_id=pending.pk)
    return render(request, "catalog/import.html", context, status=422 if form.errors else 200)


@require_GET
@catalogue_manager_required
def import_preview(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    try:
        preview = catalogue_import_preview_get(user=request.user, import_id=import_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if preview.catalogue_import.status == CatalogueImport.Status.APPLIED:
        return redirect(f"{reverse('catalog:import_history')}#nhap-{import_id}")
    return render(request, "catalog/import_preview.html", {"preview": preview, "diff": preview.diff})


@require_POST
@catalogue_manager_required
def import_apply(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    try:
        applied = catalog_import_apply(actor=_user(request), import_id=import_id, now=clock.now())
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        preview = catalogue_import_preview_get(user=request.user, import_id=import_id)
        context = {"preview": preview, "diff": preview.diff, "error": exc}
        return render(request, "catalog/import_preview.html", context, status=409)
    messages.success(request, "Đã áp dụng danh mục: " + applied.summary())
    return redirect(f"{reverse('catalog:import_history')}#nhap-{applied.pk}")


@require_GET
@catalogue_manager_required
def import_history(request: HttpRequest) -> HttpResponse:
    return render(
        request, "catalog/import_history.html", {"imports": catalogue_import_list(user=request.user)}
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # catalogue_manager_required let only a signed-in manager through
    return user
