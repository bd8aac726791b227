"""Downloading the merged register in the national-population layout from the job's page:
who may, the two formats, refusals; end to end after a real run."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from motcua.core import clock
from motcua.org.models import Role
from motcua.registers import national_export, services, storage, worker
from motcua.registers.models import JobStatus, MergeJob
from motcua.testing import make_commune, make_user

from .files import upload
from .test_national_export import EVIL, EXPECTED_HEADERS, write_records


def done_job(ward, officer, runs=1):
    job = MergeJob.objects.create(
        commune=ward, title="Đợt thử", created_by=officer, status=JobStatus.DONE, runs=runs
    )
    if runs:
        folder = storage.run_dir(job)
        folder.mkdir(parents=True)
        write_records(folder / "records.parquet")
        # What the run leaves (``runner``): the export made off the request.
        national_export.write_run_exports(run_folder=folder, now=clock.now())
    return job


def url(job, fmt=None):
    base = reverse("registers:download_national", args=[job.pk])
    return f"{base}?dinh-dang={fmt}" if fmt else base


def body(response):
    return b"".join(response.streaming_content)


def test_the_officer_downloads_csv_and_xlsx(client, ward, officer):
    job = done_job(ward, officer)
    client.force_login(officer)
    response = client.get(url(job, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="danh-sach-dan-cu-{job.pk}-lan-1.csv"' in response["Content-Disposition"]
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == EXPECTED_HEADERS and len(rows) == 4
    assert rows[2][2] == "'" + EVIL
    xlsx = client.get(url(job, "xlsx"))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(body(xlsx)))[national_export.SHEET_NAME]
    assert sheet.cell(3, 3).value == EVIL and sheet.cell(3, 3).data_type == "s"
    # Without ?dinh-dang= the workbook comes.
    assert client.get(url(job))["Content-Disposition"].endswith('.xlsx"')


def test_a_bad_format_is_a_422(client, ward, officer):
    job = done_job(ward, officer)
    client.force_login(officer)
    for bad in ("pdf", "csv\x00", "x" * 5000):
        response = client.get(url(job, bad))
        assert response.status_code == 422
        assert "csv" in response.content.decode()


def test_a_job_without_a_finished_run_is_a_404(client, ward, officer):
    job = done_job(ward, officer, runs=0)
    client.force_login(officer)
    assert client.get(url(job, "csv")).status_code == 404


def test_another_commune_and_other_roles_are_refused(client, ward, officer):
    job = done_job(ward, officer)
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    client.force_login(make_user(other, Role.DATA_OFFICER, "dulieu_ankhe"))
    response = client.get(url(job, "csv"))
    assert response.status_code == 404
    assert b"Nguy" not in response.content
    client.force_login(make_user(ward, Role.COUNTER_OFFICER, "motcua"))
    assert client.get(url(job, "csv")).status_code == 403
    client.logout()
    anonymous = client.get(url(job, "csv"))
    assert anonymous.status_code == 302 and "/dang-nhap/" in anonymous["Location"]
    leader = make_user(ward, Role.COMMUNE_LEADER, "chutich")
    client.force_login(leader)
    assert client.get(url(job, "csv")).status_code == 200


def test_after_a_real_run_the_page_offers_it_and_it_holds_every_person(client, officer):
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân cư",
        uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    client.force_login(officer)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert f"{url(job)}?dinh-dang=csv" in page and f"{url(job)}?dinh-dang=xlsx" in page
    rows = list(csv.DictReader(io.StringIO(body(client.get(url(job, "csv"))).decode("utf-8-sig"))))
    assert len(rows) == job.stats["persons"]
    assert sum(int(r["Số bản ghi đã gộp"]) for r in rows) == job.stats["records"] == 20
    ids = [i for r in rows for i in r["Mã bản ghi gốc"].split("; ")]
    assert len(ids) == len(set(ids)) == 20
    hung = next(r for r in rows if "CG-001" in r["Mã bản ghi gốc"])
    assert "TT-001" in hung["Mã bản ghi gốc"]
    assert hung["Số định danh cá nhân"] == "048078001234"
    assert hung["Mã xã, phường (nơi thường trú)"] == "20209"
