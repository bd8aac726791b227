"""The residents' feedback pages on PostgreSQL (which refuses a NUL in text): a NUL, an over-long
value or odd Unicode in every field, query parameter and path segment gives a Vietnamese 4xx or
a plain answer, never a server error."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.feedback.models import Channel, FeedbackItem
from motcua.feedback.services import Reporter, feedback_create

from .conftest import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ODD = ["\x00", "a\x00b", "x" * 5000, "\u202e\ufeff", "\ud7ff", "' OR 1=1 --", "%00", "１２３"]


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.MOTCUA_FEEDBACK_SUBMIT_RATE = "10000/600"
    settings.MOTCUA_LOOKUP_RATE = "10000/600"
    settings.UPLOAD_ROOT = tmp_path
    with clock.pinned(NOW):
        yield


def _ok(response) -> None:
    assert response.status_code < 500, response.content[:500]


def test_odd_values_everywhere_never_500(ward, setup, staff):
    item = feedback_create(
        commune=ward, channel=Channel.ONLINE, category=setup["categories"]["khac"], title="Ổ gà",
        now=NOW, reporter=Reporter(phone="0905111222"),
    )  # fmt: skip
    c = Client(raise_request_exception=False)
    fields = (
        "category",
        "neighbourhood",
        "address",
        "title",
        "description",
        "name",
        "phone",
        "email",
        "consent",
    )
    base = {"category": str(setup["categories"]["khac"].pk), "title": "Ổ gà"}
    for value in ODD:
        for field in fields:
            _ok(c.post(reverse("feedback_public:new", args=[ward.code]), base | {field: value}))
        _ok(c.get(reverse("feedback_public:lookup"), {"ma": value, "sdt": value}))
        _ok(c.get(reverse("feedback_public:lookup"), {"ma": item.code, "sdt": value}))
        _ok(c.get(reverse("feedback_public:list", args=[ward.code]), {"to": value, "lv": value, "tt": value,
                                                                        "trang": value}))  # fmt: skip
        for action in ("danh-gia", "mo-lai", "ngung-thong-bao"):
            _ok(c.post(reverse("feedback_public:act", args=[item.code, item.secret, action]),
                       {"rating": value, "comment": value, "reason": value}))  # fmt: skip
    for segment in ("%00", "a%00b", "%E2%80%AE", "x" * 300):
        for path in (f"/gop-y/{segment}/", f"/gop-y/{segment}/danh-sach/", f"/gop-y/theo-doi/{segment}/{segment}/",
                     f"/gop-y/da-gui/{segment}/{item.secret}/", f"/gop-y/theo-doi/{item.code}/{segment}/danh-gia/",
                     f"/gop-y/theo-doi/{item.code}/{item.secret}/anh/1/"):  # fmt: skip
            _ok(c.get(path))
            _ok(c.post(path))
    item.refresh_from_db()
    assert item.rating is None
    # Accepted values were cleaned: no NUL reached the database.
    for row in FeedbackItem.objects.values_list("title", "address", "description", "reporter_name"):
        assert not any("\x00" in v for v in row)


def test_import_odd_cells_never_500(ward, setup, staff):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Thời gian", "Người gửi", "Nội dung", "Số điện thoại", "Tổ dân phố"])
    ws.append(
        ["\u202e09/02/2026", "An\u200e", "Ổ gà\u200b trước chợ", "0905\u00a0111\u00a0222", "Tổ\ufeff 1"]
    )
    ws.append(["09/02/2026", "x" * 300, "Ngập", "１２３", ""])
    buf = io.BytesIO()
    wb.save(buf)
    c = Client(raise_request_exception=False)
    c.force_login(staff["leader"])
    r = c.post("/gop-y/nhap-excel/", {"file": SimpleUploadedFile("z\x00.xlsx", buf.getvalue())})
    _ok(r)
    _ok(c.post("/gop-y/nhap-excel/", {"sha256": "\x00", "confirm": "1"}))
    _ok(c.post("/gop-y/nhap-excel/", {"sha256": r.context["book"].sha256, "confirm": "1", "cat_2": "\x00"}))
    assert not FeedbackItem.objects.exists()  # row 3 has problems: nothing imported
