"""The catalogue is shared by every commune of the installation: only an installation
administrator (a superuser) may move it in and out of Excel. A commune's leader or
administrator — of this commune or another — is refused on every write URL and endpoint."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.catalog.models import CatalogueImport, Procedure
from motcua.catalog.selectors import can_manage_catalogue
from motcua.catalog.services import catalog_import_apply, catalog_import_preview
from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
from motcua.core import clock
from motcua.core.errors import NotAllowed
from motcua.geo.models import Commune
from motcua.org.models import ApiToken, Role, User


@pytest.fixture
def other_commune(commune):
    return Commune.objects.create(
        code=20194,
        name="Phường Hải Châu",
        division_type="phường",
        codename="phuong_hai_chau",
        province=commune.province,
        name_folded="phuong hai chau",
        agency_code="H48.20194",
    )


@pytest.fixture(params=["own_leader", "own_admin", "other_leader", "other_admin"])
def commune_manager(request, commune, other_commune):
    where = commune if request.param.startswith("own") else other_commune
    role = Role.COMMUNE_LEADER if request.param.endswith("leader") else Role.ADMIN
    return User.objects.create_user(
        username=request.param, password="mat-khau-thu-nghiem", role=role, commune=where, full_name="Cán bộ"
    )


def _upload():
    return SimpleUploadedFile("dm.xlsx", workbook_bytes([GOOD]))


def _token(user):
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name="test", key_hash=ApiToken.hash(raw), created_at=clock.now())
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _pending():
    """A preview made on the server (by the command line), waiting to be applied."""
    pending, _ = catalog_import_preview(
        actor=None,
        file=workbook_bytes([GOOD]),
        filename="dm.xlsx",
        source=CatalogueImport.Source.COMMAND_LINE,
        now=clock.now(),
    )
    return pending


def test_commune_leaders_and_admins_are_refused_on_every_write_url(client, commune_manager, starter):
    pending = _pending()
    client.force_login(commune_manager)
    assert client.get(reverse("catalog:export")).status_code == 403
    assert client.get(reverse("catalog:import")).status_code == 403
    assert client.post(reverse("catalog:import"), {"file": _upload()}).status_code == 403
    assert client.get(reverse("catalog:import_preview", args=[pending.pk])).status_code == 403
    assert client.post(reverse("catalog:import_apply", args=[pending.pk])).status_code == 403
    assert client.get(reverse("catalog:import_history")).status_code == 403
    assert not Procedure.objects.filter(code="9.000001").exists()
    assert CatalogueImport.objects.get().status == CatalogueImport.Status.PREVIEWED


def test_commune_leaders_and_admins_are_refused_on_every_api_endpoint(client, commune_manager, starter):
    pending = _pending()
    auth = _token(commune_manager)
    assert client.get("/api/procedures/imports", **auth).status_code == 403
    assert client.post("/api/procedures/imports", {"file": _upload()}, **auth).status_code == 403
    assert client.get(f"/api/procedures/imports/{pending.pk}", **auth).status_code == 403
    response = client.post(f"/api/procedures/imports/{pending.pk}/apply", **auth)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Procedure.objects.filter(code="9.000001").exists()


def test_services_refuse_a_commune_manager_and_an_anonymous_web_actor(commune_manager, starter):
    pending = _pending()
    with pytest.raises(NotAllowed):
        catalog_import_preview(
            actor=commune_manager,
            file=workbook_bytes([GOOD]),
            filename="dm.xlsx",
            source=CatalogueImport.Source.WEB,
            now=clock.now(),
        )
    with pytest.raises(NotAllowed):
        catalog_import_preview(
            actor=None,
            file=workbook_bytes([GOOD]),
            filename="dm.xlsx",
            source=CatalogueImport.Source.WEB,
            now=clock.now(),
        )
    with pytest.raises(NotAllowed):
        catalog_import_apply(actor=commune_manager, import_id=pending.pk, now=clock.now())
    assert not Procedure.objects.filter(code="9.000001").exists()


def test_the_rule_is_superuser_and_active(superuser, make_user):
    assert can_manage_catalogue(superuser)
    assert not can_manage_catalogue(make_user(Role.ADMIN))
    assert not can_manage_catalogue(None)
    superuser.is_active = False
    assert not can_manage_catalogue(superuser)


def test_superuser_imports_through_the_screens(superuser_client, starter):
    assert superuser_client.get(reverse("catalog:export")).status_code == 200
    assert superuser_client.get(reverse("catalog:import")).status_code == 200
    response = superuser_client.post(reverse("catalog:import"), {"file": _upload()})
    assert response.status_code == 302
    assert not Procedure.objects.filter(code="9.000001").exists()  # previewed, not applied
    pending = CatalogueImport.objects.get()
    assert superuser_client.get(reverse("catalog:import_preview", args=[pending.pk])).status_code == 200
    assert superuser_client.post(reverse("catalog:import_apply", args=[pending.pk])).status_code == 302
    assert Procedure.objects.filter(code="9.000001").exists()
    assert superuser_client.get(reverse("catalog:import_history")).status_code == 200


def test_superuser_imports_through_the_api(client, superuser, starter):
    auth = _token(superuser)
    response = client.post("/api/procedures/imports", {"file": _upload()}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [p["code"] for p in body["added"]] == ["9.000001"]
    assert body["changed"] == [] and len(body["missing"]) == starter.created
    assert not Procedure.objects.filter(code="9.000001").exists()
    assert client.get(f"/api/procedures/imports/{body['id']}", **auth).json()["stale"] is False
    applied = client.post(f"/api/procedures/imports/{body['id']}/apply", **auth)
    assert applied.status_code == 200 and applied.json()["status"] == "APPLIED"
    assert Procedure.objects.filter(code="9.000001").exists()
    audit = client.get("/api/procedures/imports", **auth).json()
    assert audit[0]["actor"] == "Quản trị hệ thống (quantri_he_thong)"
    assert audit[0]["changes"][0]["code"] == "9.000001"
    assert dt.datetime.fromisoformat(audit[0]["applied_at"]).tzinfo is not None
