"""The address conversion page and its download: upload, paste, refusals, who may download."""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.org.models import Role
from motcua.testing import make_commune, make_user

XUAN_HA = "12 Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng"
CSV = ('Họ tên,Địa chỉ,Ghi chú\nAn,"' + XUAN_HA + '",=1+1\nBình,asdf qwer,\n').encode()


def _token(response):
    return response.context["token"]


def test_upload_shows_counts_and_failures_and_downloads_every_row(client, officer):
    client.force_login(officer)
    assert client.get(reverse("registers:addresses")).status_code == 200
    response = client.post(
        reverse("registers:addresses"), {"file": SimpleUploadedFile("ds.csv", CSV, "text/csv")}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "asdf qwer" in html and "Không nhận ra" in html
    assert dict(response.context["counts"]) == {
        "Đã chuyển": 1,
        "Chỉ xác định được tỉnh": 0,
        "Không chuyển được": 1,
    }
    download = client.get(reverse("registers:addresses_download", args=[_token(response)]))
    assert download.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][:4] == ("Họ tên", "Địa chỉ", "Ghi chú", "Địa chỉ sau chuyển đổi")
    assert rows[1][:4] == ("An", XUAN_HA, "=1+1", "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng")
    assert rows[2][-2] == "Không chuyển được"


def test_pasted_lines_and_a_chosen_column(client, officer):
    client.force_login(officer)
    pasted = client.post(reverse("registers:addresses"), {"lines": XUAN_HA + "\n\n7 Lý Thái Tổ, Đà Nẵng\n"})
    assert pasted.context["total"] == 2
    assert "Địa chỉ không ghi phường/xã" in pasted.content.decode()
    missing = client.post(
        reverse("registers:addresses"),
        {"file": SimpleUploadedFile("ds.csv", CSV, "text/csv"), "column": "Nơi ở"},
    )
    assert missing.status_code == 422 and "Không có cột «Nơi ở»" in missing.content.decode()


def test_refusals_are_vietnamese_422s(client, officer, settings):
    client.force_login(officer)
    empty = client.post(reverse("registers:addresses"), {"lines": "  "})
    assert empty.status_code == 422 and "Hãy chọn một tệp" in empty.content.decode()
    nul = client.post(reverse("registers:addresses"), {"file": SimpleUploadedFile("x.csv", b"Dia chi\n\x00")})
    assert nul.status_code == 422 and "NUL" in nul.content.decode()
    bad_column = client.post(reverse("registers:addresses"), {"lines": "a", "column": "x\x00"})
    assert bad_column.status_code == 422 and "không hợp lệ" in bad_column.content.decode()
    settings.MOTCUA_ADDRESS_MAX_LINES = 2
    many = client.post(reverse("registers:addresses"), {"lines": "a\nb\nc"})
    assert many.status_code == 422 and "vượt giới hạn 2 dòng" in many.content.decode()
    settings.MOTCUA_MAX_REGISTER_BYTES = 10
    big = client.post(
        reverse("registers:addresses"), {"file": SimpleUploadedFile("x.csv", b"Dia chi\n" + b"a" * 20)}
    )
    assert big.status_code == 422 and "lớn hơn" in big.content.decode()


def test_only_the_maker_downloads(client, officer, ward):
    client.force_login(officer)
    token = _token(client.post(reverse("registers:addresses"), {"lines": XUAN_HA}))
    url = reverse("registers:addresses_download", args=[token])
    colleague = make_user(ward, Role.COMMUNE_LEADER, "lanhdao")
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    other = make_user(make_commune(20305, "Phường An Khê", "H48.20305"), Role.DATA_OFFICER, "ak_dulieu")
    client.force_login(other)
    assert client.get(url).status_code == 404
    resident = make_user(ward, Role.RESIDENT, "dan")
    client.force_login(resident)
    assert client.get(url).status_code == 403
    assert client.get(reverse("registers:addresses")).status_code == 403
    client.logout()
    for target in (url, reverse("registers:addresses")):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))
