"""The register merge in the web app: upload, background run, review, rerun, Excel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Role
from motcua.registers import selectors, services, storage, worker
from motcua.registers.models import JobStatus, MergeJob, ReviewDecision, ReviewPair
from motcua.testing import make_commune, make_user

from .files import DATA, upload


def persons_of(job: MergeJob) -> dict[str, str]:
    wb = load_workbook(storage.workbook_path(job), read_only=True)
    rows = list(wb["Bản ghi gốc"].iter_rows(values_only=True))
    head = rows[0]
    return {r[head.index("Mã bản ghi")]: r[head.index("Mã người")] for r in rows[1:]}


def test_create_stores_the_files_and_queues_the_run(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.merge_job_create(
            now=clock.now(),
            user=officer,
            title="",
            uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
        )
    assert job.status == JobStatus.QUEUED
    stored = sorted(p.name for p in (storage.job_dir(job) / "input").iterdir())
    assert stored == ["01-chinh_gian.csv", "02-tam_thuan.csv"]
    assert [f.original_name for f in job.files.all()] == ["chinh_gian.csv", "tam_thuan.csv"]
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [job.pk]
    assert job.title.startswith("Hợp nhất 2 danh sách")


def test_create_refuses_what_is_not_a_register(officer):
    with pytest.raises(ValidationFailed) as err:
        services.merge_job_create(
            now=clock.now(),
            user=officer,
            title="x",
            uploads=[SimpleUploadedFile("danh-sach.pdf", b"%PDF-1.4"), SimpleUploadedFile("rong.csv", b"")],
        )
    assert any("danh-sach.pdf" in d and ".xlsx" in d for d in err.value.details)
    assert any("rong.csv" in d and "rỗng" in d for d in err.value.details)
    with pytest.raises(ValidationFailed):
        services.merge_job_create(now=clock.now(), user=officer, title="x", uploads=[])
    assert MergeJob.objects.count() == 0


def test_only_data_officers_leaders_and_admins_of_the_commune(ward, officer):
    counter = make_user(ward, Role.COUNTER_OFFICER, "motcua")
    with pytest.raises(NotAllowed):
        services.merge_job_create(now=clock.now(), user=counter, title="", uploads=[upload("chinh_gian.csv")])
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")]
    )
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    stranger = make_user(other, Role.DATA_OFFICER, "dulieu_ankhe")
    with pytest.raises(NotFound):
        selectors.job_get_for(user=stranger, pk=job.pk)
    leader = make_user(ward, Role.COMMUNE_LEADER, "chutich")
    assert selectors.job_get_for(user=leader, pk=job.pk) == job


def test_run_links_the_registers_writes_the_workbook_and_the_review_pairs(officer):
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân cư",
        uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.progress == 1.0 and job.runs == 1
    assert job.stats["records"] == 20
    persons = persons_of(job)
    assert len(persons) == 20
    assert persons["CG-001"] == persons["TT-001"]  # leading zero eaten, no diacritics
    assert persons["CG-007"] == persons["TT-006"] == persons["TT-010"]  # twice in one register too
    assert persons["CG-001"] != persons["CG-009"]  # a namesake
    assert job.stats["persons"] == len(set(persons.values()))
    assert [f.rows for f in job.files.all()] == [10, 10]
    pairs = list(ReviewPair.objects.filter(job=job))
    assert pairs, "the fixture holds uncertain pairs"
    first = pairs[0]
    assert first.left["raw"]["record_id"] == first.record_id_l
    assert first.left["raw"]["file_name"] in ("chinh_gian.csv", "tam_thuan.csv")


def test_quality_report_and_provenance_in_the_workbook(officer):
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân cư",
        uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    wb = load_workbook(storage.workbook_path(job), read_only=True)
    assert wb.sheetnames == [
        "Tổng hợp",
        "Danh sách hợp nhất",
        "Bản ghi gốc",
        "Xung đột",
        "Quyết định rà soát",
    ]
    merged = list(wb["Danh sách hợp nhất"].iter_rows(values_only=True))
    head = merged[0]
    assert len(merged) - 1 == job.stats["persons"]
    binh = next(r for r in merged[1:] if r[head.index("Họ và tên")] == "Võ Văn Bình")
    assert binh[head.index("Số bản ghi")] == 3
    assert binh[head.index("Số danh sách cũ")] == 2
    provenance = binh[head.index("Nguồn (danh sách cũ, dòng, mã bản ghi)")]
    assert "Phường Chính Gián (dòng 8, mã CG-007)" in provenance
    assert "Phường Tam Thuận (dòng 11, mã TT-010)" in provenance
    hung = next(r for r in merged[1:] if "CG-001" in r[head.index("Nguồn (danh sách cũ, dòng, mã bản ghi)")])
    # The kept values: the name with diacritics, the 12-digit CCCD, the full date.
    assert hung[head.index("Họ và tên")] == "Nguyễn Văn Hùng"
    assert hung[head.index("Số CCCD")] == "048078001234"
    assert hung[head.index("Ngày sinh")] == "12/03/1978"
    # The old address (P. Chính Gián, Q. Thanh Khê) is in the new Phường Thanh Khê.
    assert hung[head.index("Xã, phường mới")] == "Phường Thanh Khê"
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if len(r) > 1 and r[0]}
    assert summary["Tổng số bản ghi"] == 20
    assert summary["Số người bị ghi trùng trong cùng một danh sách"] == 1  # Võ Văn Bình in Tam Thuận
    assert (
        summary["Số người có mặt ở nhiều danh sách cũ"]
        == job.stats["quality"]["persons_in_several_registers"]
    )
    # Hoàng Thị Lan: one CCCD, 03/02/1990 and 02/03/1990 (day and month swapped).
    assert summary["Một số CCCD, hai ngày sinh khác nhau"] == 1
    conflicts = list(wb["Xung đột"].iter_rows(values_only=True))
    assert {r[3] for r in conflicts[1:]} == {"CG-006", "TT-005"}


def test_a_bad_register_fails_the_job_with_every_problem(officer):
    bad = SimpleUploadedFile("sai.csv", "ma,ho_ten\n1,Nguyễn Văn A\n".encode(), content_type="text/csv")
    job = services.merge_job_create(now=clock.now(), user=officer, title="", uploads=[bad])
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "sai.csv" in job.error and "record_id" in job.error
    assert storage.workbook_path(job) is None


def test_decisions_are_audited_and_a_rerun_applies_them(officer, ward):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")]
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    pair = ReviewPair.objects.filter(job=job).first()
    assert pair is not None, "the fixture holds uncertain pairs"
    verdict = not pair.same_person  # the reviewer contradicts the model
    with pytest.raises(ValidationFailed):
        services.review_decide(user=officer, job=job, pair_id=pair.pk, is_match=verdict, reason="  ")
    services.review_decide(user=officer, job=job, pair_id=pair.pk, is_match=not verdict, reason="Chưa rõ")
    leader = make_user(ward, Role.COMMUNE_LEADER, "chutich")
    services.review_decide(
        user=leader, job=job, pair_id=pair.pk, is_match=verdict, reason="Đã xác minh với tổ dân phố"
    )
    # Both decisions are kept; the latest counts.
    assert ReviewDecision.objects.filter(job=job).count() == 2
    assert selectors.latest_decisions(job)[(pair.record_id_l, pair.record_id_r)].is_match is verdict
    assert selectors.pending_decisions(job) == 2
    before = job.stats["persons"]

    services.merge_job_rerun(now=clock.now(), user=officer, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.runs == 2
    assert selectors.pending_decisions(job) == 0
    persons = persons_of(job)
    assert (persons[pair.record_id_l] == persons[pair.record_id_r]) is verdict
    assert job.stats["persons"] == before + (-1 if verdict else 1)
    assert not ReviewPair.objects.filter(
        job=job, record_id_l=pair.record_id_l, record_id_r=pair.record_id_r
    ).exists()
    wb = load_workbook(storage.workbook_path(job), read_only=True)
    audit = list(wb["Quyết định rà soát"].iter_rows(values_only=True))
    assert audit[1][1] == leader.display_name
    assert audit[1][4] == ("Cùng một người" if verdict else "Hai người khác nhau")
    assert audit[1][5] == "Đã xác minh với tổ dân phố"


def test_a_running_job_cannot_be_queued_twice(officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")]
    )
    with pytest.raises(Conflict):
        services.merge_job_rerun(now=clock.now(), user=officer, job=job)


def test_a_job_is_not_run_twice(officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")]
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    worker.merge_job_run(job_id=job.pk, now=clock.now())  # a duplicate delivery of the task
    job.refresh_from_db()
    assert job.runs == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_queued_job(ward):
    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")]
    )
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


# --------------------------------------------------------------------------- the screens


def test_upload_page_to_review_to_download(client, officer):
    client.force_login(officer)
    page = client.get(reverse("registers:jobs"))
    assert "Hợp nhất danh sách dân cư" in page.content.decode()
    response = client.post(
        reverse("registers:jobs"),
        {"title": "Dân cư 2 phường", "files": [upload("chinh_gian.csv"), upload("tam_thuan.csv")]},
    )
    job = MergeJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registers:job", args=[job.pk])
    queued = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in queued and "Đang chờ" in queued
    assert client.get(reverse("registers:download", args=[job.pk])).status_code == 404

    worker.merge_job_run(job_id=job.pk, now=clock.now())
    polled = client.get(reverse("registers:progress", args=[job.pk]) + "?dang_chay=1", HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"
    done = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert "every 1s" not in done and "Tải danh sách hợp nhất (Excel)" in done
    assert "Báo cáo chất lượng" in done

    review = client.get(reverse("registers:review", args=[job.pk])).content.decode()
    pair = ReviewPair.objects.filter(job=job).first()
    assert pair.left["raw"]["full_name"] in review and "Cùng một người" in review
    missing_reason = client.post(reverse("registers:decide", args=[job.pk, pair.pk]), {"verdict": "match"})
    assert missing_reason.status_code == 302 and not ReviewDecision.objects.exists()
    client.post(
        reverse("registers:decide", args=[job.pk, pair.pk]), {"verdict": "match", "reason": "Cùng hộ"}
    )
    assert ReviewDecision.objects.get().decided_by == officer

    download = client.get(reverse("registers:download", args=[job.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert wb.sheetnames[1] == "Danh sách hợp nhất"


def test_upload_errors_are_shown_on_the_form(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("registers:jobs"), {"title": "", "files": [SimpleUploadedFile("a.txt", b"x")]}
    )
    assert response.status_code == 422
    assert "a.txt: chỉ nhận tệp .csv" in response.content.decode()


def test_other_roles_and_communes_do_not_see_the_screens(client, ward, officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")]
    )
    client.force_login(make_user(ward, Role.COUNTER_OFFICER, "motcua"))
    assert client.get(reverse("registers:jobs")).status_code == 403
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    client.force_login(make_user(other, Role.DATA_OFFICER, "dulieu_ankhe"))
    for name in ("registers:job", "registers:review", "registers:download", "registers:progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert client.post(reverse("registers:rerun", args=[job.pk])).status_code == 404


def test_files_live_outside_the_web_root():
    assert not str(settings.REGISTERS_ROOT).startswith(str(settings.STATIC_ROOT))


def test_side_by_side_marks_what_agrees():
    from motcua.registers.review import side_by_side

    pair = ReviewPair(
        rank=1,
        record_id_l="CG-008",
        record_id_r="TT-008",
        match_probability=0.8,
        match_weight=2.0,
        same_person=True,
        left={
            "raw": {
                "record_id": "CG-008",
                "full_name": "Đặng Thị Hoa",
                "birth_date": "30/09/1985",
                "phone": "0912333444",
            },
            "norm": {"birth_date": "1985-09-30", "birth_year": 1985, "citizen_id": None, "cmnd": "201234567"},
        },
        right={
            "raw": {"record_id": "TT-008", "full_name": "DANG THI HOA", "birth_date": "1985"},
            "norm": {"birth_date": None, "birth_year": 1985, "citizen_id": "048185001234", "cmnd": None},
        },
    )
    rows = {r["label"]: r for r in side_by_side(pair.left, pair.right)}
    assert rows["Họ và tên"]["agree"] == "same"  # folded
    assert rows["Ngày sinh"]["agree"] == "same_year"  # a bare year on one side
    assert rows["Số CCCD/CMND"]["agree"] is None  # a CMND against a CCCD
    assert rows["Điện thoại"]["agree"] is None and rows["Điện thoại"]["right"] == ""


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_and_a_silent_one_is_stale(ward, monkeypatch):
    import datetime as dt
    import time

    from motcua.core import clock

    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    long_ago = clock.now() - dt.timedelta(minutes=5)
    MergeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago)
    job.refresh_from_db()
    assert selectors.is_stale(job, now=clock.now())
    # A stale run may be queued again (its worker is gone).
    assert services.merge_job_rerun(now=clock.now(), user=officer, job=job).status == JobStatus.QUEUED
    MergeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago)

    monkeypatch.setattr(worker, "HEARTBEAT_SECONDS", 0.05)
    beat = worker._Heartbeat(job.pk)
    beat.start()
    time.sleep(0.5)
    beat.stop()
    job.refresh_from_db()
    assert job.heartbeat_at > long_ago
    assert not selectors.is_stale(job, now=clock.now())


def test_an_excel_register_is_merged_with_a_csv_one(officer, tmp_path):
    import csv

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH NHÂN KHẨU PHƯỜNG TAM THUẬN"])  # a title block above the header
    with (DATA / "tam_thuan.csv").open(encoding="utf-8") as f:
        for row in csv.reader(f):
            ws.append(row)
    path = tmp_path / "Tam Thuận (bản Excel).xlsx"
    wb.save(path)
    excel = SimpleUploadedFile(path.name, path.read_bytes())
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv"), excel], enqueue=False
    )
    assert [f.stored_name for f in job.files.all()] == ["01-chinh_gian.csv", "02-Tam-Thu-n-b-n-Excel.xlsx"]
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    persons = persons_of(job)
    assert persons["CG-001"] == persons["TT-001"]
    records = list(
        load_workbook(storage.workbook_path(job), read_only=True)["Bản ghi gốc"].iter_rows(values_only=True)
    )
    head = records[0]
    tt1 = next(r for r in records if r[head.index("Mã bản ghi")] == "TT-001")
    # Provenance names the file as uploaded and the sheet's own row (title row + header above).
    assert tt1[head.index("Tệp")] == "Tam Thuận (bản Excel).xlsx"
    assert tt1[head.index("Dòng")] == 3


def test_the_bar_moves_through_every_step(officer, monkeypatch):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    seen: list[tuple[str, float]] = []
    real = worker._set_progress

    def spy(job_id, step, progress, *, detail=""):
        real(job_id, step, progress, detail=detail)
        row = MergeJob.objects.get(pk=job_id)
        seen.append((row.step, row.progress))

    monkeypatch.setattr(worker, "_set_progress", spy)
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    steps = [s for s, _ in seen]
    assert steps[:3] == ["read", "normalise", "link"]
    assert [s for s in steps if s.startswith("link.")] == [
        "link.blocking",
        "link.training",
        "link.scoring",
        "link.clustering",
    ]
    assert steps[-1] == "write"
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] < 1
    assert all(s in selectors.STEP_LABELS for s in steps)
    job.refresh_from_db()
    assert job.progress == 1.0 and job.step == "done"


def test_the_list_shows_counts_the_vietnamese_way(client, officer):
    job = services.merge_job_create(
        now=clock.now(), user=officer, title="Dân cư", uploads=[upload("chinh_gian.csv")], enqueue=False
    )
    MergeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, stats={"records": 230783, "persons": 200000}
    )
    client.force_login(officer)
    page = client.get(reverse("registers:jobs")).content.decode()
    assert "230.783 bản ghi → 200.000 người" in page


def test_the_services_and_the_run_take_now_from_the_interface(officer, ward):
    """``now`` is passed in: the queue time, the start of the run, a rerun and a cancel are
    stamped with the moment given, not the machine's clock."""
    at = dt.datetime(2025, 3, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam
    job = services.merge_job_create(
        user=officer, title="", uploads=[upload("chinh_gian.csv")], now=at, enqueue=False
    )
    assert job.queued_at == at
    started = at + dt.timedelta(minutes=2)
    worker.merge_job_run(job_id=job.pk, now=started)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.started_at == started
    again = at + dt.timedelta(hours=1)
    job = services.merge_job_rerun(user=officer, job=job, now=again)
    assert job.queued_at == again and job.started_at is None
    cancelled = services.merge_job_cancel(user=officer, job=job, now=again + dt.timedelta(minutes=1))
    assert cancelled.finished_at == cancelled.cancel_requested_at == again + dt.timedelta(minutes=1)
    assert "09:01 01/03/2025" in cancelled.error
