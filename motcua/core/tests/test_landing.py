"""Every role lands on a page with the staff navigation, and that page does not link to itself
from its content (the tracking book's "back" link pointed to itself for the admin)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from motcua.org.models import DepartmentKind, Role
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.COUNTER_OFFICER: "dossiers:counter",
    Role.SPECIALIST: "dossiers:inbox",
    Role.DEPARTMENT_HEAD: "dossiers:inbox",
    Role.COMMUNE_LEADER: "dossiers:approvals",
    Role.DATA_OFFICER: "registers:jobs",
    Role.PROVINCE_OFFICER: "dossiers:overview",
    Role.ADMIN: "org:admin_home",
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_role_lands_on_its_screen_with_navigation(client, role):
    commune = make_commune()
    kind = DepartmentKind.ECONOMIC if role in (Role.SPECIALIST, Role.DEPARTMENT_HEAD) else None
    province_only = role == Role.PROVINCE_OFFICER
    user = make_user(None if province_only else commune, role, "nguoi_dung", kind)
    if province_only:
        user.province = commune.province
        user.save()
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    target = response["Location"]
    assert target == reverse(EXPECTED[role])
    page = client.get(target)
    assert page.status_code == 200
    html = page.content.decode()
    nav = re.search(r'<nav aria-label="Điều hướng">(.*?)</nav>', html, re.S)
    assert nav, "the staff navigation is on the landing page"
    assert reverse("core:password_change") in nav.group(1)
    main = html.split('<main id="main">', 1)[1]
    assert f'href="{target}"' not in main, "the landing page's content links to itself"


def test_admin_navigation_links_to_the_admin_screens(client):
    commune = make_commune()
    client.force_login(make_user(commune, Role.ADMIN, "quantri"))
    html = client.get(reverse("org:admin_home")).content.decode()
    assert f'href="{reverse("org:admin_home")}"' in html.split('<main id="main">', 1)[0]
    for name in ("org:departments", "org:staff", "org:staff_import", "org:profile"):
        assert f'href="{reverse(name)}"' in html
