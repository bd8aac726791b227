"""Feedback from a Zalo group or a fan page, imported from .xlsx (issue 9 §1): columns by their
Vietnamese names, a preview with a category per row, all rows or none, the same file twice adds
nothing, hostile files refused in Vietnamese, staff roles only."""

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.feedback.models import Channel, FeedbackItem

from .conftest import NOW

URL = "/gop-y/nhap-excel/"


@pytest.fixture(autouse=True)
def _env(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path
    with clock.pinned(NOW):
        yield


def _xlsx(rows, *, title_rows=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (*title_rows, *rows):
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ("THỜI GIAN", "Nguoi gui", "Nội dung", "SĐT", "Địa chỉ", "Tổ dân phố")
ROWS = (
    HEADER,
    (dt.datetime(2026, 2, 9, 20, 15), "Zalo Minh Anh", "Đèn đường kiệt 45 tắt mấy hôm nay", "0905 111 333", "Kiệt 45", "TDP 2"),
    ("09/02/2026 21:00", "Hoa Nguyễn", "Rác để giữa đường, hôi quá", "", "", "Tổ 9"),
    ("", "", "", "", "", ""),
)  # fmt: skip


def _login(staff, role="leader"):
    c = Client()
    c.force_login(staff[role])
    return c


def _upload(client, data, name="zalo.xlsx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def _preview(client, data):
    r = _upload(client, data)
    assert r.status_code == 200, r.content.decode()[:2000]
    return r.context["book"]


def test_preview_then_import_all_then_again_nothing(ward, staff, setup):
    c = _login(staff)
    data = _xlsx(ROWS, title_rows=[("Xuất từ nhóm Zalo Phường Thanh Khê",)])
    book = _preview(c, data)
    assert [r.line for r in book.rows] == [3, 4] and not book.problems
    first, second = book.rows
    assert first.phone == "0905111333" and first.neighbourhood == setup["neighbourhoods"][1]
    assert second.neighbourhood is None and "Tổ 9" in second.warnings[0]
    page = c.get(URL).content.decode()
    assert "Nhập phản ánh từ Excel" in page
    r = c.post(URL, {"sha256": book.sha256, "confirm": "1", "cat_3": "chieu-sang", "cat_4": ""})
    assert r.status_code == 200 and "Đã nhập 2 phản ánh" in r.content.decode()
    items = {i.import_ref.split(":")[1]: i for i in FeedbackItem.objects.all()}
    assert items["3"].category.code == "chieu-sang" and items["4"].category.code == "khac"
    assert items["3"].channel == Channel.IMPORT and items["3"].reporter_name == "Zalo Minh Anh"
    assert items["3"].attributes["thoi_gian_gui"] == "09/02/2026 20:15"
    assert items["3"].title == "Đèn đường kiệt 45 tắt mấy hôm nay" and items["3"].received_at == NOW
    # The same file again: the preview says so, the import adds nothing.
    book = _preview(c, data)
    assert _preview(c, data).sha256 == book.sha256
    r = c.post(URL, {"sha256": book.sha256, "confirm": "1"})
    assert "Đã nhập 0 phản ánh; 2 dòng đã nhập từ trước" in r.content.decode()
    assert FeedbackItem.objects.count() == 2


def test_a_bad_row_imports_nothing(ward, staff, setup):
    c = _login(staff, "head_econ")
    data = _xlsx(
        [HEADER, ("hôm qua", "An", "Ổ gà", "123", "", ""), ("09/02/2026", "Bình", "Ngập", "", "", "")]
    )
    book = _preview(c, data)
    assert len(book.problems) == 2
    r = c.post(URL, {"sha256": book.sha256, "confirm": "1"})
    assert r.status_code == 422 and "dòng sai" in r.content.decode()
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Ngày", "Tên", "Ghi chú"), ("1", "2", "3")], "không thấy dòng tiêu đề"),
        ([HEADER], "không có dòng nào có nội dung"),
        ([HEADER, ("09/02/2026", "An", '=HYPERLINK("http://x")')], "chứa công thức"),
        ([HEADER, ("09/02/2026", "An", "x" * 4001)], None),
    ],
)
def test_files_refused_or_rows_flagged(ward, staff, setup, rows, message):
    c = _login(staff)
    r = _upload(c, _xlsx(rows))
    if message is None:  # an over-long cell: a row problem
        assert r.status_code == 200 and "quá 4000 ký tự" in r.content.decode()
    else:
        assert r.status_code == 422 and message in r.content.decode()


def _bomb_dimension() -> bytes:
    data = _xlsx([HEADER, ("09/02/2026", "An", "Ổ gà")])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[A-Z0-9:]+"', b'<dimension ref="A1:F1048576"', body)
                assert b"1048576" in body
            z.writestr(info.filename, body)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (20 * 2**20))
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_bomb_dimension, "khai báo"),
        (_zip_bomb, "bất thường"),
        (lambda: b"\xd0\xcf\x11\xe0 old xls", "không phải tệp Excel .xlsx"),
        (lambda: b"PK\x03\x04 broken", "không đọc được"),
    ],
)
def test_hostile_files_refused_in_vietnamese(ward, staff, setup, make, message):
    r = _upload(_login(staff), make())
    assert r.status_code == 422 and message in r.content.decode()
    assert not FeedbackItem.objects.exists()


def test_staff_roles_only(ward, staff, setup):
    data = _xlsx(ROWS)
    for role in ("specialist_econ", "counter"):
        assert _upload(_login(staff, role), data).status_code == 403
    assert _login(staff, "admin").get(URL).status_code == 200
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("core:login"))


def test_a_staged_file_of_another_commune_is_not_found(ward, staff, setup, other_ward):
    from motcua.testing import make_feedback_setup, make_staff

    book = _preview(_login(staff), _xlsx(ROWS))
    make_feedback_setup(other_ward)
    theirs = make_staff(other_ward, prefix="ak_")
    r = _login(theirs).post(URL, {"sha256": book.sha256, "confirm": "1"})
    assert r.status_code == 422 and "không còn" in r.content.decode()
    assert _login(theirs).post(URL, {"sha256": "../" * 10, "confirm": "1"}).status_code == 422
    assert not FeedbackItem.objects.exists()


def test_no_file_and_nul_name(ward, staff, setup):
    c = _login(staff)
    assert c.post(URL, {}).status_code == 422
    r = c.post(URL, {"file": SimpleUploadedFile("a\x00b.xlsx", _xlsx(ROWS))})
    assert r.status_code == 200


def test_nav_link_for_importers_only(ward, staff, setup):
    assert URL in _login(staff, "head_econ").get(URL).content.decode()
    page = _login(staff, "specialist_econ").get(reverse("dossiers:inbox"))
    assert page.status_code == 200 and f'href="{URL}"' not in page.content.decode()
