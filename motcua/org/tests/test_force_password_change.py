"""A one-time password is changed before any staff page (issue 7 §1): the middleware sends the
user to the password change page from every staff page, tells htmx with HX-Redirect, and leaves
the change itself, logout, the residents' pages, static files and the bearer-token API alone."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from motcua.org.models import Role
from motcua.testing import make_commune, make_staff, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Song-Han-cau-Rong-48"


@pytest.fixture
def fresh(client):
    """A counter officer just created with a one-time password, logged in."""
    user = make_user(make_commune(), Role.COUNTER_OFFICER, "motcua_moi")
    user.must_change_password = True
    user.save()
    client.force_login(user)
    return user


STAFF_PAGES = ["dossiers:counter", "dossiers:inbox", "dossiers:search", "dossiers:book", "core:home"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_every_staff_page_sends_to_the_password_change(client, fresh, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"] == reverse("core:password_change")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "mật khẩu dùng một lần" in page.content.decode()


def test_a_post_to_a_staff_page_is_sent_there_too(client, fresh):
    response = client.post(reverse("dossiers:intake", args=["1.001193"]), {"applicant_name": "X"})
    assert response.status_code == 302 and response["Location"] == reverse("core:password_change")


def test_htmx_gets_hx_redirect(client, fresh):
    response = client.get(
        reverse("dossiers:procedure_search"), {"q": "khai sinh"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("core:password_change")
    assert response.content == b""


def test_password_change_logout_and_residents_pages_stay_open(client, fresh):
    assert client.get(reverse("core:password_change")).status_code == 200
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(reverse("portal:lookup")).status_code == 200
    assert client.get("/static/core/site.js").status_code in (200, 404)  # never a redirect
    assert client.post(reverse("core:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_after_the_change_the_pages_open(client, fresh):
    response = client.post(
        reverse("core:password_change"),
        {"old_password": "matkhau-thu-nghiem", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(reverse("core:password_change_done")).status_code == 200
    assert client.get(reverse("dossiers:counter")).status_code == 200


def test_a_user_without_a_one_time_password_is_not_redirected(client):
    client.force_login(make_staff(make_commune())["counter"])
    assert client.get(reverse("dossiers:counter")).status_code == 200


def test_the_api_with_a_bearer_token_is_unaffected(fresh):
    out = io.StringIO()
    call_command("api_token", "create", fresh.username, "may-quet", stdout=out)
    api = Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})
    assert api.get("/api/dossiers").status_code == 200
