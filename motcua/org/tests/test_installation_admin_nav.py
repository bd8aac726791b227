"""The installation administrator (superuser) is named as such, lands on the catalogue
management page and finds the catalogue import and its history in the navigation (issue 7 §1)."""

import re

import pytest
from django.urls import reverse

from motcua.org.models import Role
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.django_db


def _nav(html: str) -> str:
    match = re.search(r'<nav aria-label="Điều hướng">(.*?)</nav>', html, re.S)
    assert match, "the staff navigation is on the page"
    return match.group(1)


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.COUNTER_OFFICER]
)  # demo's hethong; createsuperuser's default
def test_installation_admin_lands_on_the_catalogue_with_its_links(client, role):
    user = make_user(make_commune(), role, "hethong")
    user.is_superuser = True
    user.save()
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"] == reverse("catalog:list")
    html = client.get(response["Location"]).content.decode()
    nav = _nav(html)
    assert "Quản trị cài đặt" in nav and "Cán bộ một cửa" not in nav
    for name in ("catalog:list", "catalog:import", "catalog:import_history", "core:password_change"):
        assert f'href="{reverse(name)}"' in nav, name
    assert f'href="{reverse("dossiers:counter")}"' not in nav
    assert "Quản lý danh mục" in html  # the page's own management links (catalog's can_manage)
    for name in ("catalog:import", "catalog:import_history"):
        assert client.get(reverse(name)).status_code == 200


def test_a_commune_admin_keeps_the_commune_navigation(client):
    client.force_login(make_user(make_commune(), Role.ADMIN, "quantri"))
    assert client.get(reverse("core:home"))["Location"] == reverse("org:admin_home")
    nav = _nav(client.get(reverse("org:admin_home")).content.decode())
    assert "Quản trị cài đặt" not in nav and f'href="{reverse("catalog:import")}"' not in nav
