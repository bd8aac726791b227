"""The hall's TV board: its state on a scripted morning (counters, last calls, waiting per group),
in three queries; public, numbers and counters only; an unknown center is a Vietnamese 404."""

import datetime as dt
import json
import re

import pytest
import segno
from django.core.management import call_command
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role, User
from motcua.queueing.board import LAST_CALLS, board_state
from motcua.queueing.models import Counter, Ticket, TicketEvent
from motcua.queueing.services import (
    counter_call_next,
    ticket_finish,
    ticket_issue,
    ticket_recall,
    ticket_start,
)
from motcua.queueing.voice import CLIPS
from motcua.testing import make_counter, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def call(actor: User, counter: Counter, now: dt.datetime) -> Ticket:
    t = counter_call_next(actor=actor, counter=counter, now=now)
    assert t is not None
    return t


@pytest.fixture
def morning(ward, groups, staff, counter1, counter2, officer2, other_ward):
    """08:00–08:30 at Thanh Khê: quầy 1 (A, B) serves A001 after a recall, then calls B001;
    quầy 2 (C) calls C001; quầy 3 (D) is open with nobody called; quầy 4 is closed (inactive);
    yesterday's calls and another ward's calls never show."""
    make_counter(ward, 3, "D", officer=make_user(ward, Role.COUNTER_OFFICER, "motcua3"))
    closed = make_counter(ward, 4, "A")
    closed.active = False
    closed.save()
    yesterday = NOW - dt.timedelta(days=1)
    old = ticket_issue(commune=ward, group_letter="A", priority=False, now=yesterday)
    assert counter_call_next(actor=staff["counter"], counter=counter1, now=yesterday) == old
    ticket_finish(actor=staff["counter"], counter=counter1, ticket=old, now=yesterday)
    tickets = {}
    for i, letter in enumerate(["A", "A", "B", "C", "C", "C", "D"]):
        t = ticket_issue(commune=ward, group_letter=letter, priority=False, now=at(i))
        tickets[t.number] = t
    assert call(staff["counter"], counter1, at(10)).number == "A001"
    ticket_recall(actor=staff["counter"], counter=counter1, ticket=tickets["A001"], now=at(11))
    ticket_start(actor=staff["counter"], counter=counter1, ticket=tickets["A001"], now=at(12))
    ticket_finish(actor=staff["counter"], counter=counter1, ticket=tickets["A001"], now=at(20))
    assert call(staff["counter"], counter1, at(21)).number == "A002"
    assert call(officer2, counter2, at(25)).number == "C001"
    ticket_start(actor=officer2, counter=counter2, ticket=tickets["C001"], now=at(26))
    return tickets


def test_the_state_of_a_scripted_morning(ward, morning, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        state = board_state(commune=ward, day=NOW.date())
    rows = [(c.number, c.open, c.ticket, c.state) for c in state.counters]
    assert rows == [
        (1, True, "A002", "CALLED"),
        (2, True, "C001", "SERVING"),
        (3, True, None, None),
    ], "quầy 4 is inactive; quầy 3 has an officer and nobody called"
    calls = [(c.number, c.counter, c.recall) for c in state.calls]
    assert calls == [("C001", 2, False), ("A002", 1, False), ("A001", 1, True), ("A001", 1, False)]
    assert state.last_event == state.calls[0].event
    assert [(g.letter, g.waiting) for g in state.groups] == [("A", 0), ("B", 1), ("C", 2), ("D", 1)]


def test_the_last_calls_are_the_newest_few(ward, groups, staff, counter1):
    for i in range(LAST_CALLS + 3):
        ticket_issue(commune=ward, group_letter="A", priority=False, now=at(i))
    for i in range(LAST_CALLS + 3):
        t = call(staff["counter"], counter1, at(10 + i))
        ticket_finish(actor=staff["counter"], counter=counter1, ticket=t, now=at(10 + i))
    state = board_state(commune=ward, day=NOW.date())
    assert [c.number for c in state.calls] == [f"A{n:03d}" for n in range(LAST_CALLS + 3, 3, -1)]
    assert state.counters[0].ticket is None, "a finished ticket leaves the counter"


def test_the_board_page(client, ward, morning, settings):
    settings.MOTCUA_PUBLIC_URL = "https://motcua.danang.gov.vn"
    resp = client.get(reverse("queueing:board", args=[ward.code]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "no-cache" in resp["Cache-Control"] or "max-age=0" in resp["Cache-Control"]
    assert "<title>Bảng gọi số · Phường Thanh Khê</title>" in html and '<html lang="vi">' in html
    assert 'id="board-counter-1"' in html and 'data-testid="serving-1">A002<' in html
    assert 'data-testid="serving-2">C001<' in html and "Tạm nghỉ" not in html
    assert 'id="board-counter-4"' not in html
    assert 'data-testid="waiting-C">2<' in html and "Hộ tịch" in html
    assert f'data-events-url="/api/queue/centers/{ward.code}/events"' in html
    assert f'data-state-url="/lay-so/{ward.code}/bang/trang-thai/"' in html
    # The QR code takes a number: segno's SVG of the public URL of /lay-so/<code>/.
    take = f"https://motcua.danang.gov.vn/lay-so/{ward.code}/"
    assert take in html
    path = re.search(
        r'<path[^>]* d="([^"]+)"', segno.make(take, error="m").svg_inline(scale=4, omitsize=True)
    )
    assert path and path.group(1) in html
    # No inline script (CSP): board.js, and the clips as JSON data.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script src="/static/queueing/board.js" defer>',
        '<script id="board-clips" type="application/json">',
    ]
    data = re.search(r'<script id="board-clips" type="application/json">(.*?)</script>', html, re.S)
    assert data
    config = json.loads(data.group(1))
    assert config["words"] == CLIPS
    assert config["urls"]["chu-b"] == "/static/queueing/voice/chu-b.ogg"
    assert config["urls"]["chuong"] == "/static/queueing/voice/chuong.ogg"
    assert set(config["urls"]) == {*CLIPS, "chuong"}
    assert "Bật âm thanh" in html


def test_the_state_fragment(client, ward, morning):
    resp = client.get(reverse("queueing:board_state", args=[ward.code]))
    html = resp.content.decode()
    assert resp.status_code == 200 and "no-cache" in resp["Cache-Control"]
    assert 'id="board-state"' in html
    assert "<html" not in html and "<script" not in html
    last = TicketEvent.objects.filter(kind="CALLED").latest("at")
    assert f'data-last-event="{last.pk}"' in html
    calls = re.findall(
        r'<li data-event="(\d+)" data-number="(\w+)" data-counter="(\d*)"( data-recall="1")?', html
    )
    assert [(n, c, bool(r)) for _, n, c, r in calls] == [
        ("C001", "2", False), ("A002", "1", False), ("A001", "1", True), ("A001", "1", False)
    ]  # fmt: skip
    assert 'data-testid="waiting-B">1<' in html


def test_a_quiet_morning(client, ward, groups):
    html = client.get(reverse("queueing:board", args=[ward.code])).content.decode()
    assert "Chưa có quầy nào mở." in html and "Chưa gọi số nào hôm nay." in html
    assert 'data-last-event="0"' in html


def test_no_personal_data_on_the_board(client, ward, groups, staff, counter1):
    """The TV shows numbers and counters: not the officer, not a phone, not a ticket's secret."""
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW, holder="f" * 64)
    counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
    for name in ("queueing:board", "queueing:board_state"):
        html = client.get(reverse(name, args=[ward.code])).content.decode()
        assert "A001" in html
        for secret in (t.secret, "f" * 64, staff["counter"].full_name, staff["counter"].username):
            assert secret not in html, (name, secret)


@pytest.mark.parametrize("code", ["99999", "abc", "2020\x009", "1" * 30, "-1"])
def test_an_unknown_center_is_a_vietnamese_404(client, ward, code):
    for name in ("queueing:board", "queueing:board_state"):
        resp = client.get(reverse(name, args=[code]))
        assert resp.status_code == 404
        assert "Không tìm thấy trung tâm này" in resp.content.decode()


def test_the_board_is_read_only(client, ward, groups):
    for name in ("queueing:board", "queueing:board_state"):
        assert client.post(reverse(name, args=[ward.code])).status_code == 405


def test_another_wards_board_shows_only_its_own(client, ward, morning, other_ward):
    html = client.get(reverse("queueing:board", args=[other_ward.code])).content.decode()
    assert "Phường An Khê" in html and "A002" not in html and "C001" not in html
    assert "Chưa có quầy nào mở." in html


def test_in_production_the_board_hands_the_hashed_clip_names(client, ward, groups, settings, tmp_path):
    """Production serves collected files under hashed names (CompressedManifestStaticFilesStorage):
    board.js gets each clip's real address from the page, never builds it."""

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    html = client.get(reverse("queueing:board", args=[ward.code])).content.decode()
    data = re.search(r'<script id="board-clips" type="application/json">(.*?)</script>', html, re.S)
    assert data
    urls = json.loads(data.group(1))["urls"]
    assert re.fullmatch(r"/static/queueing/voice/chu-b\.[0-9a-f]{12}\.ogg", urls["chu-b"])
    for url in urls.values():
        assert (tmp_path / "static" / url.removeprefix("/static/")).is_file(), url
    assert re.search(r'src="/static/queueing/board\.[0-9a-f]{12}\.js"', html)
