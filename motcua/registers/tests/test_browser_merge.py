"""The issue's browser story, in Chromium: a data officer of Phường Thanh Khê uploads the
registers of two old wards (Chính Gián, Tam Thuận), watches the merge run in the background,
decides an uncertain pair side by side, applies the decision, downloads the merged register and
finds the rows as expected.

The task worker runs in a thread of the test process (the live server's database is the test
database); it is started only once the page shows the job waiting, so the test sees the bar
before, while and after the run.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from openpyxl import load_workbook
from playwright.sync_api import expect

from motcua.org.models import Role
from motcua.registers.models import MergeJob, ReviewDecision
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"
SHOTS = Path("var/screenshots")


class WorkerThread:
    def __init__(self) -> None:
        self.worker = Worker(
            queue_names=["default"],
            interval=0.2,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="browser-test",
            excluded_queue_names=[],
        )
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        finally:
            connection.close()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.worker.running = False
        self.thread.join(timeout=30)


@pytest.fixture
def worker():
    threads: list[WorkerThread] = []

    def start() -> None:
        w = WorkerThread()
        w.start()
        threads.append(w)

    yield start
    for w in threads:
        w.stop()


def login(page, live_server, username):
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def test_data_officer_merges_two_registers_reviews_a_pair_and_downloads_excel(
    live_server, page, worker, tmp_path, axe_scan, axe_report
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ward = make_commune()
    make_user(ward, Role.DATA_OFFICER, "dulieu")
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "dulieu")
    # The data officer lands on the merge screen.
    expect(page.get_by_role("heading", name="Hợp nhất danh sách dân cư của các phường cũ")).to_be_visible()
    assert axe_scan(page) == [], axe_report(axe_scan(page))

    page.get_by_label("Tên đợt (không bắt buộc)").fill("Dân cư Chính Gián và Tam Thuận")
    page.get_by_label("Các tệp danh sách").set_input_files(
        [str(DATA / "chinh_gian.csv"), str(DATA / "tam_thuan.csv")]
    )
    page.get_by_role("button", name="Tải lên và hợp nhất").click()

    # Waiting for the background worker: the bar is there, polling.
    expect(page.get_by_role("heading", name="Dân cư Chính Gián và Tam Thuận")).to_be_visible()
    bar = page.locator("#merge-progress")
    expect(bar).to_be_visible()
    expect(page.get_by_text("Đang chờ tiến trình nền")).to_be_visible()
    assert bar.get_attribute("value") == "0"
    page.screenshot(path=str(SHOTS / "registers-1-queued.png"), full_page=True)
    assert axe_scan(page) == [], axe_report(axe_scan(page))

    worker()
    # The poll notices the end and reloads the page with the results.
    expect(page.get_by_text("Đã xong")).to_be_visible(timeout=60_000)
    expect(page.locator("#merge-progress")).to_have_count(0)
    expect(page.locator("#n-records")).to_have_text("20")
    persons_before = int(page.locator("#n-persons").inner_text())
    expect(page.get_by_role("heading", name="Báo cáo chất lượng")).to_be_visible()
    page.screenshot(path=str(SHOTS / "registers-2-done.png"), full_page=True)
    assert axe_scan(page) == [], axe_report(axe_scan(page))

    # Review: the most uncertain pair is shown first, side by side. The officer has checked
    # with the neighbourhood and decides against what the model did: a pair it merged is two
    # people, a pair it kept apart is one person.
    page.get_by_role("link", name="Rà soát các cặp chưa chắc chắn").click()
    expect(page.get_by_role("heading", name="Rà soát các cặp chưa chắc chắn")).to_be_visible()
    compare = page.locator("table.compare")
    expect(compare).to_be_visible()
    left_id = compare.locator("tr", has_text="Mã bản ghi").locator("td").nth(0).inner_text()
    right_id = compare.locator("tr", has_text="Mã bản ghi").locator("td").nth(1).inner_text()
    assert left_id != right_id
    expect(compare.locator("tr", has_text="Họ và tên")).to_contain_text("khớp")
    merged_by_model = page.locator("#pair").get_by_text("vào cùng một người").count() == 1
    page.screenshot(path=str(SHOTS / "registers-3-review.png"), full_page=True)
    assert axe_scan(page) == [], axe_report(axe_scan(page))
    if merged_by_model:
        page.get_by_label("Hai người khác nhau").check()
        page.get_by_label("Lý do (bắt buộc)").fill("Đã xác minh với tổ dân phố: hai người trùng tên")
        expected_persons = persons_before + 1
    else:
        page.get_by_label("Cùng một người").check()
        page.get_by_label("Lý do (bắt buộc)").fill(
            "Đã xác minh với tổ dân phố: chuyển hộ khẩu sang Tam Thuận"
        )
        expected_persons = persons_before - 1
    page.get_by_role("button", name="Ghi quyết định").click()
    expect(page.get_by_text("Đã ghi quyết định")).to_be_visible()
    decision = ReviewDecision.objects.get()
    assert (decision.record_id_l, decision.record_id_r) == tuple(sorted((left_id, right_id)))
    assert decision.is_match is not merged_by_model and decision.decided_by.username == "dulieu"

    # Apply: a second run in the background with the decision as a constraint.
    page.get_by_role("link", name="← Dân cư Chính Gián và Tam Thuận").click()
    expect(page.get_by_text("1 quyết định chưa được áp dụng")).to_be_visible()
    page.get_by_role("button", name="Áp dụng quyết định và chạy lại").click()
    expect(page.get_by_text("lần chạy thứ 2")).to_be_visible(timeout=60_000)
    expect(page.locator("#n-persons")).to_have_text(str(expected_persons))
    expect(page.get_by_text("Mọi quyết định đã được áp dụng")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải danh sách hợp nhất (Excel)").click()
    download = info.value
    assert download.suggested_filename.endswith("-lan-2.xlsx")
    path = tmp_path / "hop-nhat.xlsx"
    download.save_as(path)
    wb = load_workbook(path, read_only=True)
    records = list(wb["Bản ghi gốc"].iter_rows(values_only=True))
    head = records[0]
    person = {r[head.index("Mã bản ghi")]: r[head.index("Mã người")] for r in records[1:]}
    assert len(person) == 20
    if merged_by_model:
        assert person[left_id] != person[right_id]
    else:
        assert person[left_id] == person[right_id]
    assert person["CG-001"] == person["TT-001"]  # the CCCD lost its leading zero, no diacritics
    assert person["CG-001"] != person["CG-009"]  # a namesake
    merged = list(wb["Danh sách hợp nhất"].iter_rows(values_only=True))
    assert len(merged) - 1 == expected_persons == len(set(person.values()))
    provenance = merged[0].index("Nguồn (danh sách cũ, dòng, mã bản ghi)")
    hung = next(r for r in merged[1:] if "CG-001" in r[provenance])
    assert "Phường Tam Thuận (dòng 2, mã TT-001)" in hung[provenance]
    audit = list(wb["Quyết định rà soát"].iter_rows(values_only=True))
    assert audit[1][4] == ("Hai người khác nhau" if merged_by_model else "Cùng một người")
    assert MergeJob.objects.get().runs == 2
    page.screenshot(path=str(SHOTS / "registers-4-applied.png"), full_page=True)
