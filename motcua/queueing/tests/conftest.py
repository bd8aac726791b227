import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.org.models import Role
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 2, 10, 8, 0, tzinfo=VN)


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def groups(ward):
    return make_service_groups(ward)


@pytest.fixture
def officer2(ward):
    return make_user(ward, Role.COUNTER_OFFICER, "motcua2")


@pytest.fixture
def counter1(ward, groups, staff):
    """Quầy 1: civil status and land (A, B), the counter officer sits there."""
    return make_counter(ward, 1, "AB", officer=staff["counter"])


@pytest.fixture
def counter2(ward, groups):
    """Quầy 2: certification (C), nobody sits there yet."""
    return make_counter(ward, 2, "C")


@pytest.fixture
def other_ward(db):
    return make_commune(20305, "Phường An Khê", "H48.20305")
