"""The counter's search (full code, phone, name or CCCD, without diacritics, over all time) and
the list of dossiers waiting for supplementation."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.dossiers.selectors import dossier_search, supplement_waiting_for
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=VN)


def receive(staff, procedure, *, name="Trần Văn Bình", phone="0905111222", cccd="048090001111",
            when=NOW, outcome="receive", missing=()):  # fmt: skip
    return dossier_intake(
        actor=staff["counter"],
        procedure=procedure,
        applicant=Applicant(name=name, phone=phone, citizen_id=cccd),
        form_data={},
        checklist_ticked=[i.id for i in procedure.checklist.all()],
        outcome=outcome,
        missing_items=missing,
        now=when,
    )


@pytest.fixture
def old_overdue(staff, land):
    """Received 90 days ago, transferred, never finished: open and overdue."""
    d = receive(staff, land, name="Nguyễn Thị Đào", phone="0912345678", cccd="048185004321",
                when=NOW - dt.timedelta(days=90))  # fmt: skip
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=NOW - dt.timedelta(days=89)
    )
    assert d.is_overdue(NOW)
    return d


def test_the_book_search_finds_an_open_overdue_dossier_received_long_ago_by_its_exact_code(
    client, staff, old_overdue
):
    """Today's only search (the tracking book) hides everything older than 30 days."""
    client.force_login(staff["counter"])
    with clock.pinned(NOW):
        body = client.get(reverse("dossiers:book"), {"q": old_overdue.code}).content.decode()
    assert old_overdue.code in body and "Nguyễn Thị Đào" in body


def test_counter_search_finds_an_open_overdue_dossier_by_its_exact_code(client, staff, old_overdue):
    client.force_login(staff["counter"])
    with clock.pinned(NOW):
        resp = client.get(reverse("dossiers:search"), {"q": old_overdue.code})
    body = resp.content.decode()
    assert resp.status_code == 200
    assert old_overdue.code in body and "Nguyễn Thị Đào" in body
    assert "Quá hạn" in body


@pytest.mark.parametrize(
    "query",
    ["nguyen thi dao", "NGUYEN THI DAO", "thi đào", "Nguyễn  Thị  Đào", "dao nguyen", "0912345678",
     "0912 345 678", "+84912345678", "048185004321"],
)  # fmt: skip
def test_search_by_phone_name_or_cccd_ignores_diacritics_and_case(staff, land, old_overdue, query):
    receive(staff, land, name="Lê Văn Tám", phone="0905000111", cccd="048090009999")
    found = list(dossier_search(user=staff["counter"], query=query))
    assert found == [old_overdue]


def test_search_is_scoped_to_the_commune_of_the_acting_user(staff, land, old_overdue):
    other = make_commune(code=20194, name="Phường Hải Châu", agency="H48.20194")
    outsiders = make_staff(other, prefix="hc_")
    assert list(dossier_search(user=outsiders["counter"], query=old_overdue.code)) == []
    assert list(dossier_search(user=outsiders["leader"], query="nguyen thi dao")) == []


def test_search_shows_only_the_last_two_digits_of_phone_and_cccd(client, staff, old_overdue):
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:search"), {"q": "nguyen thi dao"}).content.decode()
    assert "0912345678" not in body and "048185004321" not in body
    assert "********78" in body and "**********21" in body


def test_search_results_are_paginated(client, staff, birth):
    for i in range(30):
        receive(staff, birth, name=f"Phạm Văn Số {i}", phone=f"09050001{i:02d}", cccd="")
    client.force_login(staff["counter"])
    first = client.get(reverse("dossiers:search"), {"q": "pham van so"})
    assert len(first.context["page"].object_list) == 25 and first.context["page"].has_next()
    body = first.content.decode()
    assert "trang=2" in body and "q=pham%20van%20so" in body
    second = client.get(reverse("dossiers:search"), {"q": "pham van so", "trang": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("query", ["a" * 101, "\x00", "abc\x00def" * 20])
def test_a_nul_byte_or_an_over_long_query_gets_a_message_not_a_500(client, staff, query):
    client.force_login(staff["counter"])
    resp = client.get(reverse("dossiers:search"), {"q": query})
    assert resp.status_code in {200, 422}
    if len(query) > 100:
        assert resp.status_code == 422 and "quá dài" in resp.content.decode()


def test_an_empty_query_lists_nothing(staff, old_overdue):
    assert list(dossier_search(user=staff["counter"], query="   ")) == []


def test_supplementation_list_shows_dossiers_waiting_for_the_resident(client, staff, land, birth):
    waiting = receive(staff, land, outcome="supplement", missing=["Giấy tờ về quyền sử dụng đất"])
    receive(staff, birth)
    other = make_commune(code=20194, name="Phường Hải Châu", agency="H48.20194")
    outsiders = make_staff(other, prefix="hc_")
    assert list(supplement_waiting_for(user=staff["counter"])) == [waiting]
    assert list(supplement_waiting_for(user=outsiders["counter"])) == []
    client.force_login(staff["counter"])
    counter = client.get(reverse("dossiers:counter")).content.decode()
    assert reverse("dossiers:supplements") in counter
    body = client.get(reverse("dossiers:supplements")).content.decode()
    assert "Giấy tờ về quyền sử dụng đất" in body and "Trần Văn Bình" in body
    assert reverse("dossiers:detail", args=[waiting.pk]) in body
    assert Dossier.objects.get(pk=waiting.pk).state == State.SUPPLEMENT_REQUESTED


def test_counter_screen_links_to_the_search(client, staff):
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:counter")).content.decode()
    assert f'action="{reverse("dossiers:search")}"' in body
