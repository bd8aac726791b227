"""Anonymous online submission: rate limit, caps, all-or-nothing files, the code on screen,
contacts for notices, the typed declaration (issue 7 §2, §3.4, §3.8)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from motcua.dossiers.models import Dossier, DossierDocument
from motcua.dossiers.tests.test_documents import JPEG, PDF, PNG
from motcua.testing import make_commune, make_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return {"uploads": tmp_path / "uploads", "staging": tmp_path / "uploads-staging"}


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def proc(db):
    return make_procedure()  # checklist: the declaration ("Tờ khai …") and the birth certificate


def files_in(path):
    return sorted(p.name for p in path.rglob("*") if p.is_file()) if path.exists() else []


def submit(client, proc, ward, **extra):
    data = {"commune": ward.pk, "applicant_name": "Đặng Văn Tư", "applicant_phone": "0987654321"}
    data.update(extra)
    return client.post(reverse("portal:online_submit", args=[proc.code]), data)


def second_item(proc):
    return proc.checklist.all()[1]


def test_resident_gets_the_code_on_screen_and_leaves_contacts(
    client, proc, ward, roots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(client, proc, ward, notify_phone="0912 345 678", notify_email="tu@example.vn",
                      **{f"doc_{second_item(proc).id}": SimpleUploadedFile("giay-chung-sinh.jpg", JPEG)})  # fmt: skip
    d = Dossier.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("portal:online_done", args=[d.pk, d.secret])
    assert (d.notify_phone, d.notify_email) == ("0912345678", "tu@example.vn")
    page = client.get(resp.url)
    body = page.content.decode()
    assert d.code and d.code.startswith("H48.20209-")
    assert page.status_code == 200 and 'data-testid="reference"' in body and d.code in body
    assert "Việc tiếp theo" in body and reverse("portal:status", args=[d.code, d.secret]) in body
    doc = d.documents.get()
    assert (roots["uploads"] / doc.storage_path).read_bytes() == JPEG
    assert files_in(roots["staging"]) == []
    # Without the secret the page does not exist.
    assert client.get(reverse("portal:online_done", args=[d.pk, "x" * 16])).status_code == 404


def test_the_typed_declaration_is_not_asked_again_as_an_upload(client, proc, ward, roots):
    declaration, certificate = proc.checklist.all()[:2]
    body = client.get(reverse("portal:online_submit", args=[proc.code])).content.decode()
    assert f'name="doc_{declaration.id}"' not in body and f'name="doc_{certificate.id}"' in body
    assert "không cần tải lên bản giấy" in body
    submit(client, proc, ward)
    assert declaration.id in Dossier.objects.get().checklist_ticked


def test_submissions_are_rate_limited_per_client(client, proc, ward, roots, settings):
    settings.MOTCUA_SUBMIT_RATE = "2/3600"
    assert submit(client, proc, ward).status_code == 302
    assert submit(client, proc, ward, applicant_phone="bad").status_code == 422  # an attempt counts
    resp = submit(client, proc, ward)
    assert resp.status_code == 429 and "quá nhiều hồ sơ" in resp.content.decode()
    assert Dossier.objects.count() == 1


def test_one_bad_file_among_good_ones_writes_nothing(client, proc, ward, roots):
    resp = submit(client, proc, ward, doc_other=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG),
                  SimpleUploadedFile("c.pdf", b"%PDF-1.4\n<script>x</script>%%EOF")])  # fmt: skip
    assert resp.status_code == 422 and "«c.pdf»" in resp.content.decode()
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()
    assert files_in(roots["uploads"]) == [] and files_in(roots["staging"]) == []


def test_a_database_error_after_the_files_were_accepted_leaves_no_file(
    client, proc, ward, roots, monkeypatch, django_capture_on_commit_callbacks
):
    original = DossierDocument.objects.create
    calls = []

    def failing_create(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("simulated")
        return original(**kwargs)

    monkeypatch.setattr(DossierDocument.objects, "create", failing_create)
    client.raise_request_exception = False
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(
            client, proc, ward, doc_other=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)]
        )
    assert resp.status_code == 500 and len(calls) == 2
    assert not Dossier.objects.exists()
    assert files_in(roots["uploads"]) == [] and files_in(roots["staging"]) == []


def test_caps_on_files_and_bytes(client, proc, ward, roots, settings):
    settings.MOTCUA_SUBMIT_MAX_FILES = 2
    resp = submit(client, proc, ward, doc_other=[SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(3)])
    assert resp.status_code == 422 and "tối đa 2 tệp" in resp.content.decode()
    settings.MOTCUA_SUBMIT_MAX_BYTES = 2 * len(PDF)
    resp = submit(client, proc, ward, doc_other=[SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(2)] + [
        SimpleUploadedFile("x.png", PNG)])  # fmt: skip
    assert resp.status_code == 422 and "Tổng dung lượng" in resp.content.decode()
    assert not Dossier.objects.exists() and files_in(roots["uploads"]) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("volunteer_name", "Đoàn\x00 phường", None),
        ("volunteer_name", "Đ" * 151, "Tên tình nguyện viên: tối đa 150 ký tự."),
        ("applicant_name", "A" * 151, "Họ và tên người nộp: tối đa 150 ký tự."),
        ("applicant_address", "x" * 301, "Địa chỉ: tối đa 300 ký tự."),
        ("applicant_email", "a@b.vn" + "c" * 260, "tối đa 254 ký tự"),
        ("notify_phone", "0912\x00345678", None),
        ("notify_phone", "0" * 40, "Số điện thoại nhận thông báo"),
        ("notify_email", "a" * 250 + "@b.vn", "Thư điện tử nhận thông báo không hợp lệ."),
        ("f_ghi_chu", "y" * 2001, "Ghi chú: tối đa 2000 ký tự."),
        ("commune", "²", "Hãy chọn xã/phường"),
        ("commune", "9" * 30, "Hãy chọn xã/phường"),
        ("checklist", "²", None),
    ],
)
def test_nul_and_over_long_values_give_a_message_not_a_server_error(
    client, proc, ward, roots, field, value, message
):
    resp = submit(client, proc, ward, **{field: value})
    if message is None:  # cleaned and accepted
        assert resp.status_code == 302
        d = Dossier.objects.get()
        assert "\x00" not in d.volunteer_name and "\x00" not in d.notify_phone
    else:
        assert resp.status_code == 422 and message in resp.content.decode()
        assert not Dossier.objects.exists()


# ---- A submission rejected for one field keeps the scans already attached (issue 7 §2) ----


def kept_token(resp):
    """The token of the one scan the re-shown form lists as attached."""
    [(token, _)] = [entry for entries in resp.context["pending"].values() for entry in entries]
    return token


def test_a_submission_rejected_for_one_field_keeps_the_scan(
    client, proc, ward, roots, django_capture_on_commit_callbacks
):
    item = second_item(proc)
    resp = submit(client, proc, ward, applicant_phone="12",  # the one wrong field
                  **{f"doc_{item.id}": SimpleUploadedFile("giay-chung-sinh.jpg", JPEG)})  # fmt: skip
    body = resp.content.decode()
    assert resp.status_code == 422 and "Số điện thoại" in body
    assert "Đã đính kèm: giay-chung-sinh.jpg" in body
    token = kept_token(resp)
    assert f'name="pending" value="{token}" checked' in body
    assert files_in(roots["uploads"]) == [], "nothing reaches the dossier store before acceptance"
    assert len(files_in(roots["staging"])) == 1 and not Dossier.objects.exists()
    # The resident fixes the phone and sends again without choosing the file again.
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(client, proc, ward, pending=[token])
    assert resp.status_code == 302
    doc = Dossier.objects.get().documents.get()
    assert doc.original_name == "giay-chung-sinh.jpg" and doc.checklist_item == item
    assert (roots["uploads"] / doc.storage_path).read_bytes() == JPEG
    assert files_in(roots["staging"]) == []
    assert client.session.get("motcua_pending_uploads") == {}


def test_a_kept_scan_and_a_new_one_go_together(client, proc, ward, roots, django_capture_on_commit_callbacks):
    resp = submit(client, proc, ward, commune="", doc_other=SimpleUploadedFile("a.pdf", PDF))
    assert resp.status_code == 422 and "Hãy chọn xã/phường" in resp.content.decode()
    token = kept_token(resp)
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(client, proc, ward, pending=[token], doc_other=SimpleUploadedFile("b.png", PNG))
    assert resp.status_code == 302
    assert sorted(DossierDocument.objects.values_list("original_name", flat=True)) == ["a.pdf", "b.png"]
    assert files_in(roots["staging"]) == []


def test_another_session_cannot_use_the_token(client, proc, ward, roots, django_capture_on_commit_callbacks):
    from django.test import Client

    resp = submit(client, proc, ward, applicant_phone="12", doc_other=SimpleUploadedFile("rieng.pdf", PDF))
    token = kept_token(resp)
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(Client(), proc, ward, pending=[token])  # another resident, another session
    assert resp.status_code == 302 and not DossierDocument.objects.exists()
    assert len(files_in(roots["staging"])) == 1, "the first resident's scan is still theirs"
    assert files_in(roots["uploads"]) == []


def test_unticking_a_kept_scan_removes_it(client, proc, ward, roots, django_capture_on_commit_callbacks):
    resp = submit(client, proc, ward, applicant_name="", doc_other=SimpleUploadedFile("thua.png", PNG))
    assert resp.status_code == 422 and "thua.png" in resp.content.decode()
    assert len(files_in(roots["staging"])) == 1
    with django_capture_on_commit_callbacks(execute=True):
        resp = submit(client, proc, ward)  # the box was unticked: no `pending`
    assert resp.status_code == 302 and not DossierDocument.objects.exists()
    assert files_in(roots["staging"]) == [] and files_in(roots["uploads"]) == []


def test_kept_scans_count_against_the_caps(client, proc, ward, roots, settings):
    settings.MOTCUA_SUBMIT_MAX_FILES = 1
    resp = submit(client, proc, ward, applicant_phone="12", doc_other=SimpleUploadedFile("a.pdf", PDF))
    token = kept_token(resp)
    resp = submit(client, proc, ward, pending=[token], doc_other=SimpleUploadedFile("b.pdf", PDF))
    assert resp.status_code == 422 and "tối đa 1 tệp (đang có 2 tệp)" in resp.content.decode()
    assert kept_token(resp) == token, "the kept scan is still attached, the extra one is not"
    settings.MOTCUA_SUBMIT_MAX_FILES = 10
    settings.MOTCUA_SUBMIT_MAX_BYTES = len(PDF) + len(PNG) - 1
    resp = submit(client, proc, ward, pending=[token], doc_other=SimpleUploadedFile("b.png", PNG))
    assert resp.status_code == 422 and "Tổng dung lượng" in resp.content.decode()
    assert not Dossier.objects.exists() and files_in(roots["uploads"]) == []
    assert len(files_in(roots["staging"])) == 1


def test_kept_scans_expire_and_a_fresh_form_deletes_leftovers(client, proc, ward, roots, settings):
    resp = submit(client, proc, ward, applicant_phone="12", doc_other=SimpleUploadedFile("cu.pdf", PDF))
    token = kept_token(resp)
    assert len(files_in(roots["staging"])) == 1
    client.get(reverse("portal:online_submit", args=[proc.code]))  # the resident starts again
    assert files_in(roots["staging"]) == [] and client.session["motcua_pending_uploads"] == {}
    submit(client, proc, ward, applicant_phone="12", doc_other=SimpleUploadedFile("cu.pdf", PDF))
    settings.MOTCUA_PENDING_UPLOAD_SECONDS = -1  # everything is older than that
    resp = submit(client, proc, ward, pending=[token])
    assert resp.status_code == 302 and not DossierDocument.objects.exists()
    assert files_in(roots["staging"]) == [] and client.session["motcua_pending_uploads"] == {}


def test_a_rate_limited_attempt_writes_nothing_and_keeps_what_was_kept(client, proc, ward, roots, settings):
    settings.MOTCUA_SUBMIT_RATE = "1/3600"
    resp = submit(client, proc, ward, applicant_phone="12", doc_other=SimpleUploadedFile("a.pdf", PDF))
    token = kept_token(resp)
    resp = submit(client, proc, ward, pending=[token], doc_other=SimpleUploadedFile("b.pdf", PDF))
    assert resp.status_code == 429 and kept_token(resp) == token
    assert len(files_in(roots["staging"])) == 1 and files_in(roots["uploads"]) == []


def test_a_kept_scan_sent_from_two_tabs_goes_to_one_dossier_only(
    proc, ward, roots, django_capture_on_commit_callbacks
):
    """The online service claims a kept scan as the intake does: the second tab is refused."""
    from motcua.core import clock
    from motcua.core.errors import ValidationFailed
    from motcua.dossiers import documents
    from motcua.dossiers.models import Channel
    from motcua.dossiers.services import Applicant, dossier_create_draft

    with documents.staged_uploads(documents.check_uploads([(None, SimpleUploadedFile("a.pdf", PDF))])) as s:
        kept = list(s)

    def send():
        return dossier_create_draft(
            commune=ward, procedure=proc, applicant=Applicant(name="Đặng Văn Tư", phone="0987654321"),
            form_data={}, channel=Channel.ONLINE, now=clock.now(), files=[(None, f) for f in kept],
        )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        first = send()
    with pytest.raises(ValidationFailed) as refused:
        send()
    assert refused.value.code == "scan_already_used"
    assert DossierDocument.objects.get().dossier_id == first.pk and Dossier.objects.count() == 1


def test_a_visitor_with_nothing_kept_gets_no_session(client, proc, ward, roots, settings):
    client.get(reverse("portal:online_submit", args=[proc.code]))
    assert submit(client, proc, ward).status_code == 302
    assert settings.SESSION_COOKIE_NAME not in client.cookies
