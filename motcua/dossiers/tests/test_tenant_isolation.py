"""An officer of another commune gets 403/404, never data, on every dossier URL and API
endpoint of this one. The test walks the URL patterns themselves, so a new URL is covered
(or fails here) the day it is added."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from motcua.core.testing import make_commune, make_staff
from motcua.dossiers import urls as dossier_urls
from motcua.dossiers.models import Dossier, DossierDocument
from motcua.dossiers.services import Applicant, dossier_attach_documents, dossier_intake
from motcua.dossiers.workflow import dossier_apply
from motcua.org.models import ApiToken, Role

pytestmark = pytest.mark.django_db

SECRET_NAME = "Huỳnh Thị Bí Mật"


@pytest.fixture
def here(staff, land, birth, settings, tmp_path):
    """Dossiers of Thanh Khê in several states, one with a document."""
    settings.UPLOAD_ROOT = tmp_path
    made = []
    for outcome in ("receive", "supplement", "refuse"):
        made.append(
            dossier_intake(
                actor=staff["counter"], procedure=land, applicant=Applicant(name=SECRET_NAME, phone="0905999888"),
                form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome=outcome,
                missing_items=["Sơ đồ"], reason="Sai thẩm quyền",
            )
        )  # fmt: skip
    d = dossier_apply(dossier=made[0], action="transfer", actor=staff["counter"])
    dossier_attach_documents(
        dossier=d, actor=staff["counter"], files=[(None, SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"))]
    )
    return {"dossiers": made, "document": DossierDocument.objects.get()}


@pytest.fixture
def outsiders(db):
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    people = make_staff(other, prefix="ak_")
    from motcua.core.testing import make_user
    from motcua.geo.models import Commune, Province

    hn = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    Commune.objects.create(code=4, name="Phường Ba Đình", division_type="phường", codename="ba_dinh",
                           province=hn, name_folded="phuong ba dinh")  # fmt: skip
    people["province_other"] = make_user(None, Role.PROVINCE_OFFICER, "hn_sonoivu")
    people["province_other"].province = hn
    people["province_other"].save()
    return people


def _dossier_urls(here):
    d = here["dossiers"][0]
    for pattern in dossier_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        keys = set(pattern.pattern.converters)
        if not keys & {"pk"}:
            continue
        for dossier in here["dossiers"]:
            kwargs = {"pk": dossier.pk}
            if "action" in keys:
                kwargs["action"] = "transfer"
            if "form" in keys:
                kwargs["form"] = "01"
            if pattern.name == "document":
                kwargs = {"pk": here["document"].pk}
            yield pattern.name, reverse(f"dossiers:{pattern.name}", kwargs=kwargs)
    del d


def test_every_dossier_url_refuses_staff_of_another_commune(here, outsiders):
    urls = list(_dossier_urls(here))
    assert {name for name, _ in urls} >= {"detail", "act", "attach", "form", "document"}
    for role, user in outsiders.items():
        client = Client()
        client.force_login(user)
        for name, url in urls:
            for method in ("get", "post"):
                resp = getattr(client, method)(url)
                assert resp.status_code in (403, 404, 405), (role, name, method, resp.status_code)
                assert SECRET_NAME not in resp.content.decode(errors="ignore"), (role, url)
    assert Dossier.objects.get(pk=here["dossiers"][0].pk).state == "IN_PROCESS"


def test_lists_of_another_commune_show_none_of_our_dossiers(here, outsiders):
    for role, user in outsiders.items():
        client = Client()
        client.force_login(user)
        for name in ("inbox", "approvals", "book"):
            resp = client.get(reverse(f"dossiers:{name}"), {"pham_vi": "department", "tu": "01/01/2020"})
            assert resp.status_code in (200, 403), (role, name)
            assert SECRET_NAME not in resp.content.decode(), (role, name)
        if user.role == Role.COUNTER_OFFICER:
            assert SECRET_NAME not in client.get(reverse("dossiers:counter")).content.decode()


def test_every_api_endpoint_refuses_staff_of_another_commune(here, outsiders):
    d = here["dossiers"][0]
    for role, user in outsiders.items():
        raw = ApiToken.new_raw()
        from django.utils import timezone

        ApiToken.objects.create(user=user, name="t", key_hash=ApiToken.hash(raw), created_at=timezone.now())
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        for dossier in here["dossiers"]:
            resp = client.get(f"/api/dossiers/{dossier.pk}")
            assert resp.status_code == 404, (role, resp.status_code)
            resp = client.post(
                f"/api/dossiers/{dossier.pk}/actions/submit_draft", {}, content_type="application/json"
            )
            assert resp.status_code == 404, (role, resp.status_code)
        listing = client.get("/api/dossiers")
        assert listing.status_code == 200 and SECRET_NAME not in listing.content.decode()
    assert Dossier.objects.get(pk=d.pk).state == "IN_PROCESS"


def test_province_officer_reads_own_province_only(here, outsiders, staff):
    from motcua.core.testing import make_user

    reader = make_user(None, Role.PROVINCE_OFFICER, "dn_sonoivu")
    reader.province_id = 48
    reader.save()
    client = Client()
    client.force_login(reader)
    assert client.get(reverse("dossiers:detail", args=[here["dossiers"][0].pk])).status_code == 200
    resp = client.post(reverse("dossiers:act", args=[here["dossiers"][0].pk, "submit_draft"]))
    assert resp.status_code == 403, "a province officer reads but does not act"
