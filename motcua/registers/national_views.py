"""The merged register downloaded in the national-population layout (``national_export``):
``/hop-nhat-danh-sach/<pk>/tai-ve/dan-cu/?dinh-dang=csv|xlsx``. The same permission as the
merged workbook's download (``views.job_download``): the job of the user's own commune, a data
officer, leader or administrator; another commune's job is 404.

The file is never made here (a ward's export takes tens of seconds): the run writes it
(``runner``), and after an application of decisions the background task
(``tasks.merge_job_files_task``). Until it is written for the current persons the download is
refused with 409 and a message; a run made before exports were pre-generated gets its task
queued by the first download (once: not again while it is queued or running)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed

from . import selectors
from .national_export import FORMATS, existing_export
from .recluster import files_ready
from .storage import run_dir
from .tasks import files_task_pending
from .views import _user

UPDATING = (
    "Tệp danh sách dân cư đang được cập nhật theo các quyết định vừa áp dụng. "
    "Hãy tải lại sau ít phút (trang của đợt hợp nhất báo khi tệp đã sẵn sàng)."
)
PREPARING = "Tệp danh sách dân cư đang được chuẩn bị. Hãy tải lại sau ít phút."

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
    folder = run_dir(job)
    if job.runs == 0 or not (folder / "records.parquet").is_file():
        raise Http404("Chưa có danh sách hợp nhất.")
    if not files_ready(folder, expected=(job.stats or {}).get("files_generation")):
        raise Conflict(UPDATING, code="files_updating")
    path = existing_export(folder)[fmt]
    if path is None:
        # A run from before the exports were made with it: its task makes them, once (another
        # GET while it is queued or running queues nothing more).
        from .services import merge_job_prepare_files

        if not files_task_pending(job_id=job.pk, run_no=job.runs, now=clock.now()):
            merge_job_prepare_files(job=job)
        raise Conflict(PREPARING, code="files_preparing")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"danh-sach-dan-cu-{job.pk}-lan-{job.runs}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
