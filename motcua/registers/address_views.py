"""The address conversion tool of the data officer: upload a list (CSV/.xlsx) or paste lines,
see the counts and the addresses not converted, download every row with the converted columns
(an .xlsx kept one day for its maker only). The work is in ``addresses``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core.errors import ValidationFailed
from motcua.core.text import form_text

from . import addresses
from .selectors import merge_user
from .views import _user

SHOWN_FAILURES = 200


@login_required
@require_http_methods(["GET", "POST"])
def address_convert(request: HttpRequest) -> HttpResponse:
    user = merge_user(_user(request))
    limits = addresses.address_limits()
    max_bytes = settings.MOTCUA_MAX_REGISTER_BYTES
    ctx: dict[str, object] = {
        "max_mb": max_bytes // 2**20,
        "max_lines": f"{limits.max_rows:,}".replace(",", "."),
        "column": "",
    }
    if request.method != "POST":
        return render(request, "registers/addresses.html", ctx)
    try:
        column_name = form_text(request.POST.get("column", ""), label="Tên cột", max_length=200)
        ctx["column"] = column_name
        upload = request.FILES.get("file")
        pasted = request.POST.get("lines", "")
        if upload is not None:
            if upload.size is not None and upload.size > max_bytes:
                raise ValidationFailed(
                    f"Tệp lớn hơn {max_bytes // 2**20} MB. Hãy chia danh sách thành nhiều tệp nhỏ hơn."
                )
            table = addresses.read_table(upload.read(), upload.name or "tep", limits=limits)
        elif pasted.strip():
            if len(pasted) > max_bytes:
                raise ValidationFailed(f"Nội dung dán vào lớn hơn {max_bytes // 2**20} MB.")
            table = addresses.table_from_text(pasted, limits=limits)
        else:
            raise ValidationFailed("Hãy chọn một tệp CSV/Excel hoặc dán các địa chỉ, mỗi dòng một địa chỉ.")
        column = addresses.pick_column(table.header, column_name)
        results = addresses.convert_table(table, column)
    except ValidationFailed as exc:
        ctx["error"] = exc
        return render(request, "registers/addresses.html", ctx, status=422)
    token = addresses.store_result(user_id=user.pk, table=table, results=results)
    failures = [
        {"line": line, "result": r}
        for line, r in zip(table.line_numbers, results, strict=True)
        if r.status != addresses.DONE
    ]
    ctx |= {
        "token": token,
        "column_used": table.header[column] if column < len(table.header) else "",
        "total": len(results),
        "counts": addresses.counts(results).items(),
        "failures": failures[:SHOWN_FAILURES],
        "more_failures": max(0, len(failures) - SHOWN_FAILURES),
    }
    return render(request, "registers/addresses_result.html", ctx)


@login_required
@require_GET
def address_download(request: HttpRequest, token: str) -> FileResponse:
    user = merge_user(_user(request))
    path = addresses.result_path(user_id=user.pk, token=token)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename="dia-chi-da-chuyen.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
