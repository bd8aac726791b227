import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.testing import make_commune, make_feedback_setup, make_staff

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A Tuesday morning (10/02/2026), working days around it.
NOW = dt.datetime(2026, 2, 10, 9, 0, tzinfo=VN)


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def setup(ward, staff):
    return make_feedback_setup(ward)


@pytest.fixture
def other_ward(db):
    return make_commune(20305, "Phường An Khê", "H48.20305")
