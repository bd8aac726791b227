"""The catalogue is shared by every commune of the installation: only an installation
administrator (a superuser) may move it in and out of Excel. A commune's leader or
administrator — of this commune or another — is refused on every write URL and endpoint."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.catalog.models import Procedure
from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
from motcua.geo.models import Commune
from motcua.org.models import Role, User


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


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="quantri_he_thong", password="mat-khau-thu-nghiem")


def _upload():
    return SimpleUploadedFile("dm.xlsx", workbook_bytes([GOOD]))


def test_commune_leaders_and_admins_are_refused_on_every_write_url(client, commune_manager, starter):
    client.force_login(commune_manager)
    assert client.get(reverse("catalog:export")).status_code == 403
    assert client.get(reverse("catalog:import")).status_code == 403
    assert client.post(reverse("catalog:import"), {"file": _upload()}).status_code == 403
    assert not Procedure.objects.filter(code="9.000001").exists()


def test_superuser_may_import(client, superuser, starter):
    client.force_login(superuser)
    assert client.get(reverse("catalog:export")).status_code == 200
    assert client.get(reverse("catalog:import")).status_code == 200
    response = client.post(reverse("catalog:import"), {"file": _upload()})
    assert response.status_code in (200, 302)
