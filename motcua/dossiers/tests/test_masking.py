"""One masking rule (core.text.mask_digits: at most the last 2 digits) wherever a phone or a
CCCD leaves the page of the staff handling the dossier."""

import pytest
from django.urls import reverse

from motcua.catalog.models import FormField
from motcua.core import clock
from motcua.core.text import mask_digits
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.templatetags.dossier_tags import mask_declaration_value
from motcua.org.models import Role, User

pytestmark = pytest.mark.django_db
PHONE = "0905111222"
CCCD = "048090001111"
MOTHER_CCCD = "048196001234"


@pytest.fixture
def dossier(staff, land):
    FormField.objects.create(procedure=land, key="so_dinh_danh_me", label="Số định danh của mẹ",
                             kind=FormField.Kind.CITIZEN_ID, required=False)  # fmt: skip
    FormField.objects.create(procedure=land, key="nguon_goc", label="Nguồn gốc sử dụng đất", required=False)
    return dossier_intake(
        actor=staff["counter"],
        procedure=land,
        applicant=Applicant(name="Trần Văn Bình", phone=PHONE, citizen_id=CCCD),
        form_data={
            "so_dinh_danh_me": MOTHER_CCCD,
            "nguon_goc": "Nhận chuyển nhượng của ông A, CCCD 048070005555",
        },
        checklist_ticked=[i.id for i in land.checklist.all()],
        outcome="receive",
        now=clock.now(),
    )


def test_the_rule_keeps_at_most_two_digits():
    assert mask_digits(PHONE) == "********22"
    assert mask_digits(CCCD) == "**********11"
    assert mask_digits("7") == "*"


def test_a_personal_number_typed_in_a_free_text_field_is_masked_too():
    assert mask_declaration_value(MOTHER_CCCD, FormField.Kind.CITIZEN_ID) == "**********34"
    assert mask_declaration_value("CCCD 048070005555, ĐT 0905 1", FormField.Kind.TEXT) == (
        "CCCD **********55, ĐT 0905 1"
    )
    assert mask_declaration_value("Diện tích 72.5 m2, năm 1998", FormField.Kind.TEXT) == (
        "Diện tích 72.5 m2, năm 1998"
    )


def test_staff_handling_the_dossier_see_the_full_phone_and_declaration(client, staff, dossier):
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
    assert f'href="tel:{PHONE}"' in body and CCCD in body and MOTHER_CCCD in body and "048070005555" in body


def test_a_province_reader_sees_the_dossier_masked(client, staff, dossier):
    reader = User.objects.create_user(username="tinh", password="x-matkhau-12", role=Role.PROVINCE_OFFICER,
                                      province=dossier.commune.province)  # fmt: skip
    client.force_login(reader)
    resp = client.get(reverse("dossiers:detail", args=[dossier.pk]))
    body = resp.content.decode()
    assert resp.status_code == 200
    for full in (PHONE, CCCD, MOTHER_CCCD, "048070005555"):
        assert full not in body
    assert "********22" in body and "**********11" in body and "**********34" in body


@pytest.mark.parametrize(
    "url", ["dossiers:book", "dossiers:search", "dossiers:supplements", "dossiers:inbox"]
)
def test_lists_and_the_printed_book_never_show_a_full_number(client, staff, dossier, url):
    client.force_login(staff["counter"])
    body = client.get(reverse(url), {"q": "tran van binh"}).content.decode()
    for full in (PHONE, CCCD, MOTHER_CCCD, PHONE[-3:] + "<", "*******222"):
        assert full not in body
    if url in {"dossiers:book", "dossiers:search"}:
        assert "********22" in body


def test_a_searched_phone_or_cccd_stays_out_of_the_logs():
    from motcua.portal.redact import redact

    line = '127.0.0.1 "GET /ho-so/tim-kiem/?q=0912345678&trang=2 HTTP/1.1" 200'
    assert "0912345678" not in redact(line) and "trang=2" in redact(line)
    assert "048185004321" not in redact("/ho-so/so-theo-doi/?tu=01/01/2026&q=048185004321")
