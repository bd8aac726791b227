"""The staffing hub: one link in the leader's navigation; refused to residents and to staff
without a commune."""

import pytest

from motcua.org.models import Role
from motcua.testing import make_commune, make_staff, make_user

pytestmark = pytest.mark.django_db


def test_the_leader_reaches_the_hub_from_the_navigation(client):
    staff = make_staff(make_commune())
    client.force_login(staff["leader"])
    page = client.get("/ho-so/tong-quan/").content.decode()
    assert 'href="/nhan-su/"' in page
    response = client.get("/nhan-su/")
    assert response.status_code == 200
    assert "Bố trí nhân sự — Phường Thanh Khê" in response.content.decode()


def test_staff_without_a_commune_are_refused(client):
    make_commune()
    client.force_login(make_user(None, Role.SPECIALIST, "khong_xa"))
    assert client.get("/nhan-su/").status_code == 403


def test_a_counter_officer_finds_their_own_day_and_workload_from_the_navigation(client):
    staff = make_staff(make_commune())
    client.force_login(staff["counter"])
    assert 'href="/nhan-su/"' in client.get("/ho-so/tiep-nhan/").content.decode()
    hub = client.get("/nhan-su/").content.decode()
    assert "Lịch của tôi" in hub and "Khối lượng công việc của tôi" in hub
    assert "Lịch làm việc trong ngày" not in hub  # the whole commune's plan is the leader's
