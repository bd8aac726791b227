"""The commune administrator's screens at /quan-tri/: scoped to the admin's own commune."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from motcua.org.models import CommuneProfile, Department, DepartmentKind, Role, User
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Hoa-sen-no-mua-he-7"


@pytest.fixture
def other():
    commune = make_commune(20305, "Phường An Khê", "H48.20305")
    return {"commune": commune, **make_staff(commune, prefix="ak_")}


def test_only_a_commune_admin_gets_in(client, staff):
    for url in ("org:admin_home", "org:departments", "org:staff", "org:staff_import", "org:profile"):
        client.force_login(staff["leader"])
        assert client.get(reverse(url)).status_code == 403
        client.force_login(staff["admin"])
        assert client.get(reverse(url)).status_code == 200
    client.logout()
    assert client.get(reverse("org:admin_home")).status_code == 302  # to the login page


def test_another_communes_department_and_staff_are_not_found(admin_client, other):
    dept = Department.objects.get(commune=other["commune"], kind=DepartmentKind.OFFICE)
    person = other["counter"]
    assert (
        admin_client.post(reverse("org:department_rename", args=[dept.pk]), {"name": "X"}).status_code == 404
    )
    assert admin_client.post(reverse("org:department_close", args=[dept.pk])).status_code == 404
    assert admin_client.get(reverse("org:staff_edit", args=[person.pk])).status_code == 404
    assert (
        admin_client.post(reverse("org:staff_edit", args=[person.pk]), {"full_name": "X"}).status_code == 404
    )
    assert (
        admin_client.post(reverse("org:staff_set_active", args=[person.pk]), {"active": "0"}).status_code
        == 404
    )
    assert admin_client.post(reverse("org:staff_reset_password", args=[person.pk])).status_code == 404
    dept.refresh_from_db()
    person.refresh_from_db()
    assert dept.closed_at is None and dept.name != "X" and person.is_active
    page = admin_client.get(reverse("org:staff")).content.decode()
    assert "ak_motcua" not in page


def test_department_create_rename_close(admin_client, ward, staff):
    Department.objects.filter(commune=ward, kind=DepartmentKind.CULTURE_SOCIAL).delete()
    response = admin_client.post(
        reverse("org:departments"), {"kind": DepartmentKind.CULTURE_SOCIAL, "name": "Phòng Văn hóa - Xã hội"}
    )
    assert response.status_code == 302
    dept = Department.objects.get(commune=ward, kind=DepartmentKind.CULTURE_SOCIAL)
    # A second open department of the same kind is refused clearly.
    response = admin_client.post(
        reverse("org:departments"), {"kind": DepartmentKind.CULTURE_SOCIAL, "name": "Khác"}
    )
    assert response.status_code == 409 and "đang hoạt động" in response.content.decode()
    admin_client.post(
        reverse("org:department_rename", args=[dept.pk]), {"name": "Phòng Văn hóa – Xã hội phường"}
    )
    dept.refresh_from_db()
    assert dept.name == "Phòng Văn hóa – Xã hội phường"
    assert admin_client.post(reverse("org:department_close", args=[dept.pk])).status_code == 302
    dept.refresh_from_db()
    assert dept.closed_at is not None
    assert Department.objects.filter(pk=dept.pk).exists(), "closed, never deleted"
    # A department with active staff is not closed.
    econ = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    response = admin_client.post(reverse("org:department_close", args=[econ.pk]))
    assert response.status_code == 409 and "còn 2 cán bộ" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Chưa nhập tên phòng ban"),
        ("x" * 201, "Tên phòng ban dài quá 200 ký tự"),
        ("\x00", "Chưa nhập tên phòng ban"),
    ],
)
def test_department_name_is_validated(admin_client, ward, name, message):
    Department.objects.filter(commune=ward, kind=DepartmentKind.CULTURE_SOCIAL).delete()
    response = admin_client.post(
        reverse("org:departments"), {"kind": DepartmentKind.CULTURE_SOCIAL, "name": name}
    )
    assert response.status_code == 422
    assert message in response.content.decode()


def _one_time_password(html: str) -> str:
    match = re.search(r'id="one-time-password">([^<]+)<', html)
    assert match, html
    return match.group(1)


def test_staff_create_shows_a_one_time_password_once_and_it_must_be_changed(admin_client, ward):
    econ = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    response = admin_client.post(
        reverse("org:staff"),
        {
            "username": "cv.diachinh2",
            "full_name": "Lê Văn  Hùng",
            "role": Role.SPECIALIST,
            "department": str(econ.pk),
            "position": "Chuyên viên địa chính",
            "phone": "0905 111 222",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = _one_time_password(response.content.decode())
    user = User.objects.get(username="cv.diachinh2")
    assert user.commune == ward and user.department == econ and user.full_name == "Lê Văn Hùng"
    assert user.check_password(password) and user.must_change_password
    assert password not in admin_client.get(reverse("org:staff")).content.decode()
    # First login: the landing page is the password change.
    client = Client()
    client.force_login(user)
    assert client.get(reverse("core:home"))["Location"] == reverse("core:password_change")
    response = client.post(
        reverse("core:password_change"),
        {"old_password": password, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD) and not user.must_change_password
    assert client.get(reverse("core:home"))["Location"] == reverse("dossiers:inbox")


def test_staff_create_refuses_bad_input_clearly(admin_client, staff):
    cases = [
        ({"username": "a b", "full_name": "A", "role": Role.COUNTER_OFFICER}, 422, "Tên đăng nhập «a b»"),
        (
            {"username": "x" * 151, "full_name": "A", "role": Role.COUNTER_OFFICER},
            422,
            "Tên đăng nhập dài quá",
        ),
        (
            {"username": "moi", "full_name": "A\x00" * 151, "role": Role.COUNTER_OFFICER},
            422,
            "Họ và tên dài quá",
        ),
        ({"username": "moi", "full_name": "A", "role": Role.PROVINCE_OFFICER}, 422, "Chọn vai trò"),
        ({"username": "moi", "full_name": "A", "role": Role.SPECIALIST}, 422, "phải thuộc một phòng ban"),
        ({"username": "motcua", "full_name": "A", "role": Role.COUNTER_OFFICER}, 409, "đã có người dùng"),
        (
            {"username": "moi", "full_name": "A", "role": Role.COUNTER_OFFICER, "password": "123"},
            422,
            "chưa đủ an toàn",
        ),
        (
            {"username": "moi", "full_name": "A", "role": Role.COUNTER_OFFICER, "email": "x@"},
            422,
            "Email «x@»",
        ),
    ]
    for data, status, message in cases:
        response = admin_client.post(reverse("org:staff"), data)
        assert response.status_code == status, (data, response.content.decode()[:300])
        assert message in response.content.decode(), data
    assert not User.objects.filter(username="moi").exists()


def test_staff_edit_gives_extra_roles_and_keeps_the_username(admin_client, ward, staff):
    leader = staff["leader"]
    econ = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    response = admin_client.post(
        reverse("org:staff_edit", args=[leader.pk]),
        {
            "username": "doi-ten",
            "full_name": "Phạm Văn Minh",
            "role": Role.COMMUNE_LEADER,
            "extra_roles": [Role.DEPARTMENT_HEAD],
            "department": str(econ.pk),
            "position": "Phó Chủ tịch UBND",
        },
    )
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.username == "chutich"
    assert leader.roles == {Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD}
    assert leader.department == econ
    page = admin_client.get(reverse("org:staff")).content.decode()
    assert "Lãnh đạo UBND, Trưởng phòng" in page
    # The admin cannot remove their own admin role.
    me = staff["admin"]
    response = admin_client.post(
        reverse("org:staff_edit", args=[me.pk]), {"full_name": "Quản trị", "role": Role.COUNTER_OFFICER}
    )
    assert response.status_code == 409
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_deactivate_keeps_the_name_and_stops_the_login(admin_client, staff):
    person = staff["counter"]
    url = reverse("org:staff_set_active", args=[person.pk])
    assert admin_client.post(url, {"active": "0"}).status_code == 302
    person.refresh_from_db()
    assert not person.is_active and person.full_name == "Motcua"
    assert User.objects.filter(pk=person.pk).exists()
    client = Client()
    response = client.post(reverse("core:login"), {"username": "motcua", "password": "matkhau-thu-nghiem"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert admin_client.post(url, {"active": "1"}).status_code == 302
    person.refresh_from_db()
    assert person.is_active
    # Not oneself.
    me = staff["admin"]
    admin_client.post(reverse("org:staff_set_active", args=[me.pk]), {"active": "0"})
    me.refresh_from_db()
    assert me.is_active


def test_reset_password_generated_or_typed(admin_client, staff):
    person = staff["specialist_econ"]
    url = reverse("org:staff_reset_password", args=[person.pk])
    response = admin_client.post(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = _one_time_password(response.content.decode())
    person.refresh_from_db()
    assert person.check_password(password) and person.must_change_password
    response = admin_client.post(url, {"password": GOOD_PASSWORD})
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)
    response = admin_client.post(url, {"password": "12345678901"})
    assert response.status_code == 422 and "chưa đủ an toàn" in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)


def test_profile_edit_shows_on_the_home_page(admin_client, ward):
    response = admin_client.post(
        reverse("org:profile"),
        {
            "unit_name": "Trung tâm Phục vụ hành chính công phường Thanh Khê",
            "address": "Số 1 Hà Huy Tập",
            "opening_hours": "Thứ Hai – Thứ Sáu 7:30–11:30",
            "hotline": "0236 3 123 456",
        },
    )
    assert response.status_code == 302
    profile = CommuneProfile.objects.get(commune=ward)
    assert profile.hotline == "0236 3 123 456"
    page = Client().get("/").content.decode()
    assert "Trung tâm Phục vụ hành chính công phường Thanh Khê" in page and "Số 1 Hà Huy Tập" in page
    for field, value, message in [
        ("unit_name", "", "Chưa nhập tên đơn vị"),
        ("address", "x" * 301, "Địa chỉ dài quá 300 ký tự"),
        ("hotline", "goi\x00 em", "chỉ được có chữ số"),
    ]:
        data = {"unit_name": "Tên", field: value}
        response = admin_client.post(reverse("org:profile"), data)
        assert response.status_code == 422, field
        assert message in response.content.decode(), field
