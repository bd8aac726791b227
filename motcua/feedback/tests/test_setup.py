"""The commune administrator's feedback categories (/quan-tri/phan-anh/, issue 9 §1)."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.feedback.defaults import FEEDBACK_CATEGORIES
from motcua.feedback.models import Category, Channel, FeedbackItem
from motcua.feedback.services import feedback_create
from motcua.org.models import Department, DepartmentKind
from motcua.testing import make_feedback_setup, make_staff

from .conftest import NOW

pytestmark = pytest.mark.django_db

URL = "feedback_setup:categories"


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff["admin"])
    return client


@pytest.fixture
def econ(ward):
    return Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)


@pytest.fixture
def other(other_ward):
    """Commune B: its staff and its nine categories."""
    people = make_staff(other_ward, prefix="ak_")
    return {"staff": people, "categories": make_feedback_setup(other_ward)["categories"]}


def _snapshot(commune):
    return sorted(
        Category.objects.filter(commune=commune).values_list(
            "pk", "code", "name", "deadline_days", "department_id", "active", "position"
        )
    )


def _item(ward, category, title="Đèn đường hẻm 12 bị hỏng"):
    return feedback_create(commune=ward, channel=Channel.HOTLINE, category=category, title=title, now=NOW)


# ----------------------------------------------------------------------------- who gets in


def test_only_the_communes_admin_gets_in(client, ward, staff, setup):
    before = _snapshot(ward)
    cat = setup["categories"]["chieu-sang"]
    posts = [
        (URL, [], {"code": "cay-xanh", "name": "Cây xanh", "deadline_days": "5"}),
        ("feedback_setup:use_defaults", [], {}),
        ("feedback_setup:category_update", [cat.pk], {"name": "X", "deadline_days": "5", "position": "1"}),
        ("feedback_setup:category_set_active", [cat.pk], {"active": "0"}),
    ]
    for role in ("counter", "leader", "head_econ", "specialist_econ"):
        client.force_login(staff[role])
        assert client.get(reverse(URL)).status_code == 403, role
        for name, args, data in posts:
            assert client.post(reverse(name, args=args), data).status_code == 403, (role, name)
    client.logout()
    assert client.get(reverse(URL)).status_code == 302  # to the login page
    assert client.post(reverse(URL), posts[0][2]).status_code == 302
    assert _snapshot(ward) == before
    client.force_login(staff["admin"])
    assert client.get(reverse(URL)).status_code == 200


def test_changes_are_post_only(admin_client, setup):
    cat = setup["categories"]["khac"]
    for name, args in (
        ("feedback_setup:use_defaults", []),
        ("feedback_setup:category_update", [cat.pk]),
        ("feedback_setup:category_set_active", [cat.pk]),
    ):
        assert admin_client.get(reverse(name, args=args)).status_code == 405


def test_another_communes_categories_are_not_found_and_unchanged(
    admin_client, ward, setup, other, other_ward
):
    before = _snapshot(other_ward)
    for cat in other["categories"].values():
        response = admin_client.post(
            reverse("feedback_setup:category_update", args=[cat.pk]),
            {"name": "Bị đổi", "deadline_days": "1", "position": "0"},
        )
        assert response.status_code == 404
        response = admin_client.post(
            reverse("feedback_setup:category_set_active", args=[cat.pk]), {"active": "0"}
        )
        assert response.status_code == 404
    for pk in (0, 2**31, 10**12):
        assert admin_client.post(reverse("feedback_setup:category_set_active", args=[pk])).status_code == 404
    assert _snapshot(other_ward) == before
    # A's page lists only A's categories.
    page = admin_client.get(reverse(URL)).content.decode()
    for cat in other["categories"].values():
        assert f"/linh-vuc/{cat.pk}/" not in page


# ----------------------------------------------------------------------------- defaults


def test_defaults_create_the_nine_linked_by_kind(admin_client, ward, staff, econ, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    page = admin_client.get(reverse(URL)).content.decode()
    assert "Dùng danh mục mặc định" in page and "Chưa có lĩnh vực phản ánh nào." in page
    # A closed department of a kind is not linked: the open one is.
    office = Department.objects.get(commune=ward, kind=DepartmentKind.OFFICE)
    office.closed_at = NOW
    office.save()
    response = admin_client.post(reverse("feedback_setup:use_defaults"))
    assert response.status_code == 302
    cats = list(Category.objects.filter(commune=ward).order_by("position"))
    assert [(c.code, c.name, c.deadline_days) for c in cats] == [
        (c, n, d) for c, n, d, _ in FEEDBACK_CATEGORIES
    ]
    by_code = {c.code: c for c in cats}
    assert by_code["chieu-sang"].department == econ
    assert by_code["an-ninh"].department is None  # the office is closed
    assert by_code["khac"].department is None
    assert all(c.active for c in cats)
    assert "categories_defaults by quantri" in caplog.text
    page = admin_client.get(reverse(URL)).content.decode()
    assert "Dùng danh mục mặc định" not in page and "Chiếu sáng" in page


def test_defaults_are_refused_when_the_commune_has_categories(admin_client, ward, setup):
    Category.objects.filter(commune=ward).exclude(code="khac").delete()
    before = _snapshot(ward)
    response = admin_client.post(reverse("feedback_setup:use_defaults"))
    assert response.status_code == 409
    assert "đã có danh mục lĩnh vực phản ánh" in response.content.decode()
    assert _snapshot(ward) == before


# ----------------------------------------------------------------------------- add, edit, pause


def test_admin_adds_a_category_last_in_the_list(admin_client, ward, setup, econ, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    response = admin_client.post(
        reverse(URL),
        {"code": " cay-xanh ", "name": "  Cây   xanh ", "deadline_days": "12", "department": econ.pk},
    )
    assert response.status_code == 302
    cat = Category.objects.get(commune=ward, code="cay-xanh")
    assert (cat.name, cat.deadline_days, cat.department, cat.active) == ("Cây xanh", 12, econ, True)
    assert cat.position == len(FEEDBACK_CATEGORIES)
    assert "category_create by quantri" in caplog.text and NOW.isoformat() in caplog.text
    response = admin_client.post(
        reverse(URL), {"code": "khong-phong", "name": "Khác 2", "deadline_days": "60"}
    )
    assert response.status_code == 302
    assert Category.objects.get(commune=ward, code="khong-phong").department is None
    page = admin_client.get(reverse(URL)).content.decode()
    assert 'id="linh-vuc-cay-xanh"' in page and "12 ngày làm việc" in page


def test_the_same_code_is_free_in_another_commune(admin_client, ward, other):
    response = admin_client.post(
        reverse(URL), {"code": "chieu-sang", "name": "Chiếu sáng", "deadline_days": "5"}
    )
    assert response.status_code == 302
    assert Category.objects.filter(code="chieu-sang").count() == 2


def test_admin_edits_a_category_and_the_deadline_applies_to_new_items(
    admin_client, ward, setup, econ, caplog
):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    cat = setup["categories"]["khac"]
    before = _item(ward, cat)
    office = Department.objects.get(commune=ward, kind=DepartmentKind.OFFICE)
    response = admin_client.post(
        reverse("feedback_setup:category_update", args=[cat.pk]),
        {
            "name": "Vấn đề khác",
            "deadline_days": "3",
            "department": office.pk,
            "position": "0",
            "code": "doi-ma",
        },
    )
    assert response.status_code == 302
    cat.refresh_from_db()
    assert (cat.code, cat.name, cat.deadline_days, cat.department, cat.position) == (
        "khac", "Vấn đề khác", 3, office, 0
    )  # fmt: skip
    after = _item(ward, cat)
    old_due = before.due_at
    before.refresh_from_db()
    assert before.due_at == old_due  # the existing item keeps its deadline
    assert after.due_at < before.due_at  # 3 working days instead of 10
    assert after.department == office
    assert "category_update by quantri" in caplog.text
    # No department: the leader assigns.
    admin_client.post(
        reverse("feedback_setup:category_update", args=[cat.pk]),
        {"name": "Vấn đề khác", "deadline_days": "3", "department": "", "position": "0"},
    )
    cat.refresh_from_db()
    assert cat.department is None
    page = admin_client.get(reverse(URL)).content.decode()
    assert "chỉ áp dụng cho phản ánh tiếp nhận sau khi lưu" in page


def test_a_paused_category_takes_no_new_items_and_existing_keep_it(admin_client, ward, setup, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    cat = setup["categories"]["chieu-sang"]
    items = [_item(ward, cat), _item(ward, cat, "Đèn hẻm 5")]
    page = admin_client.get(reverse(URL)).content.decode()
    row = page.split('id="linh-vuc-chieu-sang"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    response = admin_client.post(
        reverse("feedback_setup:category_set_active", args=[cat.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    cat.refresh_from_db()
    assert not cat.active
    with pytest.raises(ValidationFailed):
        _item(ward, cat)
    assert set(FeedbackItem.objects.filter(category=cat)) == set(items)
    page = admin_client.get(reverse(URL)).content.decode()
    row = page.split('id="linh-vuc-chieu-sang"')[1].split("</tr>")[0]
    assert "Tạm ngừng</span>" in row and "Nhận lại «Chiếu sáng»" in row
    admin_client.post(reverse("feedback_setup:category_set_active", args=[cat.pk]), {"active": "1"})
    cat.refresh_from_db()
    assert cat.active
    assert _item(ward, cat).category == cat
    assert "category_pause" in caplog.text and "category_resume" in caplog.text


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "cay xanh"}, "không có khoảng trắng"),
        ({"code": "Cay-Xanh"}, "chữ thường không dấu"),
        ({"code": "cây-xanh"}, "chữ thường không dấu"),
        ({"code": "cay_xanh"}, "chữ thường không dấu"),
        ({"code": "-cay"}, "chữ thường không dấu"),
        ({"code": "cay\x00"}, "chữ thường không dấu"),
        ({"code": "a" * 41}, "tối đa 40 ký tự"),
        ({"code": ""}, "Chưa nhập mã lĩnh vực"),
        ({"code": "chieu-sang"}, "Mã chieu-sang đã dùng"),
        ({"name": "Cây\x00xanh"}, "Tên lĩnh vực có ký tự không hợp lệ"),
        ({"name": "x" * 101}, "Tên lĩnh vực dài quá 100 ký tự"),
        ({"name": "   "}, "Chưa nhập tên lĩnh vực"),
        ({"deadline_days": "0"}, "từ 1 đến 60"),
        ({"deadline_days": "61"}, "từ 1 đến 60"),
        ({"deadline_days": "abc"}, "từ 1 đến 60"),
        ({"deadline_days": "-3"}, "từ 1 đến 60"),
        ({"deadline_days": "5\x00"}, "từ 1 đến 60"),
        ({"deadline_days": "9" * 5000}, "từ 1 đến 60"),
        ({"deadline_days": ""}, "Chưa nhập thời hạn xử lý"),
        ({"department": "abc"}, "phòng ban đang hoạt động"),
        ({"department": "99999999999"}, "phòng ban đang hoạt động"),
        ({"department": "OTHER"}, "phòng ban đang hoạt động"),
        ({"department": "CLOSED"}, "phòng ban đang hoạt động"),
    ],
)
def test_bad_new_category_is_refused_in_vietnamese_and_changes_nothing(
    admin_client, ward, setup, other_ward, data, message
):
    if data.get("department") == "OTHER":
        data = {"department": Department.objects.filter(commune=other_ward).first().pk}
    if data.get("department") == "CLOSED":
        dept = Department.objects.get(commune=ward, kind=DepartmentKind.CULTURE_SOCIAL)
        dept.closed_at = NOW
        dept.save()
        data = {"department": dept.pk}
    before = _snapshot(ward)
    response = admin_client.post(
        reverse(URL), {"code": "cay-xanh", "name": "Cây xanh", "deadline_days": "5"} | data
    )
    assert response.status_code in (409, 422)
    body = response.content.decode()
    assert message in body
    assert _snapshot(ward) == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "A\x00"}, "Tên lĩnh vực có ký tự không hợp lệ"),
        ({"name": "x" * 101}, "Tên lĩnh vực dài quá 100 ký tự"),
        ({"deadline_days": "0"}, "từ 1 đến 60"),
        ({"deadline_days": "61"}, "từ 1 đến 60"),
        ({"deadline_days": "abc"}, "từ 1 đến 60"),
        ({"position": "1000"}, "Thứ tự phải là số nguyên từ 0 đến 999"),
        ({"position": "x"}, "Thứ tự phải là số nguyên từ 0 đến 999"),
        ({"department": "OTHER"}, "phòng ban đang hoạt động"),
    ],
)
def test_bad_edit_is_refused_and_changes_nothing(admin_client, ward, setup, other_ward, data, message):
    if data.get("department") == "OTHER":
        data = {"department": Department.objects.filter(commune=other_ward).first().pk}
    cat = setup["categories"]["rac-thai"]
    before = _snapshot(ward)
    response = admin_client.post(
        reverse("feedback_setup:category_update", args=[cat.pk]),
        {"name": "Rác", "deadline_days": "3", "position": "3"} | data,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    # The refused category's edit form is open again, the message next to it.
    row = body.split('id="linh-vuc-rac-thai"')[1].split("</tr>")[0]
    assert row.count("<details open>") == 1 and 'class="row-error"' in row
    assert body.count("<details open>") == 1
    assert _snapshot(ward) == before
