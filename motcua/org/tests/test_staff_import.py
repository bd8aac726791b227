"""Importing staff from Excel: all rows or none, every bad row named; hostile files refused fast."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from motcua.org.models import DepartmentKind, Role, User
from motcua.org.staff_excel import COLUMNS
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    commune = make_commune()
    staff = make_staff(commune)
    client.force_login(staff["admin"])
    return client


def _xlsx(rows: list[list[object]], header: tuple[str, ...] = COLUMNS) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("can-bo.xlsx", out.getvalue())


def _post(client, upload):
    return client.post(reverse("org:staff_import"), {"file": upload})


def test_good_workbook_creates_every_account_with_one_time_passwords(admin_client):
    response = _post(
        admin_client,
        _xlsx(
            [
                [
                    "motcua2",
                    "Nguyễn Thị Lan",
                    "Cán bộ một cửa",
                    "",
                    "Cán bộ tiếp nhận",
                    "lan@example.vn",
                    "0905123456",
                ],
                [],
                [
                    "pho.chutich",
                    "Trần Văn Bình",
                    "lãnh đạo ubnd, truong phong",
                    "Phòng Kinh tế, Hạ tầng và Đô thị",
                    "Phó Chủ tịch",
                    None,
                    905111222,
                ],
            ]
        ),
    )
    assert response.status_code == 200, response.content.decode()[:500]
    assert "Đã tạo 2 tài khoản" in response.content.decode()
    lan = User.objects.get(username="motcua2")
    assert lan.role == Role.COUNTER_OFFICER and lan.must_change_password and lan.phone == "0905123456"
    binh = User.objects.get(username="pho.chutich")
    assert binh.roles == {Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD}
    assert binh.department.kind == DepartmentKind.ECONOMIC and binh.phone == "905111222"


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(admin_client):
    response = _post(
        admin_client,
        _xlsx(
            [
                ["moi1", "Người Một", "Cán bộ một cửa", "", "", "", ""],
                ["moi2", "", "Cán bộ một cửa", "", "", "", ""],
                ["moi3", "Người Ba", "Giám đốc", "", "", "", ""],
                ["moi1", "Trùng", "Cán bộ một cửa", "", "", "", ""],
                ["motcua", "Đã có", "Cán bộ một cửa", "", "", "", ""],
                ["moi6", "Người Sáu", "Chuyên viên", "Phòng Không Có", "", "", ""],
                ["moi7", "Người Bảy" + "x" * 200, "Chuyên viên", "", "", "", ""],
                ['=HYPERLINK("http://x")', "Người Tám", "Cán bộ một cửa", "", "", "", ""],
            ]
        ),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Không nhập tài khoản nào: 7 dòng có lỗi" in page
    for line, text in [
        (3, "chưa nhập họ và tên"),
        (4, "vai trò «Giám đốc» không có"),
        (5, "tên đăng nhập «moi1» trùng với dòng 2"),
        (6, "tên đăng nhập «motcua» đã có người dùng"),
        (7, "phòng ban «Phòng Không Có» không có"),
        (8, "họ và tên dài quá 150 ký tự"),
        # A formula (no cached value) is read as an empty cell: the row has no username.
        (9, "chưa nhập tên đăng nhập"),
    ]:
        assert f"Dòng {line}: {text}" in page, line
    assert "Dòng 2:" not in page
    assert not User.objects.filter(username__startswith="moi").exists()


def test_missing_columns_and_non_excel_files_are_refused(admin_client):
    response = _post(admin_client, _xlsx([["a", "b"]], header=("tên", "tuổi")))
    assert (
        response.status_code == 422
        and "thiếu cột: «username», «họ và tên», «vai trò»" in response.content.decode()
    )
    response = _post(admin_client, SimpleUploadedFile("x.xlsx", b"not a zip"))
    assert response.status_code == 422 and "không phải Excel" in response.content.decode()
    response = _post(admin_client, SimpleUploadedFile("x.xlsx", b"PK" + b"0" * (1024 * 1024 + 10)))
    assert response.status_code == 422 and "Tệp lớn quá 1024 KB" in response.content.decode()


def _rewrite(data: bytes, member: str, transform) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == member:
                content = transform(content)
            dst.writestr(info, content)
    return out.getvalue()


def test_declared_billion_rows_and_zip_bombs_are_refused_in_a_moment(admin_client):
    good = _xlsx([["moi1", "Người Một", "Cán bộ một cửa"]]).read()
    bomb = _rewrite(
        good,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:I1000000000"', x),
    )
    assert b"A1:I1000000000" in zipfile.ZipFile(io.BytesIO(bomb)).read("xl/worksheets/sheet1.xml")
    started = time.perf_counter()
    response = _post(admin_client, SimpleUploadedFile("bom.xlsx", bomb))
    assert time.perf_counter() - started < 5
    assert response.status_code == 422 and "khai báo quá 500 dòng" in response.content.decode()
    strings = _rewrite(good, "docProps/app.xml", lambda x: x + b" " * (11 * 1024 * 1024))
    response = _post(admin_client, SimpleUploadedFile("bom.xlsx", strings))
    assert response.status_code == 422 and "giải nén ra quá lớn" in response.content.decode()
    assert not User.objects.filter(username="moi1").exists()


def test_template_workbook_is_text_only_and_reads_back(admin_client):
    response = admin_client.get(reverse("org:staff_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('"mau-danh-sach-can-bo.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in wb.worksheets[0][1]]
    assert header == list(COLUMNS)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type == "s", cell.coordinate
    # Filling the template with one row imports it.
    ws = wb.worksheets[0]
    ws.append(["moi1", "Người Một", "Cán bộ một cửa"])
    out = io.BytesIO()
    wb.save(out)
    response = _post(admin_client, SimpleUploadedFile("mau.xlsx", out.getvalue()))
    assert response.status_code == 200 and User.objects.filter(username="moi1").exists()


def test_import_is_for_the_admin_only(client):
    commune = make_commune()
    staff = make_staff(commune)
    client.force_login(staff["leader"])
    assert client.get(reverse("org:staff_template")).status_code == 403
    assert _post(client, _xlsx([["moi1", "Người Một", "Cán bộ một cửa"]])).status_code == 403
    assert not User.objects.filter(username="moi1").exists()
