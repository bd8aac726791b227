"""«Áp dụng quyết định (không chạy lại)»: ``services.merge_job_apply_decisions`` and its view, on a
job the worker has run (the same child process as in production), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, NotFound
from motcua.org.models import Role
from motcua.registers import recluster, selectors, services, storage, tasks, worker
from motcua.registers.models import JobStatus, MergeJob, ReviewPair
from motcua.testing import make_commune, make_user

from .files import upload


def finished_job(officer) -> MergeJob:
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân cư 2 phường",
        uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.runs == 1
    return job


def persons_in_workbook(job: MergeJob) -> dict[str, str]:
    wb = load_workbook(storage.workbook_path(job), read_only=True)
    rows = list(wb["Bản ghi gốc"].iter_rows(values_only=True))
    head = rows[0]
    return {r[head.index("Mã bản ghi")]: r[head.index("Mã người")] for r in rows[1:]}


def reject_a_merged_pair(job: MergeJob, user) -> ReviewPair:
    pair = ReviewPair.objects.filter(job=job, same_person=True).first()
    assert pair is not None, "the fixture holds a pair the run merged"
    services.review_decide(
        user=user, job=job, pair_id=pair.pk, is_match=False, reason="Trùng tên, khác người"
    )
    return pair


def test_apply_splits_the_rejected_pair_without_a_run(
    officer, monkeypatch, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    pair = reject_a_merged_pair(job, officer)
    before = job.stats["persons"]
    assert selectors.pending_decisions(job) == 1
    to_review = selectors.pairs_to_review(job, selectors.latest_decisions(job))
    monkeypatch.setattr(worker, "merge_job_run", lambda **kw: pytest.fail("the worker must not run"))
    monkeypatch.setattr(services, "_enqueue", lambda job_id: pytest.fail("no run is queued"))
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: queued.append((job_id, run_no)))
    workbook = storage.workbook_path(job).read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())

    # The request's part is done; the files are the background task's, queued at the commit.
    assert queued == [(job.pk, 1)]
    assert storage.workbook_path(job).read_bytes() == workbook  # not rewritten synchronously
    assert not recluster.files_ready(storage.run_dir(job))
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) == 1  # the task, run here
    assert recluster.files_ready(storage.run_dir(job))

    job.refresh_from_db()
    assert job.runs == 1 and job.status == JobStatus.DONE
    assert job.stats["persons"] == before + 1
    assert job.stats["quality"]["persons"] == before + 1
    assert job.stats["applied"]["decisions"] == 1 and job.stats["applied"]["by"] == officer.display_name
    assert selectors.pending_decisions(job) == 0
    # Decided pairs stay off the list of pairs to review; the pair now shows as two persons.
    assert selectors.pairs_to_review(job, selectors.latest_decisions(job)) == to_review
    pair.refresh_from_db()
    assert pair.same_person is False
    persons = persons_in_workbook(job)
    assert persons[pair.record_id_l] != persons[pair.record_id_r]
    assert len(set(persons.values())) == before + 1
    # Nothing new to apply now.
    with pytest.raises(Conflict):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())


def test_another_communes_user_and_other_roles_are_refused(officer, ward):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    with pytest.raises(NotFound):
        services.merge_job_apply_decisions(
            user=make_user(other, Role.DATA_OFFICER, "dulieu_ankhe"), job=job, now=clock.now()
        )
    with pytest.raises(NotAllowed):
        services.merge_job_apply_decisions(
            user=make_user(ward, Role.COUNTER_OFFICER, "motcua"), job=job, now=clock.now()
        )
    job.refresh_from_db()
    assert selectors.pending_decisions(job) == 1 and "applied" not in job.stats


def test_refused_while_a_run_is_active(officer, django_capture_on_commit_callbacks):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    with django_capture_on_commit_callbacks(execute=False):
        services.merge_job_rerun(user=officer, job=job, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    with pytest.raises(Conflict) as caught:
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert "đang chạy" in caught.value.message
    MergeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=clock.now())
    with pytest.raises(Conflict):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert selectors.pending_decisions(job) == 1


def test_a_run_made_before_the_fast_path_says_to_rerun(client, officer):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    (storage.run_dir(job) / recluster.EDGES_NAME).unlink()
    with pytest.raises(Conflict) as caught:
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert "Áp dụng quyết định và chạy lại" in caught.value.message
    assert selectors.pending_decisions(job) == 1

    client.force_login(officer)
    response = client.post(reverse("registers:apply", args=[job.pk]), follow=True)
    assert "chưa lưu các cặp đã chấm điểm" in response.content.decode()
    # The page of a job whose stats do not name a threshold does not offer the fast path.
    MergeJob.objects.filter(pk=job.pk).update(stats={"records": 20, "persons": 12})
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert "Áp dụng quyết định (không chạy lại)" not in page
    assert "chưa áp dụng nhanh được" in page


def test_the_page_offers_the_button_and_says_what_was_applied(client, officer):
    job = finished_job(officer)
    client.force_login(officer)
    url = reverse("registers:job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Áp dụng quyết định (không chạy lại)" in page
    reject_a_merged_pair(job, officer)
    page = client.get(url).content.decode()
    assert re.search(r'<button type="submit" class="primary"\s*>Áp dụng quyết định \(không chạy lại\)', page)
    assert re.search(r'<button type="submit"\s*>Áp dụng quyết định và chạy lại', page)  # no longer primary
    assert client.get(reverse("registers:apply", args=[job.pk])).status_code == 405

    response = client.post(reverse("registers:apply", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    job.refresh_from_db()
    hhmm = job.stats["applied"]["time"]
    assert f"Đã áp dụng 1 quyết định lúc {hhmm}" in page
    assert "Mọi quyết định đã được áp dụng" in page
    assert f'<dd id="n-persons">{job.stats["persons"]}</dd>' in page
    # Until the background task has written the files: said on the page, no stale download.
    assert "Đang cập nhật tệp Excel…" in page and "Tải danh sách hợp nhất (Excel)" not in page
    stale = client.get(reverse("registers:download", args=[job.pk]))
    assert stale.status_code == 409 and "đang được cập nhật" in stale.content.decode()
    for fmt in ("csv", "xlsx"):
        stale = client.get(reverse("registers:download_national", args=[job.pk]) + f"?dinh-dang={fmt}")
        assert stale.status_code == 409 and "đang được cập nhật" in stale.content.decode()
    tasks.merge_job_files(job_id=job.pk, run_no=1)
    page = client.get(url).content.decode()
    assert "Đang cập nhật tệp Excel" not in page and "Tải danh sách hợp nhất (Excel)" in page
    national = client.get(reverse("registers:download_national", args=[job.pk]) + "?dinh-dang=csv")
    assert national.status_code == 200
    rows = b"".join(national.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) - 1 == job.stats["persons"]
    download = client.get(reverse("registers:download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert len(list(wb["Danh sách hợp nhất"].iter_rows())) - 1 == job.stats["persons"]
    assert list(wb["Quyết định rà soát"].iter_rows(values_only=True))[1][4] == "Hai người khác nhau"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_applying_at_once_apply_once(officer, ward):
    """The job row is locked while the decisions are applied: the second officer waits, then
    finds nothing left to apply (no file is rewritten twice at the same time)."""
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    leader = make_user(ward, Role.COMMUNE_LEADER, "chutich")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def apply(user) -> None:
        try:
            barrier.wait()
            services.merge_job_apply_decisions(user=user, job=job, now=clock.now())
            outcomes.append("applied")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(u,)) for u in (officer, leader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["applied", "conflict"]
    job.refresh_from_db()
    assert selectors.pending_decisions(job) == 0 and job.stats["applied"]["decisions"] == 1


def test_the_files_task_is_idempotent_and_yields_to_a_newer_run(officer, django_capture_on_commit_callbacks):
    job = finished_job(officer)
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) is None  # the run's files are current
    reject_a_merged_pair(job, officer)
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    MergeJob.objects.filter(pk=job.pk).update(runs=2)  # a rerun finished meanwhile
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) is None
    assert not recluster.files_ready(storage.run_dir(job, 1))
    MergeJob.objects.filter(pk=job.pk).update(runs=1)
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) == 1
    assert tasks.merge_job_files(job_id=job.pk, run_no=1) is None  # a second delivery
    assert tasks.merge_job_files(job_id=10**9, run_no=1) is None  # a job deleted since


def test_a_run_without_a_national_export_queues_it_at_the_first_download(
    client, officer, monkeypatch, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    for made in storage.run_dir(job).glob("dan-cu-*"):
        made.unlink()
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: queued.append((job_id, run_no)))
    client.force_login(officer)
    url = reverse("registers:download_national", args=[job.pk]) + "?dinh-dang=xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
    assert response.status_code == 409 and "đang được chuẩn bị" in response.content.decode()
    assert queued == [(job.pk, 1)]
    tasks.merge_job_files(job_id=job.pk, run_no=1)
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_writes_the_files_after_an_application(ward):
    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert not recluster.files_ready(storage.run_dir(job))
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO())
    assert recluster.files_ready(storage.run_dir(job))
    assert len(set(persons_in_workbook(job).values())) == MergeJob.objects.get(pk=job.pk).stats["persons"]
