"""`motcua setup-commune`: the first start of a commune on an empty database."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.models import Procedure
from motcua.geo.models import Commune
from motcua.org.models import CommuneProfile, Role, User
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Bon-mua-hoa-phuong-2026"
UNIT = "Trung tâm Phục vụ hành chính công phường Thanh Khê"


def _setup(*args: str, password: str = PASSWORD, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MOTCUA_ADMIN_PASSWORD", password)
    out = io.StringIO()
    call_command("setup-commune", *args, stdout=out)
    return out.getvalue()


def test_empty_database_gets_geography_catalogue_admin_and_profile(monkeypatch, client):
    assert not Commune.objects.exists() and not Procedure.objects.exists()
    text = _setup(
        "20209",
        "--admin",
        "quantri.thanhkhe",
        "--agency-code",
        "H48.20209",
        "--unit-name",
        UNIT,
        "--address",
        "Số 1 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng",
        "--opening-hours",
        "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00",
        "--hotline",
        "0236 3 123 456",
        monkeypatch=monkeypatch,
    )
    assert Commune.objects.count() == 3321
    assert Procedure.objects.exists()
    admin = User.objects.get(username="quantri.thanhkhe")
    assert admin.role == Role.ADMIN and admin.commune_id == 20209
    assert not admin.is_superuser and admin.is_active
    assert admin.check_password(PASSWORD)
    commune = Commune.objects.get(code=20209)
    assert commune.agency_code == "H48.20209"
    assert commune.profile.unit_name == UNIT
    assert commune.profile.hotline == "0236 3 123 456"
    assert "Đã tạo tài khoản quản trị xã, phường: quantri.thanhkhe" in text
    # The public home page shows what was set.
    page = client.get("/").content.decode()
    for shown in (UNIT, "Số 1 Hà Huy Tập", "7:30–11:30", "0236 3 123 456"):
        assert shown in page


def test_installation_admin_flag_makes_a_superuser(monkeypatch):
    _setup("20209", "--admin", "hethong", "--installation-admin", monkeypatch=monkeypatch)
    assert User.objects.get(username="hethong").is_superuser
    # The default unit name follows the commune's name.
    assert CommuneProfile.objects.get(commune_id=20209).unit_name == UNIT


def test_rerun_updates_the_profile_and_keeps_the_rest(monkeypatch):
    _setup("20209", "--admin", "quantri", "--hotline", "0236 111", monkeypatch=monkeypatch)
    monkeypatch.delenv("MOTCUA_ADMIN_PASSWORD")
    call_command("setup-commune", "20209", "--admin", "quantri", "--address", "Số 2", stdout=io.StringIO())
    profile = CommuneProfile.objects.get(commune_id=20209)
    assert profile.address == "Số 2" and profile.hotline == "0236 111"
    assert User.objects.filter(username="quantri").count() == 1
    assert User.objects.get(username="quantri").check_password(PASSWORD)


def test_refuses_unknown_code_and_username_of_another_commune(monkeypatch):
    with pytest.raises(CommandError, match="Không có xã, phường mã 99999"):
        _setup("99999", "--admin", "quantri", monkeypatch=monkeypatch)
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    make_user(other, Role.ADMIN, "quantri")
    with pytest.raises(CommandError, match="đã có ở đơn vị khác"):
        _setup("20209", "--admin", "quantri", monkeypatch=monkeypatch)
    assert not User.objects.filter(commune_id=20209).exists()


def test_weak_password_is_refused_with_the_validators_messages(monkeypatch):
    with pytest.raises(CommandError) as info:
        _setup("20209", "--admin", "quantri", password="123", monkeypatch=monkeypatch)
    assert "Mật khẩu chưa đủ an toàn" in str(info.value)
    assert not User.objects.filter(username="quantri").exists()


def test_nul_and_over_long_values_are_refused_clearly(monkeypatch):
    with pytest.raises(CommandError, match="Tên đơn vị dài quá 200 ký tự"):
        _setup("20209", "--admin", "quantri", "--unit-name", "x" * 201, monkeypatch=monkeypatch)
    _setup("20209", "--admin", "quantri", "--address", "Số 1\x00 Hà Huy Tập", monkeypatch=monkeypatch)
    assert CommuneProfile.objects.get(commune_id=20209).address == "Số 1 Hà Huy Tập"


def test_without_password_and_without_terminal_it_refuses(monkeypatch):
    monkeypatch.delenv("MOTCUA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="MOTCUA_ADMIN_PASSWORD"):
        call_command("setup-commune", "20209", "--admin", "quantri", stdout=io.StringIO())


def test_password_asked_twice_on_the_terminal(monkeypatch):
    monkeypatch.delenv("MOTCUA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("setup-commune", "20209", "--admin", "quantri", stdout=io.StringIO())
    assert User.objects.get(username="quantri").check_password(PASSWORD)
    answers = iter(["mot-mat-khau-dai", "mat-khau-khac-han"])
    with pytest.raises(CommandError, match="không giống nhau"):
        call_command("setup-commune", "20209", "--admin", "moi", stdout=io.StringIO())
