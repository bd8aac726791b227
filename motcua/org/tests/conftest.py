"""Fixtures shared by the administration's tests: one ward, its staff, its administrator's client."""

import pytest

from motcua.testing import make_commune, make_staff


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff["admin"])
    return client
