"""Issue 7 §1: the agency code is set by the installer only (`setup-commune --agency-code`),
normalised upper-case, unique across communes in any case (index on upper(agency_code)); a
username is unique in any case (index on lower(username))."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from motcua.core.errors import Conflict, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import Role, User
from motcua.org.services import commune_setup
from motcua.testing import make_commune, make_procedure, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PASSWORD = "Bon-mua-hoa-phuong-2026"


@pytest.fixture
def communes():
    make_procedure()  # the starter catalogue is not loaded (not what these tests are about)
    return make_commune(20209, "Phường Thanh Khê", ""), make_commune(20305, "Phường An Khê", "H48.20305")


def _setup(code: int, agency: str | None, username: str = "quantri") -> Commune:
    result = commune_setup(
        commune_code=code, username=username, password=PASSWORD, now=NOW, agency_code=agency
    )
    return result.commune


def test_agency_code_is_stripped_and_upper_cased(communes):
    commune = _setup(20209, "  h48.20209 ")
    commune.refresh_from_db()
    assert commune.agency_code == "H48.20209"
    # Leaving it out keeps it.
    _setup(20209, None)
    commune.refresh_from_db()
    assert commune.agency_code == "H48.20209"


@pytest.mark.parametrize(
    ("agency", "message"),
    [
        ("", "Chưa nhập mã cơ quan"),
        ("   ", "Chưa nhập mã cơ quan"),
        ("H48 20209", "Mã cơ quan «H48 20209» chỉ được có"),
        ("H48.2020\x009", "Mã cơ quan «H48.20209» chỉ được có"),
        ("H48_20209", "chỉ được có"),
        (".H48", "chỉ được có"),
        ("H", "chỉ được có"),
        ("Đ48.20209", "chỉ được có"),
        ("H" * 31, "Mã cơ quan dài quá 30 ký tự"),
    ],
)
def test_bad_agency_codes_are_refused_clearly(communes, agency, message):
    with pytest.raises(ValidationFailed, match=message):
        _setup(20209, agency)
    assert Commune.objects.get(code=20209).agency_code == ""
    assert not User.objects.filter(username="quantri").exists()


@pytest.mark.parametrize("agency", ["H48.20305", "h48.20305", " H48.20305"])
def test_another_communes_agency_code_in_any_case_is_refused(communes, agency):
    with pytest.raises(Conflict, match="đã dùng cho đơn vị khác"):
        _setup(20209, agency)
    assert Commune.objects.get(code=20209).agency_code == ""


def test_the_command_says_why(communes, monkeypatch):
    monkeypatch.setenv("MOTCUA_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="đã dùng cho đơn vị khác"):
        call_command("setup-commune", "20209", "--admin", "quantri", "--agency-code", "h48.20305")
    out = io.StringIO()
    call_command("setup-commune", "20209", "--admin", "quantri", "--agency-code", "h48.20209", stdout=out)
    assert "mã cơ quan: H48.20209" in out.getvalue()


def test_database_refuses_one_agency_code_in_two_cases(communes):
    thanh_khe, _ = communes
    thanh_khe.agency_code = "h48.20305"
    with pytest.raises(IntegrityError), transaction.atomic():
        thanh_khe.save(update_fields=["agency_code"])
    # Blank codes (communes not onboarded yet) are many.
    make_commune(20210, "Phường Hòa Khê", "")
    assert Commune.objects.filter(agency_code="").count() == 2


def test_database_refuses_one_username_in_two_cases(communes):
    thanh_khe, _ = communes
    make_user(thanh_khe, Role.COUNTER_OFFICER, "Lan")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(thanh_khe, Role.COUNTER_OFFICER, "lan")
    assert User.objects.filter(username__iexact="lan").count() == 1


def test_setup_refuses_a_username_taken_in_another_case(communes):
    _, an_khe = communes
    make_user(an_khe, Role.ADMIN, "quantri")
    with pytest.raises(Conflict, match="đã có"):
        _setup(20209, None, username="QuanTri")
    assert not User.objects.filter(commune_id=20209).exists()


# ---- the migrations name what blocks the new indexes instead of failing on a bare index error


class _Rows:
    def __init__(self, rows: list[object]) -> None:
        self.rows = rows

    def exclude(self, **_: object) -> _Rows:
        return self

    def values_list(self, *_: object, **__: object) -> list[object]:
        return self.rows


class _Apps:
    def __init__(self, rows: list[object]) -> None:
        self.model = type("Model", (), {"objects": _Rows(rows)})

    def get_model(self, *_: str) -> type:
        return self.model


def test_migrations_name_the_communes_and_accounts_that_share_a_code_or_a_username():
    geo = importlib.import_module("motcua.geo.migrations.0002_commune_one_commune_per_agency_code")
    org = importlib.import_module("motcua.org.migrations.0006_user_one_username_in_any_case")
    with pytest.raises(RuntimeError, match=r"H48\.20209: xã, phường 20209, 20305"):
        geo.refuse_agency_codes_shared_in_any_case(_Apps([(20209, "H48.20209"), (20305, "h48.20209")]), None)
    geo.refuse_agency_codes_shared_in_any_case(_Apps([(20209, "H48.20209"), (20305, "H48.20305")]), None)
    with pytest.raises(RuntimeError, match="Lan, lan"):
        org.refuse_usernames_shared_in_any_case(_Apps(["Lan", "lan", "quantri"]), None)
    org.refuse_usernames_shared_in_any_case(_Apps(["Lan", "quantri"]), None)
