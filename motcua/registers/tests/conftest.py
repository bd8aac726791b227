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


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for every Spark test module (`-m spark`): a JVM start costs ~10 s.
    Two shuffle partitions (the tests' data are a few hundred rows); a module that needs other
    settings sets its runtime ones and puts them back."""
    from motcua.registers import engine_spark

    session = engine_spark.spark_session(
        tmp_path_factory.mktemp("spark"),
        **{"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"},
    )
    yield session
    session.stop()
