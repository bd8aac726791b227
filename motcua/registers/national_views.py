"""The merged register downloaded in the national-population layout (``national_export``):
``/hop-nhat-danh-sach/<pk>/tai-ve/dan-cu/?dinh-dang=csv|xlsx``. The same permission as the
merged workbook's download (``views.job_download``): the job of the user's own commune, a data
officer, leader or administrator; another commune's job is 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import ValidationFailed

from . import selectors
from .national_export import FORMATS, export_for_run
from .storage import run_dir
from .views import _user

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def job_download_national(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.job_get_for(user=_user(request), pk=pk)
    fmt = request.GET.get("dinh-dang", "xlsx")
    if fmt not in FORMATS:
        raise ValidationFailed("Định dạng tải về phải là «csv» hoặc «xlsx».")
    if job.runs == 0 or not (run_dir(job) / "records.parquet").is_file():
        raise Http404("Chưa có danh sách hợp nhất.")
    path = export_for_run(run_folder=run_dir(job), fmt=fmt, now=clock.now())
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"danh-sach-dan-cu-{job.pk}-lan-{job.runs}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
