"""In Chromium: a data officer's merge is stuck (its run never answers); the page shows it
running with a «Huỷ» button; the officer cancels and the page shows the job cancelled within
seconds, while the worker is free for the next job."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import Role
from motcua.registers import worker as merge_worker
from motcua.registers.models import JobStatus, MergeJob
from motcua.testing import make_commune, make_user

from .test_browser_merge import SHOTS, WorkerThread, login

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"


def test_officer_cancels_a_stuck_merge(live_server, page, monkeypatch, axe_scan, axe_report):
    SHOTS.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(merge_worker, "CHILD_ARGV", [sys.executable, "-c", "import time; time.sleep(600)"])
    monkeypatch.setattr(merge_worker, "STOP_GRACE_SECONDS", 1)
    ward = make_commune()
    make_user(ward, Role.DATA_OFFICER, "dulieu")
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "dulieu")
    page.get_by_label("Tên đợt (không bắt buộc)").fill("Dân cư Chính Gián")
    page.get_by_label("Các tệp danh sách").set_input_files([str(DATA / "chinh_gian.csv")])
    page.get_by_role("button", name="Tải lên và hợp nhất").click()
    expect(page.get_by_role("heading", name="Dân cư Chính Gián")).to_be_visible()

    worker = WorkerThread()
    worker.start()
    try:
        expect(page.get_by_text("Đang chạy")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("đã chạy")).to_be_visible()
        expect(page.get_by_text("Đang chờ tiến trình nền")).to_have_count(0)
        cancel = page.get_by_role("button", name="Huỷ đợt hợp nhất này")
        expect(cancel).to_be_visible()
        page.screenshot(path=str(SHOTS / "registers-5-running-cancel.png"), full_page=True)
        assert axe_scan(page) == [], axe_report(axe_scan(page))
        cancel.click()
        expect(page.get_by_text("Đợt hợp nhất đã bị huỷ")).to_be_visible(timeout=15_000)
        expect(page.get_by_text("Đã huỷ theo yêu cầu của")).to_be_visible()
        page.screenshot(path=str(SHOTS / "registers-6-cancelled.png"), full_page=True)
        assert axe_scan(page) == [], axe_report(axe_scan(page))
        assert MergeJob.objects.get().status == JobStatus.CANCELLED
    finally:
        # A failed assertion must not leave the worker supervising the hanging child.
        MergeJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
            cancel_requested_at=clock.now()
        )
        worker.stop()
