"""The counter's intake form and attach: all-or-nothing files, scans kept across a rejected
form, declaration dates as the law's forms write them (issue 7 §2, §3.4)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from motcua.catalog.models import FormField
from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.dossiers import documents
from motcua.dossiers.models import Dossier, DossierDocument, State
from motcua.dossiers.services import declaration_date
from motcua.org.models import Role
from motcua.testing import make_user

from .test_documents import JPEG, PDF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return {"uploads": tmp_path / "uploads", "staging": tmp_path / "uploads-staging"}


def files_in(path):
    return sorted(p.name for p in path.rglob("*") if p.is_file()) if path.exists() else []


def intake_post(procedure, **extra):
    data = {
        "applicant_name": "Trần Văn Bình",
        "applicant_phone": "0905 111 222",
        "checklist": [str(i.id) for i in procedure.checklist.all()],
        "outcome": "receive",
    }
    data.update(extra)
    return data


def url(procedure):
    return reverse("dossiers:intake", args=[procedure.code])


def test_one_bad_file_among_good_ones_writes_nothing(client, staff, land, roots):
    client.force_login(staff["counter"])
    first, second = land.checklist.all()[:2]
    data = intake_post(land)
    data[f"doc_{first.id}"] = SimpleUploadedFile("don.pdf", PDF)
    data[f"doc_{second.id}"] = SimpleUploadedFile("giay.png", b"\x89PNG\r\n\x1a\n<html>")
    resp = client.post(url(land), data)
    assert resp.status_code == 422 and "«giay.png»" in resp.content.decode()
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()
    assert files_in(roots["uploads"]) == []


def test_a_database_error_after_the_files_were_accepted_leaves_no_file(
    client, staff, land, roots, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(staff["counter"])
    data = intake_post(land)
    data[f"doc_{land.checklist.first().id}"] = SimpleUploadedFile("don.pdf", PDF)
    data["doc_other"] = SimpleUploadedFile("anh.jpg", JPEG)
    calls = []

    def failing_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise IntegrityError("simulated: the disk of the database is full")
        return original(**kwargs)

    original = DossierDocument.objects.create
    monkeypatch.setattr(DossierDocument.objects, "create", failing_create)
    client.raise_request_exception = False
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(land), data)
    assert resp.status_code == 500 and len(calls) == 2
    assert not Dossier.objects.exists()
    assert files_in(roots["uploads"]) == []


def test_service_refused_after_staging_removes_its_staged_files(staff, land, roots, monkeypatch):
    """Files the service staged itself are removed when the transaction fails."""
    from motcua.dossiers import services

    def boom(**kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(services, "dossier_apply", boom)
    with pytest.raises(IntegrityError):
        services.dossier_intake(
            actor=staff["counter"], procedure=land, applicant=services.Applicant(name="A B", phone="0905111222"),
            form_data={}, checklist_ticked=[], outcome="receive", files=[(None, SimpleUploadedFile("a.pdf", PDF))], now=clock.now(),
        )  # fmt: skip
    assert files_in(roots["uploads"]) == [] and files_in(roots["staging"]) == []


def test_a_form_rejected_for_one_field_keeps_the_scans(
    client, staff, land, roots, django_capture_on_commit_callbacks
):
    client.force_login(staff["counter"])
    item = land.checklist.first()
    data = intake_post(land, applicant_phone="12")  # one bad field
    data[f"doc_{item.id}"] = SimpleUploadedFile("don-dang-ky.pdf", PDF)
    resp = client.post(url(land), data)
    body = resp.content.decode()
    assert resp.status_code == 422 and "Số điện thoại" in body
    assert "Đã đính kèm: don-dang-ky.pdf" in body
    token = resp.context["pending"][item.id][0][0]
    assert f'name="pending" value="{token}" checked' in body
    assert files_in(roots["uploads"]) == [], "nothing reaches the dossier store before acceptance"
    assert len(files_in(roots["staging"])) == 1
    # The officer fixes the phone and sends again without choosing the file again.
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(land), intake_post(land, pending=[token]))
    assert resp.status_code == 302
    doc = DossierDocument.objects.get()
    assert doc.original_name == "don-dang-ky.pdf" and doc.checklist_item == item
    assert (roots["uploads"] / doc.storage_path).read_bytes() == PDF
    assert files_in(roots["staging"]) == []
    assert client.session.get("motcua_pending_uploads") == {}


def test_unticking_a_kept_scan_removes_it(client, staff, land, roots, django_capture_on_commit_callbacks):
    client.force_login(staff["counter"])
    data = intake_post(land, applicant_name="")
    data["doc_other"] = SimpleUploadedFile("thua.png", PNG)
    resp = client.post(url(land), data)
    assert resp.status_code == 422 and "thua.png" in resp.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(land), intake_post(land))  # the box was unticked: no `pending`
    assert resp.status_code == 302 and not DossierDocument.objects.exists()
    assert files_in(roots["staging"]) == [] and files_in(roots["uploads"]) == []


def test_kept_scans_are_the_officers_own(client, staff, land, roots, ward):
    """A token from another officer's session (or another commune) attaches nothing."""
    client.force_login(staff["counter"])
    data = intake_post(land, applicant_phone="12")
    data["doc_other"] = SimpleUploadedFile("rieng.pdf", PDF)
    resp = client.post(url(land), data)
    token = resp.context["pending"]["other"][0][0]
    other = make_user(ward, Role.COUNTER_OFFICER, "motcua2")
    client.force_login(other)  # a new session
    resp = client.post(url(land), intake_post(land, pending=[token]))
    assert resp.status_code == 302 and not DossierDocument.objects.exists()
    # Even with the first session's data, another user's entry is not returned.
    session = {"motcua_pending_uploads": {token: {"user_id": staff["counter"].pk, "commune_id": ward.pk,
               "procedure_code": land.code, "at": 0}}}  # fmt: skip
    assert (
        documents.pending_for(
            session,
            owner=documents.PendingOwner(user_id=other.pk, commune_id=ward.pk, procedure_code=land.code),
        )
        == []
    )


def test_kept_scans_expire(client, staff, land, roots, settings):
    client.force_login(staff["counter"])
    data = intake_post(land, applicant_phone="12")
    data["doc_other"] = SimpleUploadedFile("cu.pdf", PDF)
    client.post(url(land), data)
    assert len(files_in(roots["staging"])) == 1
    settings.MOTCUA_PENDING_UPLOAD_SECONDS = -1  # everything is older than that
    client.get(url(land))
    assert files_in(roots["staging"]) == [] and client.session["motcua_pending_uploads"] == {}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1998", "1998"), ("03/1998", "03/1998"), ("3/1998", "03/1998"), ("1/2/1998", "01/02/1998"),
     ("1998-02-01", "01/02/1998")],
)  # fmt: skip
def test_declaration_dates_as_the_forms_allow(typed, stored):
    assert declaration_date(typed) == stored


@pytest.mark.parametrize("typed", ["31/02/1998", "13/1998", "98", "năm 1998", "0000", "1/1/0001"])
def test_impossible_declaration_dates_are_refused(typed):
    assert declaration_date(typed) is None


def test_land_use_since_a_bare_year_is_received(client, staff, land, roots):
    FormField.objects.create(procedure=land, key="thoi_diem_su_dung", label="Thời điểm bắt đầu sử dụng đất",
                             kind=FormField.Kind.DATE, required=False)  # fmt: skip
    client.force_login(staff["counter"])
    resp = client.post(url(land), intake_post(land, f_thoi_diem_su_dung="1998"))
    assert resp.status_code == 302
    assert Dossier.objects.get().form_data["thoi_diem_su_dung"] == "1998"
    resp = client.post(url(land), intake_post(land, f_thoi_diem_su_dung="31/02/1998"))
    assert resp.status_code == 422 and "năm (1998)" in resp.content.decode()


def test_attach_checks_every_file_and_the_kind(
    client, staff, land, roots, django_capture_on_commit_callbacks
):
    client.force_login(staff["counter"])
    client.post(url(land), intake_post(land))
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED
    attach = reverse("dossiers:attach", args=[d.pk])
    resp = client.post(attach, {"doc_other": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", b"%PDF-")]},
                       follow=True)  # fmt: skip
    assert "«b.pdf»" in resp.content.decode() and not DossierDocument.objects.exists()
    resp = client.post(
        attach, {"kind": "X" * 40 + "\x00", "doc_other": SimpleUploadedFile("a.pdf", PDF)}, follow=True
    )
    assert resp.status_code == 200 and "Loại tài liệu không hợp lệ" in resp.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(attach, {"kind": "SUPPLEMENT", "doc_other": SimpleUploadedFile("a.pdf", PDF)})
    doc = DossierDocument.objects.get()
    assert doc.kind == "SUPPLEMENT" and (roots["uploads"] / doc.storage_path).exists()
    assert files_in(roots["staging"]) == []


def test_a_kept_scan_sent_from_two_tabs_goes_to_one_dossier_only(
    staff, land, roots, django_capture_on_commit_callbacks
):
    """Two requests holding the same pending token (two tabs of one session, both loaded before
    either saved): the first receipt takes the scan; the second is refused with a clear message
    instead of recording a document whose file went to the first dossier."""
    from motcua.dossiers.services import Applicant, dossier_intake

    item = land.checklist.first()
    with documents.staged_uploads(
        documents.check_uploads([(item.id, SimpleUploadedFile("don.pdf", PDF))])
    ) as s:
        kept = list(s)

    def receive():
        return dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name="Trần Văn Bình", phone="0905111222"),
            form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome="receive",
            files=[(item.id, f) for f in kept], now=clock.now(),
        )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        first = receive()
    with pytest.raises(ValidationFailed) as refused:
        receive()
    assert refused.value.code == "scan_already_used" and "«don.pdf»" in refused.value.message
    doc = DossierDocument.objects.get()
    assert doc.dossier_id == first.pk
    assert (roots["uploads"] / doc.storage_path).read_bytes() == PDF
    assert Dossier.objects.count() == 1


def test_a_rejected_receipt_gives_the_kept_scan_its_name_back(staff, land, roots):
    """A claimed scan whose receipt is then refused stays pending under its own name."""
    from motcua.dossiers.services import Applicant, dossier_intake

    item = land.checklist.first()
    with documents.staged_uploads(
        documents.check_uploads([(item.id, SimpleUploadedFile("don.pdf", PDF))])
    ) as s:
        kept = list(s)
    with pytest.raises(ValidationFailed):
        dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name="Trần Văn Bình", phone="12"),
            form_data={}, checklist_ticked=[], outcome="receive", files=[(item.id, f) for f in kept], now=clock.now(),
        )  # fmt: skip
    assert kept[0].path.is_file()
    assert not Dossier.objects.exists()
