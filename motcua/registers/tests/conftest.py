"""Fixtures shared by the register merge's tests."""

import shutil

import pytest

from motcua.org.models import Role
from motcua.testing import make_commune, make_user


@pytest.fixture(autouse=True)
def _scratch_registers_root(tmp_path, settings):
    """Every test's merge folders live in its own temporary folder, removed afterwards."""
    settings.REGISTERS_ROOT = tmp_path / "registers"
    yield
    shutil.rmtree(tmp_path / "registers", ignore_errors=True)


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def officer(ward):
    return make_user(ward, Role.DATA_OFFICER, "dulieu")
