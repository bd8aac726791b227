"""Issue 7 §1 review findings on the commune administrator's screens: a commune admin cannot
touch the installation administrator or an account holding a role they may not give; cannot
grant such roles; cannot change the agency code; a password reset revokes API tokens; the page
after an online submission is never stored."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from motcua.core.errors import NotAllowed, NotFound
from motcua.dossiers.models import Channel
from motcua.dossiers.services import Applicant, dossier_create_draft
from motcua.org import selectors, services
from motcua.org.models import ApiToken, CommuneProfile, Department, DepartmentKind, Role, User
from motcua.org.services import StaffInput
from motcua.testing import land_procedure, make_commune, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
OLD_PASSWORD = "matkhau-thu-nghiem"  # make_user's
GOOD_PASSWORD = "Hoa-sen-no-mua-he-7"


@pytest.fixture
def untouchable(ward):
    """Accounts of the ward that its commune admin must not see or act on."""
    superuser = make_user(ward, Role.ADMIN, "hethong")
    superuser.is_superuser = True
    superuser.save()
    province = make_user(ward, Role.PROVINCE_OFFICER, "sonoivu")
    extra = make_user(ward, Role.COUNTER_OFFICER, "motcua_kiem_tinh")
    extra.extra_roles = [Role.PROVINCE_OFFICER]
    extra.save()
    return {"superuser": superuser, "province": province, "extra": extra}


def _snapshot(user: User) -> tuple[object, ...]:
    user.refresh_from_db()
    return (
        user.password,
        user.is_active,
        user.is_superuser,
        user.full_name,
        user.role,
        list(user.extra_roles),
        user.department_id,
        user.commune_id,
        user.must_change_password,
    )


# ---- 1. the installation administrator and province officers are out of a commune admin's reach


def test_untouchable_accounts_are_not_listed(admin_client, untouchable):
    page = admin_client.get(reverse("org:staff")).content.decode()
    assert "quantri" in page  # the list itself works
    for user in untouchable.values():
        assert user.username not in page
    home = admin_client.get(reverse("org:admin_home"))
    assert home.status_code == 200


@pytest.mark.parametrize("who", ["superuser", "province", "extra"])
def test_reset_deactivate_edit_of_an_untouchable_account_is_refused(admin_client, staff, untouchable, who):
    person = untouchable[who]
    before = _snapshot(person)
    edit = reverse("org:staff_edit", args=[person.pk])
    assert admin_client.get(edit).status_code in (403, 404)
    response = admin_client.post(
        edit, {"full_name": "Kẻ Chiếm Quyền", "role": Role.COUNTER_OFFICER, "email": "x@example.vn"}
    )
    assert response.status_code in (403, 404)
    response = admin_client.post(reverse("org:staff_set_active", args=[person.pk]), {"active": "0"})
    assert response.status_code in (403, 404)
    response = admin_client.post(
        reverse("org:staff_reset_password", args=[person.pk]), {"password": GOOD_PASSWORD}
    )
    assert response.status_code in (403, 404)
    assert GOOD_PASSWORD not in response.content.decode()
    assert _snapshot(person) == before
    assert person.check_password(OLD_PASSWORD)


@pytest.mark.parametrize("who", ["superuser", "province", "extra"])
def test_selector_does_not_find_an_untouchable_account(staff, untouchable, who):
    with pytest.raises(NotFound):
        selectors.staff_get_for(user=staff["admin"], pk=untouchable[who].pk)
    assert untouchable[who] not in selectors.staff_for(user=staff["admin"])


@pytest.mark.parametrize("who", ["superuser", "province", "extra"])
def test_services_refuse_an_untouchable_account_on_their_own(staff, untouchable, who):
    """Defence in depth: each service refuses with NotAllowed by its own check, not only
    through the selector's NotFound."""
    person = untouchable[who]
    before = _snapshot(person)
    admin = staff["admin"]
    with pytest.raises(NotAllowed):
        services.staff_reset_password(actor=admin, staff_id=person.pk, password=GOOD_PASSWORD, now=NOW)
    with pytest.raises(NotAllowed):
        services.staff_set_active(actor=admin, staff_id=person.pk, active=False, now=NOW)
    with pytest.raises(NotAllowed):
        services.staff_update(
            actor=admin,
            staff_id=person.pk,
            data=StaffInput(username=person.username, full_name="Kẻ Chiếm Quyền", role=Role.COUNTER_OFFICER),
            now=NOW,
        )
    assert _snapshot(person) == before


def test_a_commune_admin_who_is_not_superuser_still_manages_ordinary_staff(admin_client, staff, untouchable):
    person = staff["counter"]
    response = admin_client.post(
        reverse("org:staff_reset_password", args=[person.pk]), {"password": GOOD_PASSWORD}
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)


def test_a_commune_admin_cannot_grant_superuser_province_officer_or_another_commune(
    admin_client, ward, staff
):
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    other_dept = Department.objects.get(commune=other, kind=DepartmentKind.ECONOMIC)
    base = {"full_name": "Lê Văn Hùng", "role": Role.COUNTER_OFFICER}
    attempts = [
        {"role": Role.PROVINCE_OFFICER},
        {"role": Role.RESIDENT},
        {"extra_roles": [Role.PROVINCE_OFFICER]},
        {"role": Role.SPECIALIST, "department": str(other_dept.pk)},
    ]
    for i, change in enumerate(attempts):
        response = admin_client.post(reverse("org:staff"), {**base, "username": f"moi{i}", **change})
        assert response.status_code == 422, change
        assert not User.objects.filter(username=f"moi{i}").exists()
    # Fields a form must never set are ignored.
    response = admin_client.post(
        reverse("org:staff"),
        {**base, "username": "moi", "is_superuser": "on", "is_staff": "on", "commune": str(other.pk)},
    )
    assert response.status_code == 200
    created = User.objects.get(username="moi")
    assert not created.is_superuser and not created.is_staff and created.commune_id == ward.pk
    person = staff["counter"]
    for change in attempts:
        response = admin_client.post(reverse("org:staff_edit", args=[person.pk]), {**base, **change})
        assert response.status_code == 422, change
    admin_client.post(
        reverse("org:staff_edit", args=[person.pk]),
        {**base, "is_superuser": "on", "commune": str(other.pk), "province": "1"},
    )
    person.refresh_from_db()
    assert person.role == Role.COUNTER_OFFICER and not person.is_superuser
    assert person.commune_id == ward.pk and person.department_id is None and person.extra_roles == []


# ---- 2. the agency code is the installer's, not the commune admin's


def test_profile_shows_the_agency_code_read_only_and_ignores_a_posted_one(admin_client, ward):
    make_commune(20305, "Phường An Khê", "H48.20305")
    page = admin_client.get(reverse("org:profile")).content.decode()
    assert "H48.20209" in page
    assert 'name="agency_code"' not in page
    for posted in ("h48.20305", "", "H48.99999"):
        response = admin_client.post(
            reverse("org:profile"), {"unit_name": "Trung tâm Phục vụ hành chính công", "agency_code": posted}
        )
        assert response.status_code == 302, posted
        ward.refresh_from_db()
        assert ward.agency_code == "H48.20209", posted
    assert CommuneProfile.objects.get(commune=ward).unit_name == "Trung tâm Phục vụ hành chính công"


def test_profile_service_has_no_way_to_change_the_agency_code(staff, ward):
    with pytest.raises(TypeError):
        services.ProfileInput(unit_name="Tên", agency_code="h48.20305")  # type: ignore[call-arg]


# ---- 4. a password reset revokes the account's API tokens


def test_password_reset_revokes_api_tokens(admin_client, staff):
    person = staff["counter"]
    services.api_token_create(user=person, name="may-quet", now=NOW)
    services.staff_reset_password(actor=staff["admin"], staff_id=person.pk, now=NOW)
    token = ApiToken.objects.get(user=person)
    assert token.revoked_at == NOW
    # Through the screen too.
    services.api_token_create(user=person, name="may-quet-2", now=NOW)
    response = admin_client.post(reverse("org:staff_reset_password", args=[person.pk]))
    assert response.status_code == 200
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()


# ---- 5. the page after an online submission shows contacts: never stored


def test_online_done_page_is_never_stored(client, ward):
    draft = dossier_create_draft(
        commune=ward,
        procedure=land_procedure(),
        applicant=Applicant(name="Đặng Văn Tư", phone="0987654321"),
        form_data={},
        channel=Channel.ONLINE,
        now=NOW,
        notify_phone="0912345678",
        notify_email="tu@example.vn",
    )
    response = client.get(reverse("portal:online_done", args=[draft.pk, draft.secret]))
    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", "")
