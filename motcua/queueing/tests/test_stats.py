"""The leader's queue statistics (issue 8 §8): /lay-so/thong-ke/ and its workbook."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.services import (
    counter_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_start,
)
from motcua.queueing.stats import day_stats
from motcua.testing import make_counter, make_service_groups, make_staff, make_user

from .conftest import NOW

URL = "/lay-so/thong-ke/"
M = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _clock():
    with clock.pinned(NOW + 3 * dt.timedelta(hours=1)):
        yield


@pytest.fixture
def day(ward, groups, staff):
    """08:00 A001, A002, C001 and 08:05 A003; quầy 1 serves A001 (call 08:10, finish 08:16),
    calls A002 at 08:16, no-show at 08:20; A003 and C001 still wait."""
    officer = staff["counter"]
    counter = make_counter(ward, 1, "A", officer=officer)
    a1, a2 = (ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW) for _ in range(2))
    ticket_issue(commune=ward, group_letter="C", priority=False, now=NOW)
    ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW + 5 * M)
    t = counter_call_next(actor=officer, counter=counter, now=NOW + 10 * M)
    assert t is not None and t.pk == a1.pk
    ticket_start(actor=officer, counter=counter, ticket=t, now=NOW + 11 * M)
    ticket_finish(actor=officer, counter=counter, ticket=t, now=NOW + 16 * M)
    t = counter_call_next(actor=officer, counter=counter, now=NOW + 16 * M)
    assert t is not None and t.pk == a2.pk
    ticket_no_show(actor=officer, counter=counter, ticket=t, now=NOW + 20 * M)
    return counter


def test_the_days_figures_per_group_counter_and_hour(ward, day):
    s = day_stats(commune=ward, day=NOW.date())
    a = next(g for g in s.groups if g.letter == "A")
    assert (a.issued, a.served, a.no_show, a.left, a.waiting) == (3, 1, 1, 0, 1)
    assert a.wait_mean == 13 * 60  # A001 10 min, A002 16 min
    assert a.wait_p90 == 16 * 60 and a.service_mean == 6 * 60
    assert (a.wait_mean_min, a.service_mean_min) == ("13,0", "6,0")
    c = next(g for g in s.groups if g.letter == "C")
    assert (c.issued, c.waiting, c.wait_mean) == (1, 1, None)
    assert s.total.issued == 4 and s.total.served == 1
    assert [(r.number, r.served, r.service_mean) for r in s.counters] == [(1, 1, 360.0)]
    assert s.per_hour == {8: 4}
    bars = {b.hour: b for b in s.bars()}
    assert bars[8].height == 180 and bars[9].height == 0 and 7 in bars and 16 in bars


@pytest.mark.parametrize("role", [Role.COMMUNE_LEADER, Role.COUNTER_OFFICER, Role.ADMIN])
def test_the_page_for_the_communes_staff(client, ward, day, role):
    client.force_login(make_user(ward, role, f"u-{role.lower()}"))
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Thống kê xếp hàng — Phường Thanh Khê" in html and "<svg" in html
    assert 'data-testid="issued">4<' in html and "13,0" in html and "Quầy 1" in html
    assert "8 giờ: 4 số" in html  # the chart's text alternative
    assert reverse("queueing:stats") in html  # in the staff navigation


def test_another_day_and_a_bad_day(client, ward, day, staff):
    client.force_login(staff["leader"])
    empty = client.get(URL, {"ngay": "2026-02-09"})
    assert empty.status_code == 200 and 'data-testid="issued">0<' in empty.content.decode()
    for bad in ("2026-02-30", "10/02/2026", "2026-02-10\x00", "x" * 5000, "1999-01-01", "3000-01-01"):
        resp = client.get(URL, {"ngay": bad})
        assert resp.status_code == 422, bad
        assert "Ngày" in resp.content.decode()


def test_other_communes_and_residents_are_refused(client, ward, day, other_ward):
    outsider = make_staff(other_ward, prefix="ak")
    make_service_groups(other_ward)
    client.force_login(outsider["leader"])
    assert client.get(URL, {"xa": ward.pk}).status_code == 404
    own = client.get(URL)
    assert own.status_code == 200 and "Phường An Khê" in own.content.decode()
    assert 'data-testid="issued">0<' in own.content.decode()
    for value in ("abc", "\x00", "9" * 30):
        assert client.get(URL, {"xa": value}).status_code == 404
    client.force_login(make_user(ward, Role.SPECIALIST, "chuyenvien"))
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_a_province_officer_picks_a_commune_of_the_province(client, ward, day, other_ward):
    client.force_login(make_user(None, Role.PROVINCE_OFFICER, "tinh"))
    from motcua.org.models import User

    User.objects.filter(username="tinh").update(province_id=ward.province_id)
    html = client.get(URL, {"xa": ward.pk}).content.decode()
    assert 'data-testid="issued">4<' in html and 'name="xa"' in html


def test_the_workbook_is_text_and_numbers(client, ward, day, staff):
    ward.name = "=HYPERLINK(1)"  # the commune's name reaches the sheet: it stays text
    ward.save(update_fields=["name"])
    client.force_login(staff["leader"])
    resp = client.get(URL, {"xuat": "xlsx", "ngay": "2026-02-10"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    rows = list(wb["Theo nhóm"].iter_rows(values_only=True))
    assert rows[0][0].startswith("Thống kê xếp hàng — =HYPERLINK(1)")
    assert wb["Theo nhóm"]["A1"].data_type == "s"
    a = next(r for r in rows if r[0] == "A")
    assert a[2:7] == (3, 1, 1, 0, 1) and a[7] == "13,0"
    assert list(wb["Theo quầy"].iter_rows(values_only=True))[1] == (1, 1, "6,0")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)
