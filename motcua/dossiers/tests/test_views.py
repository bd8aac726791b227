import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, DossierDocument, State
from motcua.dossiers.workflow import Action

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A real 1×1 PNG (signature, IHDR with its CRC, IDAT, IEND): uploads are checked by content.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"


def login(client, user):
    client.force_login(user)
    return client


def intake_post(procedure, **extra):
    data = {
        "applicant_name": "Trần Văn Bình",
        "applicant_phone": "0905 111 222",
        "applicant_citizen_id": "048090001111",
        "applicant_address": "12 Hà Huy Tập, tổ 5",
        "checklist": [str(i.id) for i in procedure.checklist.all()],
        "outcome": "receive",
    }
    data.update(extra)
    return data


def test_counter_search_ignores_diacritics(client, staff, birth, land):
    login(client, staff["counter"])
    body = client.get(reverse("dossiers:procedure_search"), {"q": "dang ky khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in body and "Giấy chứng nhận" not in body
    body = client.get(reverse("dossiers:procedure_search"), {"q": "GIAY CHUNG NHAN"}).content.decode()
    assert "quyền sử dụng đất" in body


def test_intake_screen_receives_with_scans_and_prints_receipt(
    client, staff, land, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.UPLOAD_ROOT = tmp_path
    login(client, staff["counter"])
    item = land.checklist.first()
    data = intake_post(land)
    data[f"doc_{item.id}"] = SimpleUploadedFile("don.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # files move in when the receipt commits
        resp = client.post(reverse("dossiers:intake", args=[land.code]), data)
    assert resp.status_code == 302
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED and d.applicant_phone == "0905111222"
    assert resp.url.startswith(reverse("dossiers:form", args=[d.pk, "01"]))
    doc = d.documents.get()
    assert doc.checklist_item == item and doc.content_type == "application/pdf"
    assert (tmp_path / doc.storage_path).read_bytes() == PDF
    slip = client.get(resp.url).content.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in slip and d.code in slip and "<svg" in slip
    assert d.secret in slip, "the QR code and link carry the lookup secret"


def test_a_text_file_renamed_pdf_is_refused_and_nothing_is_saved(client, staff, land, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path
    login(client, staff["counter"])
    data = intake_post(land)
    data[f"doc_{land.checklist.first().id}"] = SimpleUploadedFile(
        "giay-to.pdf", b"day khong phai PDF", content_type="application/pdf"
    )
    resp = client.post(reverse("dossiers:intake", args=[land.code]), data)
    assert resp.status_code == 422
    assert "không phải PDF, JPEG hoặc PNG" in resp.content.decode()
    assert Dossier.objects.count() == 0 and DossierDocument.objects.count() == 0
    assert not any(tmp_path.rglob("*.*"))


def test_oversized_upload_is_refused(client, staff, land, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path
    settings.MOTCUA_MAX_UPLOAD_BYTES = 100
    login(client, staff["counter"])
    data = intake_post(land)
    data[f"doc_{land.checklist.first().id}"] = SimpleUploadedFile("scan.png", PNG + b"\x00" * 200)
    resp = client.post(reverse("dossiers:intake", args=[land.code]), data)
    assert resp.status_code == 422 and "lớn hơn" in resp.content.decode()


def test_bad_applicant_input_is_reported_in_vietnamese_and_changes_nothing(client, staff, land):
    login(client, staff["counter"])
    resp = client.post(
        reverse("dossiers:intake", args=[land.code]),
        intake_post(land, applicant_phone="12", applicant_citizen_id="12345", applicant_name=""),
    )
    body = resp.content.decode()
    assert resp.status_code == 422
    assert "Số điện thoại" in body and "12 chữ số" in body and "Họ và tên" in body
    assert Dossier.objects.count() == 0


def test_dossier_page_shows_only_the_actions_of_my_role(client, staff, land):
    login(client, staff["counter"])
    client.post(reverse("dossiers:intake", args=[land.code]), intake_post(land))
    d = Dossier.objects.get()
    body = client.get(reverse("dossiers:detail", args=[d.pk])).content.decode()

    def act_url(action):
        return reverse("dossiers:act", args=[d.pk, action])

    assert act_url("transfer") in body and act_url("approve") not in body
    client.post(act_url("transfer"))
    login(client, staff["head_econ"])
    body = client.get(reverse("dossiers:detail", args=[d.pk])).content.decode()
    assert act_url("assign") in body and act_url("transfer") not in body
    resp = client.post(
        reverse("dossiers:act", args=[d.pk, "assign"]), {"assignee_id": staff["specialist_econ"].pk}
    )
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.assignee == staff["specialist_econ"]
    # The leader has nothing to do yet and cannot force a step.
    login(client, staff["leader"])
    resp = client.post(reverse("dossiers:act", args=[d.pk, "approve"]))
    assert resp.status_code == 409
    d.refresh_from_db()
    assert d.state == State.IN_PROCESS


def test_inbox_lists_overdue_first(client, staff, land):
    from motcua.dossiers.services import Applicant, dossier_intake
    from motcua.dossiers.workflow import dossier_apply

    now = clock.now()
    ids = []
    for days_ago in (2, 60):
        d = dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name="Lê Thị Hoa", phone="0912345678"),
            form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome="receive",
            now=now - dt.timedelta(days=days_ago),
        )  # fmt: skip
        dossier_apply(
            dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=now - dt.timedelta(days=days_ago)
        )
        ids.append(d.code)
    login(client, staff["specialist_econ"])
    body = client.get(reverse("dossiers:inbox")).content.decode()
    assert body.index(ids[1]) < body.index(ids[0]), "the overdue dossier comes first"
    assert "Quá hạn" in body


def test_documents_are_served_only_to_staff_of_the_commune(
    client, staff, land, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.UPLOAD_ROOT = tmp_path
    login(client, staff["counter"])
    data = intake_post(land)
    data[f"doc_{land.checklist.first().id}"] = SimpleUploadedFile("a.png", PNG)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dossiers:intake", args=[land.code]), data)
    doc = DossierDocument.objects.get()
    resp = client.get(reverse("dossiers:document", args=[doc.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert b"".join(resp.streaming_content) == PNG
    client.logout()
    assert client.get(reverse("dossiers:document", args=[doc.pk])).status_code == 302


def test_printed_forms_and_tracking_book(client, staff, land):
    login(client, staff["counter"])
    client.post(reverse("dossiers:intake", args=[land.code]), intake_post(land))
    client.post(
        reverse("dossiers:intake", args=[land.code]),
        intake_post(land, outcome="supplement", missing_items="Sơ đồ thửa đất\nGiấy nộp tiền"),
    )
    client.post(
        reverse("dossiers:intake", args=[land.code]),
        intake_post(land, outcome="refuse", reason="Sai thẩm quyền"),
    )
    received, supplement, refused = Dossier.objects.order_by("id")
    assert "A5" in client.get(reverse("dossiers:form", args=[received.pk, "01"])).content.decode()
    body = client.get(reverse("dossiers:form", args=[supplement.pk, "02"])).content.decode()
    assert "PHIẾU YÊU CẦU BỔ SUNG" in body and "Sơ đồ thửa đất" in body and "Giấy nộp tiền" in body
    body = client.get(reverse("dossiers:form", args=[refused.pk, "03"])).content.decode()
    assert "PHIẾU TỪ CHỐI" in body and "Sai thẩm quyền" in body
    body = client.get(reverse("dossiers:form", args=[received.pk, "05"])).content.decode()
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH" in body and "Cán Bộ" not in body
    body = client.get(reverse("dossiers:book")).content.decode()
    assert "SỔ THEO DÕI HỒ SƠ" in body and "A4 landscape" in body and received.code in body
    assert re.search(r"\*{8}22\b", body), "phone numbers are masked in lists"
    assert client.get(reverse("dossiers:form", args=[received.pk, "07"])).status_code == 404


def test_excel_like_garbage_in_action_payload_is_rejected(client, staff, land):
    login(client, staff["counter"])
    client.post(reverse("dossiers:intake", args=[land.code]), intake_post(land))
    d = Dossier.objects.get()
    client.post(reverse("dossiers:act", args=[d.pk, "transfer"]))
    login(client, staff["specialist_econ"])
    resp = client.post(
        reverse("dossiers:act", args=[d.pk, "extend"]), {"reason": "x", "new_due_date": "31/02/2026"}
    )
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.extended_due_at is None
    assert io.BytesIO(b"") is not None


def test_lists_show_dossiers_without_department_and_forms_only_once_their_step_happened(client, staff, land):
    login(client, staff["counter"])
    client.post(reverse("dossiers:intake", args=[land.code]), intake_post(land))
    d = Dossier.objects.get()
    assert d.department is None
    assert client.get(reverse("dossiers:counter")).status_code == 200
    assert client.get(reverse("dossiers:inbox")).status_code == 200
    for form, status in (("01", 200), ("02", 404), ("03", 404), ("04", 404), ("05", 200)):
        assert client.get(reverse("dossiers:form", args=[d.pk, form])).status_code == status, form


def test_department_inbox_holds_department_work_only(client, staff, land):
    from motcua.dossiers.workflow import dossier_apply

    login(client, staff["counter"])
    for _ in range(2):
        client.post(reverse("dossiers:intake", args=[land.code]), intake_post(land))
    waiting, done = Dossier.objects.order_by("id")
    for d in (waiting, done):
        dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=clock.now())
    dossier_apply(dossier=done, action=Action.SUBMIT_DRAFT, actor=staff["specialist_econ"], now=clock.now())
    dossier_apply(dossier=done, action=Action.APPROVE, actor=staff["leader"], now=clock.now())
    head = login(Client(), staff["head_econ"])
    body = head.get(reverse("dossiers:inbox"), {"pham_vi": "department"}).content.decode()
    assert waiting.code in body and done.code not in body, (
        "a result waiting at the desk is not the department's work"
    )
