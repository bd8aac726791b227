import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from motcua.core import clock
from motcua.org.models import ApiToken
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db


def test_token_issued_by_command_works_until_revoked():
    staff = make_staff(make_commune())
    out = io.StringIO()
    call_command("api_token", "create", staff["counter"].username, "may-quet", stdout=out)
    raw = out.getvalue().strip()
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/dossiers").status_code == 200
    call_command("api_token", "revoke", staff["counter"].username, "may-quet", stdout=io.StringIO())
    assert client.get("/api/dossiers").status_code == 401
    with pytest.raises(CommandError):
        call_command("api_token", "revoke", staff["counter"].username, "may-quet")
    with pytest.raises(CommandError):
        call_command("api_token", "create", "khong-co", "x")


def test_token_command_reads_the_projects_clock():
    staff = make_staff(make_commune())
    issued, revoked = (
        dt.datetime(2026, 2, 10, 1, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
    )
    with clock.pinned(issued):
        call_command("api_token", "create", staff["counter"].username, "may-quet", stdout=io.StringIO())
    with clock.pinned(revoked):
        call_command("api_token", "revoke", staff["counter"].username, "may-quet", stdout=io.StringIO())
    token = ApiToken.objects.get(user=staff["counter"], name="may-quet")
    assert (token.created_at, token.revoked_at) == (issued, revoked)
