"""Merge jobs that must not hold the worker (issue 7 §3.2): the time limit, the officer's
cancel, a stuck job followed by another commune's; the wait for a stopped worker in words; the
elapsed time from the worker's start; bombs refused at upload; NUL and over-long text (§3.8)."""

from __future__ import annotations

import datetime as dt
import io
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.org.models import Role
from motcua.registers import services, storage, worker
from motcua.registers.models import JobStatus, MergeJob, ReviewPair
from motcua.testing import make_commune, make_user

from .files import upload

# A child that never answers: what a run stuck inside a library looks like from the parent.
HANGING_CHILD = [sys.executable, "-c", "import time; time.sleep(600)"]


def _children_of_this_process() -> set[int]:
    import os

    out = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            out.add(int(status.parent.name))
    return out


def test_a_stuck_run_is_stopped_at_the_time_limit_and_the_next_job_runs(officer, settings, monkeypatch):
    """One worker, two jobs: the first hangs (its child never answers); it is stopped at the
    limit, FAILED with a plain message, its child gone; the second (another commune's) then
    runs to the end."""
    settings.MOTCUA_MERGE_TIME_LIMIT_SECONDS = 2
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 1)
    stuck = services.merge_job_create(
        now=clock.now(), user=officer, title="Treo", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    other_ward = make_commune(code=20210, name="Phường An Khê", agency="H48.20210")
    other = make_user(other_ward, Role.DATA_OFFICER, "dulieu2")
    next_job = services.merge_job_create(
        now=clock.now(), user=other, title="Kế tiếp", uploads=[upload("tam_thuan.csv")], enqueue=False
    )

    monkeypatch.setattr(worker, "CHILD_ARGV", HANGING_CHILD)
    before = _children_of_this_process()
    started = time.monotonic()
    worker.merge_job_run(job_id=stuck.pk, now=clock.now())
    assert time.monotonic() - started < 10
    stuck.refresh_from_db()
    assert stuck.status == JobStatus.FAILED
    assert "quá thời gian cho phép (2 giây)" in stuck.error
    assert _children_of_this_process() <= before  # the hanging child was killed and reaped

    monkeypatch.setattr(worker, "CHILD_ARGV", [sys.executable, "-m", "motcua.registers.runner"])
    settings.MOTCUA_MERGE_TIME_LIMIT_SECONDS = 600
    worker.merge_job_run(job_id=next_job.pk, now=clock.now())
    next_job.refresh_from_db()
    assert next_job.status == JobStatus.DONE, next_job.error


@pytest.mark.django_db(transaction=True)
def test_the_officer_cancels_a_running_job_and_the_run_stops_within_seconds(monkeypatch):
    ward = make_commune()
    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    monkeypatch.setattr(worker, "CHILD_ARGV", HANGING_CHILD)
    monkeypatch.setattr(worker, "STOP_GRACE_SECONDS", 1)
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="Huỷ", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    runner = threading.Thread(
        target=lambda: (worker.merge_job_run(job_id=job.pk, now=clock.now()), connection.close())
    )
    runner.start()
    deadline = time.monotonic() + 10
    while MergeJob.objects.get(pk=job.pk).status != JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    asked = time.monotonic()
    services.merge_job_cancel(now=clock.now(), user=officer, job=MergeJob.objects.get(pk=job.pk))
    runner.join(timeout=15)
    assert not runner.is_alive()
    assert time.monotonic() - asked < 5
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert "Đã huỷ theo yêu cầu của" in job.error
    assert job.finished_at is not None
    assert not (storage.run_dir(job, 1)).exists()  # nothing of the stopped run is kept


def test_a_queued_job_cancelled_is_never_run(officer, monkeypatch):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    services.merge_job_cancel(now=clock.now(), user=officer, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    monkeypatch.setattr(worker, "CHILD_ARGV", ["/bin/false"])  # would fail the job if it ran
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    # and it can be run again from the start
    services.merge_job_rerun(now=clock.now(), user=officer, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.cancel_requested_at is None


def test_the_cancel_button_and_url(client, officer, ward):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    client.force_login(officer)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert reverse("registers:cancel", args=[job.pk]) in page and "Huỷ đợt hợp nhất này" in page
    assert client.get(reverse("registers:cancel", args=[job.pk])).status_code == 405
    response = client.post(reverse("registers:cancel", args=[job.pk]))
    assert response.status_code == 302
    assert MergeJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert "Đợt hợp nhất đã bị huỷ" in page
    # a second cancel is a plain message, not an error page
    assert client.post(reverse("registers:cancel", args=[job.pk]), follow=True).status_code == 200
    # another commune's officer cannot cancel it
    other = make_user(
        make_commune(code=20210, name="Phường An Khê", agency="H48.20210"), Role.DATA_OFFICER, "khac"
    )
    client.force_login(other)
    assert client.post(reverse("registers:cancel", args=[job.pk])).status_code == 404


def test_a_child_that_dies_fails_the_job_with_a_message(officer, monkeypatch):
    monkeypatch.setattr(worker, "CHILD_ARGV", [sys.executable, "-c", "import sys; sys.exit('hỏng')"])
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "dừng bất thường" in job.error and "hỏng" in job.error


# ------------------------------------------------------------------------- waiting and elapsed


def test_a_job_waiting_for_a_stopped_worker_says_so(client, officer, monkeypatch):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    client.force_login(officer)
    page = client.get(reverse("registers:progress", args=[job.pk])).content.decode()
    assert "Máy xử lý nền chưa chạy" not in page  # just queued: the worker polls every second
    assert "đã chạy" not in page
    later = clock.now() + dt.timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    page = client.get(reverse("registers:progress", args=[job.pk])).content.decode()
    assert "Máy xử lý nền chưa chạy" in page
    assert "đã chờ 120 giây" in page or "đã chờ 119 giây" in page
    # another merge running: the job waits its turn, and says that instead
    other = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("tam_thuan.csv")], enqueue=False
    )
    MergeJob.objects.filter(pk=other.pk).update(
        status=JobStatus.RUNNING, heartbeat_at=later, started_at=later
    )
    page = client.get(reverse("registers:progress", args=[job.pk])).content.decode()
    assert "Máy xử lý nền chưa chạy" not in page
    assert "đang chạy một đợt hợp nhất khác" in page


def test_elapsed_time_counts_from_the_start_of_the_current_run(client, officer, monkeypatch):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    now = clock.now()
    # A first run long ago, then a rerun queued: the bar must not count from the old start.
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        runs=1,
        started_at=now - dt.timedelta(hours=3),
        finished_at=now - dt.timedelta(hours=2),
    )
    services.merge_job_rerun(now=clock.now(), user=officer, job=MergeJob.objects.get(pk=job.pk))
    client.force_login(officer)
    page = client.get(reverse("registers:progress", args=[job.pk])).content.decode()
    assert "đã chạy" not in page
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=now - dt.timedelta(seconds=42), heartbeat_at=now
    )
    monkeypatch.setattr(clock, "now", lambda: now)
    page = client.get(reverse("registers:progress", args=[job.pk])).content.decode()
    assert "đã chạy 42 giây" in page


# ------------------------------------------------------------------------- at upload


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:I1000000000"/><sheetData/></worksheet>',
        )
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


def test_a_spreadsheet_bomb_is_refused_at_upload_in_seconds(client, officer):
    client.force_login(officer)
    started = time.monotonic()
    response = client.post(
        reverse("registers:jobs"),
        {"title": "Bom", "files": [SimpleUploadedFile("bom.xlsx", _bomb())]},
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    page = response.content.decode()
    assert "bom.xlsx" in page and "giới hạn 1.000.000 dòng" in page
    assert MergeJob.objects.count() == 0


def test_a_bomb_that_reaches_the_run_fails_it_in_seconds(officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    (storage.job_dir(job) / "input" / job.files.get().stored_name).write_bytes(_bomb())
    started = time.monotonic()
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    assert time.monotonic() - started < 20  # the child's start included
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "giới hạn 1.000.000 dòng" in job.error


# ------------------------------------------------------------------------- text inputs (§3.8)


def test_title_with_nul_is_cleaned_and_over_long_is_refused(officer):
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân\x00 cư\x1f 2026",
        uploads=[upload("chinh_gian.csv")],
        enqueue=False,
    )
    assert job.title == "Dân cư 2026"
    with pytest.raises(ValidationFailed) as caught:
        services.merge_job_create(
            now=clock.now(), user=officer, title="x" * 201, uploads=[upload("chinh_gian.csv")], enqueue=False
        )
    assert "tối đa 200 ký tự" in " ".join(caught.value.details)


def _a_pair(job: MergeJob) -> ReviewPair:
    return ReviewPair.objects.create(
        job=job,
        rank=1,
        record_id_l="a",
        record_id_r="b",
        match_probability=0.5,
        match_weight=0.0,
        same_person=False,
        left={"raw": {}, "norm": {}},
        right={"raw": {}, "norm": {}},
    )


def test_reason_with_nul_is_cleaned_and_over_long_is_refused(officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    pair = _a_pair(job)
    decision = services.review_decide(
        user=officer, job=job, pair_id=pair.pk, is_match=True, reason="Cùng\x00 hộ"
    )
    assert decision.reason == "Cùng hộ"
    with pytest.raises(ValidationFailed) as caught:
        services.review_decide(user=officer, job=job, pair_id=pair.pk, is_match=True, reason="x" * 501)
    assert "tối đa 500 ký tự" in caught.value.message


def _post_nul_and_long(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("registers:jobs"), {"title": "A" * 5000 + "\x00", "files": [upload("chinh_gian.csv")]}
    )
    assert response.status_code == 422
    assert "tối đa 200 ký tự" in response.content.decode()
    response = client.post(
        reverse("registers:jobs"), {"title": "Dân\x00cư", "files": [upload("chinh_gian.csv")]}
    )
    assert response.status_code == 302
    job = MergeJob.objects.get()
    assert job.title == "Dâncư"
    pair = _a_pair(job)
    url = reverse("registers:decide", args=[job.pk, pair.pk])
    for reason in ("\x00" * 3, "lý do\x00" + "x" * 600):
        response = client.post(url, {"verdict": "match", "reason": reason}, follow=True)
        assert response.status_code == 200
    page = response.content.decode()
    assert "tối đa 500 ký tự" in page
    response = client.post(url, {"verdict": "match", "reason": "Cùng\x00 hộ"})
    assert response.status_code == 302
    assert job.decisions.get().reason == "Cùng hộ"


def test_nul_and_over_long_text_through_the_screens(client, officer):
    _post_nul_and_long(client, officer)


@pytest.mark.postgres
def test_nul_and_over_long_text_through_the_screens_on_postgresql(client, officer):
    assert connection.vendor == "postgresql"
    _post_nul_and_long(client, officer)


def test_a_cancel_that_arrives_after_the_last_line_of_the_run_wins(officer, monkeypatch):
    """The child finished, but the officer pressed «Huỷ» before the worker stored the result:
    the job ends CANCELLED with who cancelled it, never DONE with the message wiped."""
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="Muộn", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    real_supervise = worker._supervise

    def supervise_then_cancel(job_, spec_path):
        outcome = real_supervise(job_, spec_path)
        services.merge_job_cancel(now=clock.now(), user=officer, job=MergeJob.objects.get(pk=job_.pk))
        return outcome

    monkeypatch.setattr(worker, "_supervise", supervise_then_cancel)
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert "Đã huỷ theo yêu cầu của" in job.error
    assert not ReviewPair.objects.filter(job=job).exists()
    assert not storage.run_dir(job, 1).exists()
