"""The commune administrator's queue set-up screens (/quan-tri/hang-cho/, issue 8 §1, §3)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing import setup
from motcua.queueing.kiosks import kiosk_by_token, kiosk_create
from motcua.queueing.models import Counter, CounterHours, KioskDevice, ServiceGroup
from motcua.queueing.services import ticket_issue
from motcua.queueing.workflow import serves
from motcua.testing import make_counter, make_service_groups, make_staff, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff["admin"])
    return client


@pytest.fixture
def other(other_ward):
    """Commune B: its staff, groups, a counter with hours, a kiosk."""
    people = make_staff(other_ward, prefix="ak_")
    groups = make_service_groups(other_ward)
    counter = make_counter(other_ward, 1, "AB", officer=people["counter"])
    hours = CounterHours.objects.create(counter=counter, group=groups["B"], starts=T(7, 30), ends=T(11, 30))
    kiosk, _ = kiosk_create(commune=other_ward, now=NOW, name="Máy An Khê")
    return {"staff": people, "groups": groups, "counter": counter, "hours": hours, "kiosk": kiosk}


def _snapshot(commune):
    return {
        "groups": sorted(
            ServiceGroup.objects.filter(commune=commune).values_list(
                "pk", "letter", "name", "active", "appointment_capacity", "appointment_slot_minutes"
            )
        ),
        "counters": sorted(
            Counter.objects.filter(commune=commune).values_list(
                "pk", "number", "name", "active", "officer_id"
            )
        ),
        "counter_groups": sorted(
            Counter.groups.through.objects.filter(counter__commune=commune).values_list(
                "counter_id", "servicegroup_id"
            )
        ),
        "hours": sorted(
            CounterHours.objects.filter(counter__commune=commune).values_list(
                "pk", "group_id", "starts", "ends"
            )
        ),
        "kiosks": sorted(KioskDevice.objects.filter(commune=commune).values_list("pk", "name", "revoked_at")),
    }


# ----------------------------------------------------------------------------- who gets in

PAGES = ("queueing_setup:groups", "queueing_setup:counters", "queueing_setup:kiosks")


def test_only_the_communes_admin_gets_in(client, staff):
    for name in PAGES:
        for role in ("counter", "leader", "specialist_econ"):
            client.force_login(staff[role])
            assert client.get(reverse(name)).status_code == 403, (name, role)
            assert client.post(reverse(name), {"letter": "E", "name": "X", "number": "6"}).status_code == 403
        client.force_login(staff["admin"])
        assert client.get(reverse(name)).status_code == 200
    client.logout()
    assert client.get(reverse("queueing_setup:groups")).status_code == 302  # to the login page
    assert not ServiceGroup.objects.filter(letter="E").exists() and not Counter.objects.exists()


def test_leader_and_officer_are_refused_every_change(client, ward, staff, groups, counter1):
    kiosk, _ = kiosk_create(commune=ward, now=NOW)
    hours = CounterHours.objects.create(counter=counter1, group=groups["A"], starts=T(8), ends=T(9))
    before = _snapshot(ward)
    posts = [
        ("queueing_setup:group_update", [groups["A"].pk], {"name": "X", "capacity": "1", "slot_minutes": "10"}),
        ("queueing_setup:group_set_active", [groups["A"].pk], {"active": "0"}),
        ("queueing_setup:counter_update", [counter1.pk], {"number": "9", "name": "X"}),
        ("queueing_setup:counter_set_active", [counter1.pk], {"active": "0"}),
        ("queueing_setup:counter_hours_add", [counter1.pk], {"group": groups["A"].pk, "starts": "13:00", "ends": "14:00"}),
        ("queueing_setup:counter_hours_remove", [counter1.pk, hours.pk], {}),
        ("queueing_setup:counter_free", [counter1.pk], {}),
        ("queueing_setup:kiosk_revoke", [kiosk.pk], {}),
    ]  # fmt: skip
    for role in ("counter", "leader"):
        client.force_login(staff[role])
        for name, args, data in posts:
            assert client.post(reverse(name, args=args), data).status_code == 403, (role, name)
    assert _snapshot(ward) == before


def test_another_communes_objects_are_not_found_and_unchanged(admin_client, ward, other, other_ward):
    before = _snapshot(other_ward)
    g, c, h, k = other["groups"]["A"], other["counter"], other["hours"], other["kiosk"]
    posts = [
        ("queueing_setup:group_update", [g.pk], {"name": "Bị đổi", "capacity": "1", "slot_minutes": "10"}),
        ("queueing_setup:group_set_active", [g.pk], {"active": "0"}),
        ("queueing_setup:counter_update", [c.pk], {"number": "9", "name": "Bị đổi"}),
        ("queueing_setup:counter_set_active", [c.pk], {"active": "0"}),
        ("queueing_setup:counter_hours_add", [c.pk], {"group": g.pk, "starts": "13:00", "ends": "14:00"}),
        ("queueing_setup:counter_hours_remove", [c.pk, h.pk], {}),
        ("queueing_setup:counter_free", [c.pk], {}),
        ("queueing_setup:kiosk_revoke", [k.pk], {}),
    ]
    for name, args, data in posts:
        assert admin_client.post(reverse(name, args=args), data).status_code == 404, name
    # Nor through one's own counter: B's group and B's hours row are not ours.
    own = make_counter(ward, 5, "")
    response = admin_client.post(reverse("queueing_setup:counter_update", args=[own.pk]),
                                 {"number": "5", "name": "", "groups": [g.pk]})  # fmt: skip
    assert response.status_code == 422
    assert (
        admin_client.post(reverse("queueing_setup:counter_hours_remove", args=[own.pk, h.pk])).status_code
        == 404
    )
    assert _snapshot(other_ward) == before
    for name in PAGES:
        page = admin_client.get(reverse(name)).content.decode()
        assert "Máy An Khê" not in page and "ak_motcua" not in page.lower()
    assert kiosk_by_token  # the kiosk is still usable: checked through the snapshot's revoked_at


# ----------------------------------------------------------------------------- groups


def test_admin_creates_renames_and_pauses_a_group(admin_client, ward, staff, groups, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    response = admin_client.post(
        reverse("queueing_setup:groups"),
        {"letter": " e ", "name": "  Tư  pháp ", "capacity": "3", "slot_minutes": "20"},
    )
    assert response.status_code == 302
    e = ServiceGroup.objects.get(commune=ward, letter="E")
    assert (e.name, e.appointment_capacity, e.appointment_slot_minutes, e.active) == ("Tư pháp", 3, 20, True)
    assert "group_create by quantri" in caplog.text and NOW.isoformat() in caplog.text

    admin_client.post(
        reverse("queueing_setup:group_update", args=[e.pk]),
        {"name": "Tư pháp - Hộ tịch", "capacity": "0", "slot_minutes": "240"},
    )
    e.refresh_from_db()
    assert (e.name, e.appointment_capacity, e.appointment_slot_minutes) == ("Tư pháp - Hộ tịch", 0, 240)

    admin_client.post(reverse("queueing_setup:group_set_active", args=[e.pk]), {"active": "0"})
    e.refresh_from_db()
    assert not e.active
    admin_client.post(reverse("queueing_setup:group_set_active", args=[e.pk]), {"active": "1"})
    e.refresh_from_db()
    assert e.active
    assert "group_pause" in caplog.text and "group_resume" in caplog.text

    page = admin_client.get(reverse("queueing_setup:groups")).content.decode()
    assert "Tư pháp - Hộ tịch" in page and "Đất đai - Xây dựng" in page


def test_group_list_shows_waiting_now(admin_client, ward, groups):
    for _ in range(3):
        ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    page = admin_client.get(reverse("queueing_setup:groups")).content.decode()
    row = page.split('id="nhom-B"')[1].split("</tr>")[0]
    assert "<td>3</td>" in row


def test_a_group_with_waiting_tickets_is_not_paused(admin_client, ward, groups):
    ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
    response = admin_client.post(
        reverse("queueing_setup:group_set_active", args=[groups["B"].pk]), {"active": "0"}
    )
    assert response.status_code == 409
    assert "còn 1 số đang chờ" in response.content.decode()
    groups["B"].refresh_from_db()
    assert groups["B"].active


@pytest.mark.parametrize(
    "data, message",
    [
        ({"letter": "AB", "name": "X"}, "một chữ cái từ A đến Z"),
        ({"letter": "Đ", "name": "X"}, "một chữ cái từ A đến Z"),
        ({"letter": "E\x00", "name": "X"}, "một chữ cái từ A đến Z"),
        ({"letter": "", "name": "X"}, "một chữ cái từ A đến Z"),
        ({"letter": "A", "name": "Trùng"}, "Chữ A đã dùng"),
        ({"letter": "E", "name": "Tư\x00pháp"}, "Tên nhóm có ký tự không hợp lệ"),
        ({"letter": "E", "name": "x" * 101}, "Tên nhóm dài quá 100 ký tự"),
        ({"letter": "E", "name": "   "}, "Chưa nhập tên nhóm"),
        ({"letter": "E", "name": "X", "capacity": "51"}, "từ 0 đến 50"),
        ({"letter": "E", "name": "X", "capacity": "-1"}, "từ 0 đến 50"),
        ({"letter": "E", "name": "X", "slot_minutes": "4"}, "từ 5 đến 240"),
        ({"letter": "E", "name": "X", "slot_minutes": "241"}, "từ 5 đến 240"),
        ({"letter": "E", "name": "X", "slot_minutes": "3\x000"}, "từ 5 đến 240"),
        ({"letter": "E", "name": "X", "slot_minutes": "9" * 5000}, "từ 5 đến 240"),
    ],
)
def test_bad_group_input_is_refused_in_vietnamese_and_changes_nothing(
    admin_client, ward, groups, data, message
):
    before = _snapshot(ward)
    response = admin_client.post(
        reverse("queueing_setup:groups"), {"capacity": "2", "slot_minutes": "30"} | data
    )
    assert response.status_code in (409, 422)
    assert message in response.content.decode()
    assert _snapshot(ward) == before


def test_bad_group_edit_is_refused(admin_client, ward, groups):
    before = _snapshot(ward)
    url = reverse("queueing_setup:group_update", args=[groups["A"].pk])
    for data in (
        {"name": "x" * 101, "capacity": "2", "slot_minutes": "30"},
        {"name": "A\x00", "capacity": "2", "slot_minutes": "30"},
        {"name": "Hộ tịch", "capacity": "abc", "slot_minutes": "30"},
    ):
        response = admin_client.post(url, data)
        assert response.status_code == 422
        assert "<details open>" in response.content.decode()
    assert _snapshot(ward) == before


# ----------------------------------------------------------------------------- counters


def test_admin_creates_a_counter_with_its_groups_and_hours(admin_client, ward, groups, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    response = admin_client.post(
        reverse("queueing_setup:counters"),
        {"number": "6", "name": "Quầy đất đai", "groups": [groups["B"].pk, groups["C"].pk]},
    )
    assert response.status_code == 302
    c = Counter.objects.get(commune=ward, number=6)
    assert c.name == "Quầy đất đai" and set(c.groups.values_list("letter", flat=True)) == {"B", "C"}
    response = admin_client.post(
        reverse("queueing_setup:counter_hours_add", args=[c.pk]),
        {"group": groups["B"].pk, "starts": "07:30", "ends": "11:30"},
    )
    assert response.status_code == 302
    assert list(CounterHours.objects.filter(counter=c).values_list("starts", "ends")) == [
        (T(7, 30), T(11, 30))
    ]
    assert serves(c, groups["B"].pk, at=T(8)) and not serves(c, groups["B"].pk, at=T(13))
    assert serves(c, groups["C"].pk, at=T(13))  # no hours for C: all day
    page = admin_client.get(reverse("queueing_setup:counters")).content.decode()
    assert "Nhóm B: 07:30–11:30" in page
    assert "counter_create by quantri" in caplog.text and "hours_add" in caplog.text


def test_overlapping_and_touching_hours_of_a_group_are_merged(ward, staff, groups):
    c = make_counter(ward, 6, "BC")
    admin = staff["admin"]

    def add(letter, starts, ends):
        return setup.counter_hours_add(
            actor=admin, counter_id=c.pk, group_id=groups[letter].pk, starts=starts, ends=ends, now=NOW
        )

    add("B", "07:30", "09:00")
    add("B", "13:30", "17:00")
    add("C", "08:00", "12:00")  # another group: never merged with B's
    add("B", "08:30", "11:30")  # overlaps the first
    add("B", "11:30", "12:00")  # touches it
    rows = sorted(CounterHours.objects.filter(counter=c).values_list("group__letter", "starts", "ends"))
    assert rows == [
        ("B", T(7, 30), T(12, 0)),
        ("B", T(13, 30), T(17, 0)),
        ("C", T(8, 0), T(12, 0)),
    ]
    add("B", "06:00", "18:00")  # covers both
    assert list(CounterHours.objects.filter(counter=c, group=groups["B"]).values_list("starts", "ends")) == [
        (T(6), T(18))
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"number": "0"}, "Số quầy phải là số nguyên từ 1 đến 99"),
        ({"number": "100"}, "Số quầy phải là số nguyên từ 1 đến 99"),
        ({"number": "1"}, "Quầy số 1 đã có"),
        ({"number": "x"}, "Số quầy phải là số nguyên"),
        ({"number": "6\x00"}, "Số quầy phải là số nguyên"),
        ({"number": ""}, "Chưa nhập số quầy"),
        ({"number": "6", "name": "Q\x00"}, "Tên quầy có ký tự không hợp lệ"),
        ({"number": "6", "name": "q" * 101}, "Tên quầy dài quá 100 ký tự"),
        ({"number": "6", "groups": ["abc"]}, "Nhóm dịch vụ đã chọn không hợp lệ"),
        ({"number": "6", "groups": ["999999"]}, "không có ở trung tâm này"),
    ],
)
def test_bad_counter_input_is_refused_in_vietnamese_and_changes_nothing(
    admin_client, ward, groups, counter1, data, message
):
    before = _snapshot(ward)
    response = admin_client.post(reverse("queueing_setup:counters"), data)
    assert response.status_code in (409, 422)
    assert message in response.content.decode()
    assert _snapshot(ward) == before


@pytest.mark.parametrize(
    "starts, ends, message",
    [
        ("11:30", "07:30", "Giờ bắt đầu phải trước giờ kết thúc"),
        ("08:00", "08:00", "Giờ bắt đầu phải trước giờ kết thúc"),
        ("24:00", "25:00", "Giờ bắt đầu phải có dạng giờ:phút"),
        ("07:30", "23:60", "Giờ kết thúc phải có dạng giờ:phút"),
        ("7h30", "11:30", "Giờ bắt đầu phải có dạng giờ:phút"),
        ("07:30\x00", "11:30", "Giờ bắt đầu phải có dạng giờ:phút"),
        ("0" * 5000, "11:30", "Giờ bắt đầu phải có dạng giờ:phút"),
    ],
)
def test_bad_hours_are_refused(admin_client, ward, groups, counter1, starts, ends, message):
    before = _snapshot(ward)
    response = admin_client.post(
        reverse("queueing_setup:counter_hours_add", args=[counter1.pk]),
        {"group": groups["A"].pk, "starts": starts, "ends": ends},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot(ward) == before


def test_hours_only_for_a_group_the_counter_serves(admin_client, ward, groups, counter1):
    before = _snapshot(ward)
    for group in (groups["C"].pk, "x", ""):  # quầy 1 serves A and B
        response = admin_client.post(
            reverse("queueing_setup:counter_hours_add", args=[counter1.pk]),
            {"group": group, "starts": "07:30", "ends": "11:30"},
        )
        assert response.status_code == 422
        assert "nhóm mà quầy đang phục vụ" in response.content.decode()
    assert _snapshot(ward) == before


def test_hours_are_removed(admin_client, ward, groups, counter1):
    h = CounterHours.objects.create(counter=counter1, group=groups["A"], starts=T(7, 30), ends=T(11, 30))
    response = admin_client.post(reverse("queueing_setup:counter_hours_remove", args=[counter1.pk, h.pk]))
    assert response.status_code == 302 and not CounterHours.objects.filter(pk=h.pk).exists()
    # another counter's row through this counter: not found
    c2 = make_counter(ward, 2, "A")
    h2 = CounterHours.objects.create(counter=c2, group=groups["A"], starts=T(8), ends=T(9))
    assert (
        admin_client.post(
            reverse("queueing_setup:counter_hours_remove", args=[counter1.pk, h2.pk])
        ).status_code
        == 404
    )
    assert CounterHours.objects.filter(pk=h2.pk).exists()


def test_counter_edit_changes_number_name_groups_and_drops_hours_of_dropped_groups(
    admin_client, ward, groups, counter1
):
    CounterHours.objects.create(counter=counter1, group=groups["A"], starts=T(8), ends=T(9))
    kept = CounterHours.objects.create(counter=counter1, group=groups["B"], starts=T(8), ends=T(9))
    response = admin_client.post(
        reverse("queueing_setup:counter_update", args=[counter1.pk]),
        {"number": "7", "name": "Quầy bảy", "groups": [groups["B"].pk, groups["D"].pk]},
    )
    assert response.status_code == 302
    counter1.refresh_from_db()
    assert (counter1.number, counter1.name) == (7, "Quầy bảy")
    assert set(counter1.groups.values_list("letter", flat=True)) == {"B", "D"}
    assert list(CounterHours.objects.filter(counter=counter1).values_list("pk", flat=True)) == [kept.pk]
    # another counter's number is refused
    make_counter(ward, 2, "C")
    response = admin_client.post(
        reverse("queueing_setup:counter_update", args=[counter1.pk]), {"number": "2", "groups": []}
    )
    assert response.status_code == 409 and "Quầy số 2 đã có" in response.content.decode()
    counter1.refresh_from_db()
    assert counter1.number == 7 and counter1.groups.count() == 2


def test_free_and_pause_a_counter(admin_client, ward, staff, groups, counter1, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    page = admin_client.get(reverse("queueing_setup:counters")).content.decode()
    assert staff["counter"].display_name in page and "Giải phóng quầy" in page
    # seated: not paused
    response = admin_client.post(
        reverse("queueing_setup:counter_set_active", args=[counter1.pk]), {"active": "0"}
    )
    assert response.status_code == 409 and "giải phóng quầy trước" in response.content.decode()
    counter1.refresh_from_db()
    assert counter1.active and counter1.officer_id == staff["counter"].pk
    # freed, then paused and opened again
    assert admin_client.post(reverse("queueing_setup:counter_free", args=[counter1.pk])).status_code == 302
    counter1.refresh_from_db()
    assert counter1.officer_id is None
    assert "counter_free" in caplog.text and "was motcua" in caplog.text
    # freeing a free counter: a Vietnamese message
    response = admin_client.post(reverse("queueing_setup:counter_free", args=[counter1.pk]))
    assert response.status_code == 409 and "đang trống" in response.content.decode()
    admin_client.post(reverse("queueing_setup:counter_set_active", args=[counter1.pk]), {"active": "0"})
    counter1.refresh_from_db()
    assert not counter1.active
    admin_client.post(reverse("queueing_setup:counter_set_active", args=[counter1.pk]), {"active": "1"})
    counter1.refresh_from_db()
    assert counter1.active


# ----------------------------------------------------------------------------- kiosks


def test_kiosk_token_is_shown_once_and_revoked(admin_client, ward, staff, caplog):
    caplog.set_level(logging.INFO, logger="motcua.audit")
    response = admin_client.post(reverse("queueing_setup:kiosks"), {"name": "Máy cửa chính"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = response.context["token"]
    assert token in response.content.decode()
    device = kiosk_by_token(token)
    assert (device.commune_id, device.name, device.created_by_id) == (
        ward.pk,
        "Máy cửa chính",
        staff["admin"].pk,
    )
    assert KioskDevice.objects.get().token_sha256 != token
    page = admin_client.get(reverse("queueing_setup:kiosks"))
    assert token not in page.content.decode() and "Máy cửa chính" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "kiosk_create by quantri" in caplog.text and token not in caplog.text

    assert admin_client.post(reverse("queueing_setup:kiosk_revoke", args=[device.pk])).status_code == 302
    device.refresh_from_db()
    assert device.revoked_at == NOW
    assert "Đã thu hồi" in admin_client.get(reverse("queueing_setup:kiosks")).content.decode()


def test_bad_kiosk_name_is_refused(admin_client, ward):
    for name, message in (("M\x00áy", "có ký tự không hợp lệ"), ("m" * 101, "dài quá 100 ký tự")):
        response = admin_client.post(reverse("queueing_setup:kiosks"), {"name": name})
        assert response.status_code == 422 and message in response.content.decode()
    assert not KioskDevice.objects.exists()


def test_get_is_the_only_read_and_changes_need_post(admin_client, ward, groups, counter1):
    for name, args in (
        ("queueing_setup:group_update", [groups["A"].pk]),
        ("queueing_setup:group_set_active", [groups["A"].pk]),
        ("queueing_setup:counter_update", [counter1.pk]),
        ("queueing_setup:counter_free", [counter1.pk]),
        ("queueing_setup:kiosk_revoke", [1]),
    ):
        assert admin_client.get(reverse(name, args=args)).status_code == 405


def test_admin_subnav_links_the_queue_setup(admin_client):
    page = admin_client.get(reverse("org:admin_home")).content.decode()
    assert reverse("queueing_setup:groups") in page


def test_an_admin_without_a_commune_is_refused(client, db):
    person = make_user(None, Role.ADMIN, "quantri_khong_xa")
    client.force_login(person)
    assert client.get(reverse("queueing_setup:groups")).status_code == 403


def test_the_audit_lines_are_written_by_default():
    # The root logger is at WARNING: without its own level, the audit lines would be dropped.
    assert logging.getLogger("motcua.audit").isEnabledFor(logging.INFO)
