"""Issue 12 §4, the review's findings on «Áp dụng quyết định»: a files task that fails or never
runs does not leave the job stuck (the page says why and offers «Tạo lại tệp»), and the
application holds no database lock while it re-clusters (staged files, published after the
commit)."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import time

import pytest
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed
from motcua.org.models import Role
from motcua.registers import recluster, selectors, services, storage, tasks
from motcua.registers.models import MergeJob, ReviewDecision
from motcua.testing import make_user

from .test_recluster_service import finished_job, persons_in_workbook, reject_a_merged_pair


@pytest.fixture
def no_task(monkeypatch):
    """The files task is not queued (the worker is gone, or the process died before)."""
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: queued.append((job_id, run_no)))
    return queued


def applied_job(officer, capture):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    with capture(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    job.refresh_from_db()
    return job


def age(folder, minutes: int) -> None:
    """The stale files were marked ``minutes`` ago."""
    past = time.time() - minutes * 60
    for name in (recluster.FILES_NAME, recluster.QUEUED_NAME):
        if (folder / name).exists():
            os.utime(folder / name, (past, past))


def test_a_failed_task_is_said_on_the_page_and_queued_again(
    client, officer, monkeypatch, no_task, django_capture_on_commit_callbacks
):
    job = applied_job(officer, django_capture_on_commit_callbacks)
    assert no_task == [(job.pk, 1)]
    folder = storage.run_dir(job)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recluster, "_write_workbook", disk_full)
    with pytest.raises(OSError):
        tasks.merge_job_files(job_id=job.pk, run_no=1)
    assert recluster.files_failure(folder) == "ổ đĩa của máy chủ đã đầy."
    client.force_login(officer)
    url = reverse("registers:job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Chưa tạo được tệp Excel: ổ đĩa của máy chủ đã đầy." in page
    assert "Tạo lại tệp" in page and "Đang cập nhật tệp Excel" not in page
    assert "Tải danh sách hợp nhất (Excel)" not in page
    assert client.get(reverse("registers:download", args=[job.pk])).status_code == 409

    monkeypatch.undo()
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: queued.append((job_id, run_no)))
    retry = reverse("registers:files_retry", args=[job.pk])
    assert client.get(retry).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response.status_code == 302 and response["Location"] == url
    assert queued == [(job.pk, 1)]
    page = client.get(url).content.decode()
    assert "Chưa tạo được tệp Excel" not in page and "Đang cập nhật tệp Excel" in page
    assert "Tạo lại tệp" not in page  # queued a moment ago

    assert tasks.merge_job_files(job_id=job.pk, run_no=1) == 1
    page = client.get(url).content.decode()
    assert "Tải danh sách hợp nhất (Excel)" in page and "Tạo lại tệp" not in page
    # The CSV's codes lose their leading zeros when Excel opens it: said under the buttons.
    assert "Mở tệp CSV bằng Excel sẽ làm mất số 0 đầu của số CCCD và mã xã, phường" in page
    assert len(set(persons_in_workbook(job).values())) == job.stats["persons"]
    # Nothing to make again now.
    with pytest.raises(Conflict):
        services.merge_job_retry_files(user=officer, job=job, now=clock.now())


def test_files_busy_is_recorded_too(officer, monkeypatch, no_task, django_capture_on_commit_callbacks):
    job = applied_job(officer, django_capture_on_commit_callbacks)
    monkeypatch.setattr(recluster, "_records_token", lambda folder: [0, 0, 0])
    monkeypatch.setattr(recluster.time, "sleep", lambda s: None)
    with pytest.raises(Conflict):
        tasks.merge_job_files(job_id=job.pk, run_no=1)
    state = tasks.files_state(job, now=clock.now())
    assert state.error == "Danh sách hợp nhất thay đổi liên tục; chưa viết được tệp Excel."
    assert state.can_retry


def test_stale_files_with_no_task_for_minutes_offer_the_button(
    client, officer, no_task, django_capture_on_commit_callbacks
):
    job = applied_job(officer, django_capture_on_commit_callbacks)
    folder = storage.run_dir(job)
    now = clock.now()
    assert tasks.files_state(job, now=now) == tasks.FilesState(ready=False)  # just queued
    age(folder, 11)
    state = tasks.files_state(job, now=now)
    assert state.stalled and state.can_retry and state.error is None
    client.force_login(officer)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert 'id="files-stalled"' in page and "Tạo lại tệp" in page
    assert 'hx-trigger="every 2s"' not in page  # R-G: stalled, the files fragment stops polling
    # A task queued (or running) recently: not stalled; one queued long ago: lost.
    tasks.merge_job_files_task.enqueue(job.pk, 1)
    assert not tasks.files_state(job, now=now).stalled
    assert tasks.files_state(job, now=now + dt.timedelta(minutes=11)).stalled
    # Another run's task does not count.
    DBTaskResult.objects.all().delete()
    tasks.merge_job_files_task.enqueue(job.pk, 2)
    assert tasks.files_state(job, now=now).stalled


def test_a_process_dead_between_the_commit_and_the_publication(
    client, officer, no_task, django_capture_on_commit_callbacks
):
    """The decisions are saved but the staged files were never published (nor the task queued):
    the downloads are refused, the page offers «Tạo lại tệp», and the task publishes and writes."""
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    folder = storage.run_dir(job)
    records = (folder / recluster.RECORDS_NAME).read_bytes()
    with django_capture_on_commit_callbacks(execute=False):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    job.refresh_from_db()
    assert job.stats["files_generation"] == 1 and selectors.pending_decisions(job) == 0
    assert (folder / recluster.RECORDS_NAME).read_bytes() == records  # not published
    assert recluster.files_ready(folder) and not recluster.files_ready(folder, expected=1)
    client.force_login(officer)
    assert client.get(reverse("registers:download", args=[job.pk])).status_code == 409
    national = reverse("registers:download_national", args=[job.pk]) + "?dinh-dang=csv"
    assert client.get(national).status_code == 409
    age(folder, 11)
    assert tasks.files_state(job, now=clock.now()).stalled
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registers:files_retry", args=[job.pk]))
    assert no_task == [(job.pk, 1)]
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) == 1
    assert recluster.files_ready(folder, expected=1)
    assert not list(folder.glob(f"{recluster.STAGE_PREFIX}*"))
    assert len(set(persons_in_workbook(job).values())) == job.stats["persons"]
    assert client.get(national).status_code == 200


def test_a_failed_second_transaction_leaves_the_files_and_the_decisions_as_they_were(
    officer, monkeypatch, no_task, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    folder = storage.run_dir(job)
    before = {n: (folder / n).read_bytes() for n in recluster.PUBLISH_ORDER}

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services.ReviewPair.objects, "bulk_update", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert {n: (folder / n).read_bytes() for n in recluster.PUBLISH_ORDER} == before
    assert not list(folder.glob(f"{recluster.STAGE_PREFIX}*")) and no_task == []
    job.refresh_from_db()
    assert "applying" not in job.stats and selectors.pending_decisions(job) == 1
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    job.refresh_from_db()
    assert selectors.pending_decisions(job) == 0 and "applying" not in job.stats


def test_a_decision_made_during_the_reclustering_is_not_lost(
    officer, monkeypatch, no_task, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    pair = reject_a_merged_pair(job, officer)
    real = services.recluster_run

    def with_a_new_decision(**kwargs):
        out = real(**kwargs)
        services.review_decide(user=officer, job=job, pair_id=pair.pk, is_match=True, reason="Xem lại: cùng")
        return out

    monkeypatch.setattr(services, "recluster_run", with_a_new_decision)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as caught:
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert "Có quyết định mới trong lúc áp dụng" in caught.value.message
    assert recluster.files_ready(storage.run_dir(job))  # the run's files, still current
    assert not list(storage.run_dir(job).glob(f"{recluster.STAGE_PREFIX}*")) and no_task == []
    job.refresh_from_db()
    assert "applying" not in job.stats and selectors.pending_decisions(job) == 2


def test_a_second_application_during_the_reclustering_is_refused(
    client, officer, ward, monkeypatch, no_task, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    leader = make_user(ward, Role.COMMUNE_LEADER, "chutich")
    real = services.recluster_run
    seen: list[str] = []

    def and_another(**kwargs):
        try:
            services.merge_job_apply_decisions(user=leader, job=job, now=clock.now())
        except Conflict as exc:
            seen.append(exc.code)
        client.force_login(leader)
        page = client.post(reverse("registers:apply", args=[job.pk]), follow=True).content.decode()
        seen.append("page" if "đang được áp dụng" in page else page)
        with pytest.raises(Conflict):
            services.merge_job_retry_files(user=leader, job=job, now=clock.now())
        return real(**kwargs)

    monkeypatch.setattr(services, "recluster_run", and_another)
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert seen == ["applying", "page"]
    job.refresh_from_db()
    assert job.stats["applied"]["by"] == officer.display_name and "applying" not in job.stats


def test_a_mark_left_by_a_dead_process_expires(officer, no_task, django_capture_on_commit_callbacks):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    old = clock.now() - services.APPLY_STALE_AFTER - dt.timedelta(seconds=1)
    MergeJob.objects.filter(pk=job.pk).update(stats=job.stats | {"applying": {"at": old.isoformat()}})
    job.refresh_from_db()
    (storage.run_dir(job) / f"{recluster.STAGE_PREFIX}1").mkdir()  # its abandoned stage
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    job.refresh_from_db()
    assert selectors.pending_decisions(job) == 0 and "applying" not in job.stats


def test_the_retry_is_the_merge_roles(officer, ward, no_task, django_capture_on_commit_callbacks):
    job = applied_job(officer, django_capture_on_commit_callbacks)
    with pytest.raises(NotAllowed):
        services.merge_job_retry_files(
            user=make_user(ward, Role.COUNTER_OFFICER, "motcua"), job=job, now=clock.now()
        )


@pytest.mark.django_db(transaction=True)
def test_the_reclustering_holds_no_database_lock(ward, monkeypatch):
    """SQLite's write lock is the whole database's: the re-clustering (seconds) runs outside any
    transaction, so other writes of the app go on meanwhile."""
    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    real = services.recluster_run
    seen: list[bool] = []

    def check(**kwargs):
        seen.append(connection.in_atomic_block)
        make_user(ward, Role.COUNTER_OFFICER, "motcua2")  # another write, committed at once
        return real(**kwargs)

    monkeypatch.setattr(services, "recluster_run", check)
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: None)
    services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert seen == [False]
    job.refresh_from_db()
    assert selectors.pending_decisions(job) == 0 and "applying" not in job.stats
    assert recluster.files_ready(storage.run_dir(job), expected=job.stats["files_generation"]) is False
    assert json.loads((storage.run_dir(job) / recluster.FILES_NAME).read_text())["generation"] == 1
    assert ReviewDecision.objects.filter(job=job).count() == 1


def test_a_missing_national_export_is_queued_once(client, officer, django_capture_on_commit_callbacks):
    job = finished_job(officer)
    for made in storage.run_dir(job).glob("dan-cu-*"):
        made.unlink()
    client.force_login(officer)
    url = reverse("registers:download_national", args=[job.pk]) + "?dinh-dang=xlsx"
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code == 409
    assert DBTaskResult.objects.filter(task_path=tasks.merge_job_files_task.module_path).count() == 1
