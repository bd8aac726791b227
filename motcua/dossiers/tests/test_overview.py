"""The leader's ward-wide view at /ho-so/tong-quan/: overdue and soon-due dossiers, the
backlog per department and per officer, this month's on-time rate."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.dossiers.selectors import overview_for
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.geo.models import Commune, Province
from motcua.org.models import Role, User
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=VN)  # a Monday


def received(staff, procedure, name, *, when=NOW - dt.timedelta(days=1)):
    return dossier_intake(
        actor=staff["counter"], procedure=procedure, applicant=Applicant(name=name, phone="0905111222"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=when,
    )  # fmt: skip


def in_department(staff, procedure, name, *, due, assignee=None):
    d = received(staff, procedure, name)
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=NOW - dt.timedelta(hours=20)
    )
    if assignee is not None:
        d = dossier_apply(dossier=d, action=Action.ASSIGN, actor=staff["head_econ"],
                          data={"assignee_id": assignee.pk}, now=NOW - dt.timedelta(hours=19))  # fmt: skip
    Dossier.objects.filter(pk=d.pk).update(due_at=due)
    return Dossier.objects.get(pk=d.pk)


def finished(staff, procedure, name, *, due, at, state=State.RETURNED):
    d = received(staff, procedure, name)
    Dossier.objects.filter(pk=d.pk).update(state=state, due_at=due, finished_at=at)
    return d


@pytest.fixture
def ward_data(staff, land, birth):
    spec = staff["specialist_econ"]
    return {
        "overdue": in_department(staff, land, "Quá Hạn Một", due=NOW - dt.timedelta(days=3), assignee=spec),
        # Due tomorrow (Tuesday) and on Wednesday: within 2 working days of Monday.
        "soon": in_department(staff, land, "Sắp Hạn Hai", due=NOW + dt.timedelta(days=1)),
        "soon_wed": in_department(staff, land, "Sắp Hạn Ba", due=NOW + dt.timedelta(days=2, hours=6)),
        # Due on Friday: not soon.
        "later": in_department(staff, land, "Còn Lâu Bốn", due=NOW + dt.timedelta(days=4), assignee=spec),
        # At the desk, received but not transferred, overdue.
        "desk_late": Dossier.objects.filter(pk=received(staff, land, "Ở Quầy Năm").pk).update(
            due_at=NOW - dt.timedelta(hours=1)
        ),
        # This month: two on time (one early), one late; last month's and a refusal do not count.
        "early": finished(staff, birth, "Sớm", due=NOW, at=NOW - dt.timedelta(days=5)),
        "on_time": finished(
            staff, birth, "Đúng", due=NOW, at=NOW - dt.timedelta(hours=1), state=State.RESULT_READY
        ),
        "late": finished(staff, birth, "Trễ", due=NOW - dt.timedelta(days=2), at=NOW - dt.timedelta(days=1)),
        "last_month": finished(
            staff, birth, "Tháng Trước", due=NOW - dt.timedelta(days=30), at=NOW - dt.timedelta(days=20)
        ),
        "refused": finished(
            staff,
            birth,
            "Từ Chối",
            due=NOW - dt.timedelta(days=2),
            at=NOW - dt.timedelta(days=1),
            state=State.REFUSED,
        ),
    }


def test_overview_lists_overdue_and_soon_due_and_counts_the_backlog(staff, ward_data):
    o = overview_for(user=staff["leader"], now=NOW)
    assert [d.applicant_name for d in o.overdue] == ["Quá Hạn Một", "Ở Quầy Năm"]
    assert [d.applicant_name for d in o.soon] == ["Sắp Hạn Hai", "Sắp Hạn Ba"]
    assert o.soon_until == dt.datetime(2026, 6, 17, 17, 0, tzinfo=VN)
    departments = {r.name: (r.total, r.overdue) for r in o.by_department}
    assert departments == {
        "Phòng Kinh tế, Hạ tầng và Đô thị": (4, 1),
        "Bộ phận Một cửa (chưa chuyển phòng)": (1, 1),
    }
    officers = {r.name: (r.total, r.overdue) for r in o.by_officer}
    assert officers == {staff["specialist_econ"].display_name: (2, 1)}
    assert (o.finished, o.finished_on_time, o.on_time_percent) == (3, 2, 66.7)


def test_overdue_is_computed_at_the_moment_asked(staff, ward_data):
    earlier = overview_for(user=staff["leader"], now=NOW - dt.timedelta(days=4))
    assert "Quá Hạn Một" not in [d.applicant_name for d in earlier.overdue]


def test_overview_page_for_the_leader_and_the_department_head(client, staff, ward_data):
    for role in ("leader", "head_econ"):
        client.force_login(staff[role])
        with clock.pinned(NOW):
            resp = client.get(reverse("dossiers:overview"))
        body = resp.content.decode()
        assert resp.status_code == 200
        assert "Quá Hạn Một" in body and "Sắp Hạn Hai" in body and "Còn Lâu Bốn" not in body
        assert "66,7 %" in body or "66.7 %" in body
        assert 'data-testid="overdue-count">2<' in body


@pytest.mark.parametrize("role", ["counter", "specialist_econ", "specialist_office", "admin"])
def test_other_roles_are_refused(client, staff, role):
    client.force_login(staff[role])
    assert client.get(reverse("dossiers:overview")).status_code == 403


def test_another_communes_leader_sees_only_their_own_commune(client, staff, ward_data):
    other = make_commune(code=20194, name="Phường Hải Châu", agency="H48.20194")
    outsiders = make_staff(other, prefix="hc_")
    client.force_login(outsiders["leader"])
    with clock.pinned(NOW):
        body = client.get(reverse("dossiers:overview")).content.decode()
        forced = client.get(reverse("dossiers:overview"), {"xa": staff["leader"].commune_id})
    assert "Quá Hạn Một" not in body and "Phường Hải Châu" in body
    assert "Quá Hạn Một" not in forced.content.decode()


def province_officer(province, username="tinh"):
    return User.objects.create_user(username=username, password="matkhau-thu-nghiem", full_name="Cán bộ tỉnh",
                                    role=Role.PROVINCE_OFFICER, province=province)  # fmt: skip


def test_a_province_officer_picks_a_commune_of_their_province(client, staff, ward_data):
    ward = staff["leader"].commune
    make_commune(code=20194, name="Phường Hải Châu", agency="H48.20194")
    client.force_login(province_officer(ward.province))
    with clock.pinned(NOW):
        first = client.get(reverse("dossiers:overview")).content.decode()
        picked = client.get(reverse("dossiers:overview"), {"xa": ward.code}).content.decode()
        bad = client.get(reverse("dossiers:overview"), {"xa": "abc"})
        huge = client.get(reverse("dossiers:overview"), {"xa": "9" * 30})
        nul = client.get(reverse("dossiers:overview"), {"xa": "202\x0009"})
        arabic_digits = client.get(reverse("dossiers:overview"), {"xa": "٢٠٢٠٩"})
    assert 'name="xa"' in first and "Phường Thanh Khê" in first
    # Default: where the work is (Thanh Khê has the open dossiers), not the first name (Hải Châu).
    assert "Tổng quan hồ sơ — Phường Thanh Khê" in first and "Quá Hạn Một" in first
    assert "Tổng quan hồ sơ — Phường Thanh Khê" in picked and "Quá Hạn Một" in picked
    assert bad.status_code == huge.status_code == nul.status_code == arabic_digits.status_code == 404


def test_a_province_officer_cannot_read_another_provinces_commune(client, staff, ward_data):
    hue, _ = Province.objects.get_or_create(code=46, defaults={"name": "Thành phố Huế", "codename": "hue"})
    client.force_login(province_officer(hue, "hue"))
    resp = client.get(reverse("dossiers:overview"), {"xa": staff["leader"].commune_id})
    assert resp.status_code == 404 and "Quá Hạn Một" not in resp.content.decode()
    assert not Commune.objects.filter(province=hue).exists()
    assert client.get(reverse("dossiers:overview")).status_code == 404


def test_staff_navigation_links_the_overview_for_leaders_and_heads_only(client, staff):
    client.force_login(staff["leader"])
    assert reverse("dossiers:overview") in client.get(reverse("dossiers:inbox")).content.decode()
    client.force_login(staff["head_econ"])
    assert reverse("dossiers:overview") in client.get(reverse("dossiers:inbox")).content.decode()
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:inbox")).content.decode()
    assert reverse("dossiers:overview") not in body
    assert reverse("dossiers:search") in body and reverse("dossiers:supplements") in body


def test_the_tracking_books_back_link_goes_home(client, staff):
    client.force_login(staff["admin"])
    body = client.get(reverse("dossiers:book")).content.decode()
    assert f'href="{reverse("core:home")}"' in body
    assert f'<a href="{reverse("dossiers:book")}">←' not in body


def test_a_dossier_waiting_for_the_fee_since_before_its_deadline_is_not_overdue(staff, land):
    """The clock stops while the resident pays (the deadline moves on when the fee is paid):
    such a dossier is not in the overview's overdue list, its department's late count or the
    inbox's late-first order; one that was already late when it started waiting still is."""
    waiting = in_department(staff, land, "Chờ Phí Đúng Hạn", due=NOW - dt.timedelta(days=1))
    late_then = in_department(staff, land, "Chờ Phí Đã Trễ", due=NOW - dt.timedelta(days=3))
    Dossier.objects.filter(pk=waiting.pk).update(
        state=State.PENDING_FEE, paused_at=NOW - dt.timedelta(days=2)
    )
    Dossier.objects.filter(pk=late_then.pk).update(
        state=State.PENDING_FEE, paused_at=NOW - dt.timedelta(days=2)
    )
    o = overview_for(user=staff["leader"], now=NOW)
    assert [d.applicant_name for d in o.overdue] == ["Chờ Phí Đã Trễ"]
    assert o.overdue_count == 1
    assert {r.name: (r.total, r.overdue) for r in o.by_department} == {
        "Phòng Kinh tế, Hạ tầng và Đô thị": (2, 1)
    }
    assert not Dossier.objects.get(pk=waiting.pk).is_overdue(NOW)
    assert Dossier.objects.get(pk=late_then.pk).is_overdue(NOW)


def test_the_counters_inbox_puts_first_only_what_is_overdue(staff, land):
    """A result ready on time and a dossier waiting for the resident's supplement are past their
    deadline but not late (the work is done; the clock is stopped): not ranked before the open
    overdue dossier, as `is_overdue` shows them."""
    from motcua.dossiers.selectors import inbox_for

    done = received(staff, land, "Đã Xong Đúng Hạn")
    Dossier.objects.filter(pk=done.pk).update(
        state=State.RESULT_READY, due_at=NOW - dt.timedelta(days=2), finished_at=NOW - dt.timedelta(days=3)
    )
    waiting = received(staff, land, "Chờ Bổ Sung")
    Dossier.objects.filter(pk=waiting.pk).update(
        state=State.SUPPLEMENT_REQUESTED, due_at=NOW - dt.timedelta(days=1)
    )
    late = received(staff, land, "Ở Quầy Trễ")
    Dossier.objects.filter(pk=late.pk).update(due_at=NOW - dt.timedelta(hours=1))
    rows = list(inbox_for(user=staff["counter"], now=NOW))
    assert rows[0].applicant_name == "Ở Quầy Trễ"
    assert [d.late for d in rows if d.applicant_name != "Ở Quầy Trễ"] == [1, 1]
    assert [d.is_overdue(NOW) for d in rows] == [True, False, False]
