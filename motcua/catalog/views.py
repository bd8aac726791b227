"""Public catalogue pages (the disclosure the law requires: no login, work without
JavaScript) and the staff pages that move the catalogue in and out of Excel."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from motcua.catalog.selectors import procedure_field_list, procedure_get, procedure_search
from motcua.catalog.services import MAX_IMPORT_BYTES, catalog_export_excel, catalog_import_excel
from motcua.core.errors import NotFound, ValidationFailed
from motcua.org.models import Role, User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The catalogue is shared by every commune of the installation, so only people answerable
# for it may replace it.
CATALOG_MANAGERS = {Role.ADMIN, Role.COMMUNE_LEADER}


def catalog_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or user.role not in CATALOG_MANAGERS:
            raise PermissionDenied("Chỉ quản trị hệ thống hoặc lãnh đạo UBND được quản lý danh mục thủ tục.")
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
@catalog_manager_required
def export_excel(request: HttpRequest) -> HttpResponse:
    filename = f"danh-muc-thu-tuc-{timezone.localdate():%Y%m%d}.xlsx"
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
@catalog_manager_required
def import_excel(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            report = catalog_import_excel(file=form.cleaned_data["file"])
        except ValidationFailed as exc:
            context |= {"error": exc}
            return render(request, "catalog/import.html", context, status=422)
        messages.success(request, report.summary())
        return redirect("catalog:import")
    return render(request, "catalog/import.html", context, status=422 if form.errors else 200)
