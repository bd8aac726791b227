"""The issue's browser story for the fast path, in Chromium: a data officer opens a finished merge,
rejects on the review page a pair the run merged, applies the decision without a rerun, and the
job page shows one more person at once and, once the background task has rewritten the files
(run here in the test), the download buttons by themselves (the notice polls; no reload) and the
downloaded workbook too — the run count unchanged, the merge never run again."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import Role
from motcua.registers import services, tasks, worker
from motcua.registers.models import JobStatus, MergeJob, ReviewDecision
from motcua.testing import make_commune, make_user

from .files import upload

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots")


def login(page, live_server, username):
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def test_a_rejected_pair_is_applied_without_a_rerun(
    live_server, page, tmp_path, monkeypatch, axe_scan, axe_report
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ward = make_commune()
    officer = make_user(ward, Role.DATA_OFFICER, "dulieu")
    job = services.merge_job_create(
        now=clock.now(),
        user=officer,
        title="Dân cư Chính Gián và Tam Thuận",
        uploads=[upload("chinh_gian.csv"), upload("tam_thuan.csv")],
        enqueue=False,
    )
    worker.merge_job_run(job_id=job.pk, now=clock.now())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.runs == 1
    # From here on nothing may run the merge again.
    calls: list[object] = []
    monkeypatch.setattr(worker, "merge_job_run", lambda **kw: calls.append(kw))
    monkeypatch.setattr(services, "_enqueue", lambda job_id: calls.append(job_id))
    files_queued: list[tuple[int, int]] = []
    monkeypatch.setattr(
        services, "_enqueue_files", lambda job_id, run_no: files_queued.append((job_id, run_no))
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "dulieu")
    page.goto(f"{live_server.url}/hop-nhat-danh-sach/{job.pk}/")
    expect(page.get_by_role("heading", name="Dân cư Chính Gián và Tam Thuận")).to_be_visible()
    persons_before = int(page.locator("#n-persons").inner_text())
    expect(page.get_by_role("button", name="Áp dụng quyết định (không chạy lại)")).to_be_disabled()

    # The review page: the first pair shown is one the run merged; the officer says two people.
    page.get_by_role("link", name="Rà soát các cặp chưa chắc chắn").click()
    compare = page.locator("table.compare")
    expect(compare).to_be_visible()
    left_id = compare.locator("tr", has_text="Mã bản ghi").locator("td").nth(0).inner_text()
    right_id = compare.locator("tr", has_text="Mã bản ghi").locator("td").nth(1).inner_text()
    expect(page.locator("#pair").get_by_text("vào cùng một người")).to_have_count(1)
    page.get_by_label("Hai người khác nhau").check()
    page.get_by_label("Lý do (bắt buộc)").fill("Đã xác minh với tổ dân phố: hai người trùng tên")
    page.get_by_role("button", name="Ghi quyết định").click()
    expect(page.get_by_text("Đã ghi quyết định")).to_be_visible()
    decision = ReviewDecision.objects.get()
    assert (decision.record_id_l, decision.record_id_r) == tuple(sorted((left_id, right_id)))

    # Back on the job page: apply without a rerun.
    page.get_by_role("link", name="← Dân cư Chính Gián và Tam Thuận").click()
    expect(page.get_by_text("1 quyết định chưa được áp dụng")).to_be_visible()
    apply = page.get_by_role("button", name="Áp dụng quyết định (không chạy lại)")
    expect(apply).to_be_enabled()
    expect(apply).to_have_class("primary")
    assert axe_scan(page) == [], axe_report(axe_scan(page))
    apply.click()

    expect(page.get_by_text("Đã áp dụng 1 quyết định: danh sách hợp nhất có")).to_be_visible()
    expect(page.locator("#applied")).to_contain_text("Đã áp dụng 1 quyết định lúc")
    expect(page.locator("#n-persons")).to_have_text(str(persons_before + 1))
    expect(page.get_by_text("Mọi quyết định đã được áp dụng")).to_be_visible()
    # The files are rewritten by a background task: until then no stale download is offered.
    expect(page.locator("#files-updating")).to_contain_text("Đang cập nhật tệp Excel…")
    expect(page.get_by_role("link", name="Tải danh sách hợp nhất (Excel)")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "registers-apply-without-rerun.png"), full_page=True)
    assert axe_scan(page) == [], axe_report(axe_scan(page))
    assert files_queued == [(job.pk, 1)]
    # The notice polls (htmx); the officer does not reload: a mark set in the page now must
    # still be there when the buttons show (a reload would wipe it).
    expect(page.locator("#files[hx-get]")).to_have_count(1)
    page.evaluate("window.motcuaNotReloaded = true")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/tep-tai-ve/" in r.url else None)
    page.wait_for_timeout(2500)
    assert polls, "the notice polls while the files are rewritten"
    tasks.merge_job_files(job_id=job.pk, run_no=1)  # the task, run here as the worker would
    expect(page.get_by_role("link", name="Tải danh sách hợp nhất (Excel)")).to_be_visible(timeout=10_000)
    expect(page.locator("#files-updating")).to_have_count(0)
    expect(page.get_by_role("link", name="Danh sách dân cư theo CSDLQG (CSV)")).to_be_visible()
    assert page.evaluate("window.motcuaNotReloaded") is True
    # Ready: the fragment stops polling.
    expect(page.locator("#files[hx-get]")).to_have_count(0)
    seen = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == seen
    assert axe_scan(page) == [], axe_report(axe_scan(page))

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải danh sách hợp nhất (Excel)").click()
    path = tmp_path / "hop-nhat.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith("-lan-1.xlsx")  # the same run, no second one
    wb = load_workbook(path, read_only=True)
    rows = list(wb["Bản ghi gốc"].iter_rows(values_only=True))
    head = rows[0]
    person = {r[head.index("Mã bản ghi")]: r[head.index("Mã người")] for r in rows[1:]}
    assert person[left_id] != person[right_id]
    merged = list(wb["Danh sách hợp nhất"].iter_rows(values_only=True))
    assert len(merged) - 1 == persons_before + 1 == len(set(person.values()))
    audit = list(wb["Quyết định rà soát"].iter_rows(values_only=True))
    assert audit[1][4] == "Hai người khác nhau"

    job = MergeJob.objects.get()
    assert job.runs == 1 and job.status == JobStatus.DONE
    assert calls == []  # neither the worker nor the queue was called
