import pytest

from motcua.testing import land_procedure, make_commune, make_procedure, make_staff


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def birth(db):
    return make_procedure()


@pytest.fixture
def land(db):
    return land_procedure()
