import pytest

from motcua.catalog.services import catalog_load_starter
from motcua.geo.models import Commune, Province
from motcua.org.models import User


@pytest.fixture
def starter(db):
    return catalog_load_starter()


@pytest.fixture
def commune(db):
    province = Province.objects.create(code=48, name="Thành phố Đà Nẵng", codename="da_nang")
    return Commune.objects.create(
        code=20209,
        name="Phường Thanh Khê",
        division_type="phường",
        codename="phuong_thanh_khe",
        province=province,
        name_folded="phuong thanh khe",
        agency_code="H48.20209",
    )


@pytest.fixture
def make_user(commune):
    def make(role: str, username: str | None = None) -> User:
        return User.objects.create_user(
            username=username or role.lower(),
            password="mat-khau-thu-nghiem",
            role=role,
            commune=commune,
            full_name=f"Cán bộ {role}",
        )

    return make


@pytest.fixture
def superuser(db):
    """An installation administrator: the only one who may change the shared catalogue."""
    return User.objects.create_superuser(
        username="quantri_he_thong", password="mat-khau-thu-nghiem", full_name="Quản trị hệ thống"
    )


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client
