"""Issue 7 §3.6: wrong passwords are throttled per account and per client, and logged without the
password; Django's four password validators; the API's tokens and the tests' force_login still work."""

import datetime as dt
import io
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db

RIGHT = "matkhau-thu-nghiem"  # the factories' password
LOCKED = "Tài khoản tạm thời bị khóa"


@pytest.fixture
def staff():
    return make_staff(make_commune())


def attempt(client: Client, username: str, password: str, **extra):
    return client.post(reverse("core:login"), {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, staff):
    for _ in range(4):
        resp = attempt(client, "motcua", "sai-mat-khau")
        assert resp.status_code == 200 and "không đúng" in resp.content.decode()
    resp = attempt(client, "motcua", "sai-mat-khau")  # the 5th failure locks
    assert resp.status_code == 429 and LOCKED in resp.content.decode()
    resp = attempt(client, "motcua", RIGHT)
    assert resp.status_code == 429, "the right password is refused while the account is locked"
    body = resp.content.decode()
    assert LOCKED in body and "15 phút" in body and 'name="username"' in body
    assert not logged_in(client)
    # Another account from the same client is not locked by five failures.
    assert attempt(client, "chutich", RIGHT).status_code == 302


def test_the_account_lock_holds_from_another_client(staff):
    for i in range(5):
        attempt(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "motcua", "sai-mat-khau")
    resp = attempt(Client(REMOTE_ADDR="198.51.100.77"), "motcua", RIGHT)
    assert resp.status_code == 429 and LOCKED in resp.content.decode()


def test_twenty_failures_from_one_client_lock_that_client_only(staff):
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    names = ["motcua", "cv_kinhte", "tp_kinhte", "cv_tuphap", "chutich"]
    for i in range(20):  # 4 per account: no account reaches its own limit
        resp = attempt(guesser, names[i % 5], f"doan-{i}")
        assert resp.status_code == (429 if i == 19 else 200), i
    assert attempt(guesser, "quantri", RIGHT).status_code == 429
    assert attempt(Client(REMOTE_ADDR="203.0.113.6"), "quantri", RIGHT).status_code == 302


def test_the_client_is_read_from_the_trusted_proxy_header(staff, settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    names = ["motcua", "cv_kinhte", "tp_kinhte", "cv_tuphap", "chutich"]
    # Behind one proxy (10.0.0.1) every client has the same socket address.
    for i in range(20):
        attempt(
            Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"), names[i % 5], f"x{i}"
        )
    assert AccessAttempt.objects.filter(ip_address="203.0.113.5").count() == 5
    locked = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert attempt(locked, "quantri", RIGHT).status_code == 429
    colleague = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert attempt(colleague, "quantri", RIGHT).status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, staff):
    for _ in range(5):
        attempt(client, "motcua", "sai-mat-khau")
    assert attempt(client, "motcua", RIGHT).status_code == 429
    # Move the recorded failures 16 minutes into the past.
    for row in AccessAttempt.objects.all():
        row.attempt_time = row.attempt_time - dt.timedelta(minutes=16)
        row.save(update_fields=["attempt_time"])
    assert attempt(client, "motcua", RIGHT).status_code == 302 and logged_in(client)


def test_failures_are_logged_with_username_and_client_never_the_password(client, staff, caplog):
    secret = "MatKhauBiMat-9931"
    with caplog.at_level(logging.DEBUG):
        attempt(client, "motcua", secret, REMOTE_ADDR="192.0.2.44")
    lines = [r for r in caplog.records if r.name == "motcua.login"]
    assert lines, "a failed login is logged"
    text = lines[0].getMessage()
    assert "motcua" in text and "192.0.2.44" in text
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert all(secret not in row.post_data for row in AccessAttempt.objects.all())


def test_force_login_and_api_tokens_are_not_throttled(client, staff):
    counter = staff["counter"]
    out = io.StringIO()
    call_command("api_token", "create", counter.username, "may-quet", stdout=out)
    token = out.getvalue().strip()
    for _ in range(6):
        attempt(Client(), counter.username, "sai-mat-khau")
    assert attempt(Client(), counter.username, RIGHT).status_code == 429
    client.force_login(counter)
    assert client.get(reverse("core:home")).status_code == 302
    assert logged_in(client)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/dossiers").status_code == 200


def test_authenticate_without_a_request_still_works(staff):
    from django.contrib.auth import authenticate

    assert authenticate(username="motcua", password=RIGHT) == staff["counter"]
    assert authenticate(username="motcua", password="sai") is None


def test_password_validators_are_django_standard_four(settings, staff):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    user = staff["counter"]
    for weak in ("Ng8#ka", "2026041512345", "password123", user.username + "2026!"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("song-Han-chay-2026", user)


@pytest.mark.parametrize(
    ("username", "password"),
    [("mot\x00cua", RIGHT), ("motcua", "mat\x00khau"), ("a" * 5000, RIGHT), ("motcua", "x" * 5000)],
)
def test_nul_bytes_and_over_long_values_are_refused_with_the_message(client, staff, username, password):
    resp = attempt(client, username, password)
    assert resp.status_code == 200
    assert "không đúng" in resp.content.decode() and not logged_in(client)
