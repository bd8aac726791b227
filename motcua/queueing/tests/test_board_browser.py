"""The hall's TV board in Chromium: 1920×1080 and 1366×768 with no axe-core violation; a call made
by the service reaches the board through the event stream (the ASGI stack of `motcua serve`)
within 2 s, flashes, and is spoken with the shipped clips — or with the browser's Vietnamese voice
when it has one; without EventSource the board re-reads its state every 15 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.services import counter_call_next, ticket_finish, ticket_issue, ticket_recall
from motcua.queueing.voice import call_clips, call_sentence
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

# A browser with no Vietnamese voice (Chromium here has none; this makes it certain).
NO_SPEECH = "Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});"
# What the page plays, in order (a clip heard twice is served from the browser's cache the
# second time, with no request to see).
RECORD_PLAYS = """
window.__played = [];
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (this.volume > 0) window.__played.push(this.src.split('/').pop().replace('.ogg', ''));
  return realPlay.call(this);
};
"""
# A browser with a Vietnamese voice: the fake records what it is asked to say.
FAKE_VI_VOICE = """
window.__spoken = [];
const viVoice = {lang: 'vi-VN', name: 'Tiếng Việt', default: false, localService: true, voiceURI: 'vi'};
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  getVoices: () => [viVoice],
  addEventListener: () => {},
  speak: (u) => { window.__spoken.push({text: u.text, lang: u.lang}); setTimeout(() => u.onend && u.onend(), 50); },
  cancel: () => {},
}});
"""


def _hall():
    ward = make_commune()
    make_service_groups(ward)
    officer = make_user(ward, Role.COUNTER_OFFICER, "motcua")
    counters = [make_counter(ward, 1, "AB", officer=officer), make_counter(ward, 2, "C")]
    for i in range(3, 8):
        make_counter(ward, i, "ABCD")
    now = clock.now()
    for letter in "AABBBCD":
        ticket_issue(commune=ward, group_letter=letter, priority=False, now=now)
    return ward, officer, counters


def _clip_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            seen.append(r.url.rsplit("/", 1)[-1].removesuffix(".ogg"))
            if "/queueing/voice/" in r.url
            else None
        ),
    )
    return seen


def _sound_on(page: Any) -> None:
    button = page.get_by_role("button", name="Bật âm thanh")
    # The autoplay probe settles: sound on (a kiosk's flag) or the button shown.
    page.wait_for_function(
        "() => window.motcuaBoard && (motcuaBoard.status().soundOn || !document.getElementById('board-sound').hidden)"
    )
    if button.is_visible():
        button.click()
    expect(button).to_be_hidden()
    assert page.evaluate("() => motcuaBoard.status().soundOn")


def test_a_call_reaches_the_board_and_is_spoken_with_the_clips(asgi_live_server, page, axe_scan, axe_report):
    ward, officer, counters = _hall()
    page.add_init_script(NO_SPEECH + RECORD_PLAYS)
    page.set_viewport_size({"width": 1920, "height": 1080})
    clips = _clip_requests(page)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{asgi_live_server.url}/lay-so/{ward.code}/bang/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Phường Thanh Khê")
    expect(page.get_by_test_id("waiting-B")).to_have_text("3")
    _sound_on(page)
    page.wait_for_function("() => motcuaBoard.status().streaming")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    # The sequence board.js plays is the one of voice.py.
    for number, counter in (("B012", 3), ("Z999", 30), ("A001", 31)):
        assert page.evaluate("([n, c]) => motcuaBoard.callClips(n, c)", [number, counter]) == call_clips(
            number, counter
        )
        assert page.evaluate(
            "([n, c]) => motcuaBoard.callSentence(n, c)", [number, counter]
        ) == call_sentence(number, counter)
    page.wait_for_timeout(500)  # the stream's hub has read its starting point
    before = len(clips)
    ticket = counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    assert ticket is not None and ticket.number == "A001"
    # Pushed, not polled: on the board within 2 s, big, and the counter's row flashes.
    expect(page.get_by_test_id("serving-1")).to_have_text("A001", timeout=2_000)
    expect(page.locator("#board-call-number")).to_have_text("A001", timeout=2_000)
    expect(page.locator("#board-counter-1")).to_have_class("board-counter flash")
    expect(page.get_by_test_id("waiting-A")).to_have_text("1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-board-call-1920.png"))
    # The clips were requested from the server (the chime was, by the autoplay probe), then
    # played one after the other: chime, «mời công dân có số», a, không, không, một, «đến quầy
    # số», một.
    expected = call_clips("A001", 1)
    page.wait_for_function(f"() => window.__played.length >= {len(expected) + 1}", timeout=10_000)
    assert clips[before:] == expected
    assert page.evaluate("() => window.__played") == ["chuong", *expected]
    expect(page.locator("#board-call")).to_be_hidden(timeout=15_000)
    page.screenshot(path=str(SHOTS / "queue-board-1920.png"))
    # A recall is announced and spoken again; the last calls list it.
    ticket_recall(actor=officer, counter=counters[0], ticket=ticket, now=clock.now())
    expect(page.locator("#board-call-number")).to_have_text("A001", timeout=2_000)
    expect(page.locator(".board-call-list li").first).to_contain_text("Gọi lại")
    n = 2 * (len(expected) + 1)
    page.wait_for_function(f"() => window.__played.length >= {n}", timeout=10_000)
    assert page.evaluate("() => window.__played") == 2 * ["chuong", *expected]
    assert not page.evaluate("() => motcuaBoard.status().polling")
    assert not refused, "the page's Content-Security-Policy refused something: " + "; ".join(refused)


def test_the_board_at_1366_by_768(asgi_live_server, page, axe_scan, axe_report):
    """A morning's board (ten counters, six calls, four groups) on the smaller TV: it fits, and
    no part covers another."""
    ward, officer, counters = _hall()
    for i in range(8, 11):
        make_counter(ward, i, "ABCD")
    for letter in "AAABBBCCD":
        ticket_issue(commune=ward, group_letter=letter, priority=False, now=clock.now())
    for _ in range(6):
        t = counter_call_next(actor=officer, counter=counters[0], now=clock.now())
        assert t is not None
        ticket_finish(actor=officer, counter=counters[0], ticket=t, now=clock.now())
    counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{asgi_live_server.url}/lay-so/{ward.code}/bang/")
    expect(page.locator(".board-call-list li")).to_have_count(6)
    expect(page.locator(".board-counter")).to_have_count(10)
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 768
    boxes = {
        name: page.locator(selector).bounding_box()
        for name, selector in {
            "calls": ".board-call-list",
            "waiting": ".board-groups",
            "qr": ".board-qr",
            "counters": ".board-table",
            "last counter": "#board-counter-10",
        }.items()
    }
    for name, box in boxes.items():
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 768, name
    assert boxes["calls"]["y"] + boxes["calls"]["height"] <= boxes["waiting"]["y"]
    assert boxes["waiting"]["y"] + boxes["waiting"]["height"] <= boxes["qr"]["y"]
    qr = page.locator(".board-qr-code svg").bounding_box()
    assert qr and qr["width"] >= 100
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-board-1366.png"))


def test_a_vietnamese_voice_speaks_the_sentence(asgi_live_server, page):
    ward, officer, counters = _hall()
    page.add_init_script(FAKE_VI_VOICE)
    page.set_viewport_size({"width": 1920, "height": 1080})
    clips = _clip_requests(page)
    page.goto(f"{asgi_live_server.url}/lay-so/{ward.code}/bang/")
    _sound_on(page)
    page.wait_for_function("() => motcuaBoard.status().streaming")
    assert page.evaluate("() => motcuaBoard.status().voice") == "vi-VN"
    page.wait_for_timeout(500)
    counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    page.wait_for_function("() => window.__spoken.some(s => s.text.startsWith('Mời'))", timeout=5_000)
    spoken = [s for s in page.evaluate("() => window.__spoken") if s["text"].strip()]
    assert spoken == [{"text": "Mời công dân có số a không không một đến quầy số một", "lang": "vi-VN"}]
    assert [c for c in clips if c != "chuong"] == [], "the chime only: the voice says the rest"


def test_without_eventsource_the_board_polls_every_15_s(live_server, page):
    ward, officer, counters = _hall()
    page.add_init_script(NO_SPEECH + "delete window.EventSource; window.EventSource = undefined;")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/lay-so/{ward.code}/bang/")
    page.wait_for_function("() => window.motcuaBoard !== undefined")
    expect(page.locator("#board-offline")).to_be_visible()
    assert page.evaluate("() => motcuaBoard.status().polling")
    counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    expect(page.get_by_test_id("serving-1")).to_have_text("A001", timeout=17_000)
    expect(page.locator("#board-call-number")).to_have_text("A001")


# An EventSource the test drives: connection errors and openings on demand.
FAKE_EVENTSOURCE = """
window.__sources = [];
window.EventSource = class {
  constructor(url) { this.url = url; this.readyState = 0; this.listeners = {}; window.__sources.push(this); }
  addEventListener(name, fn) { this.listeners[name] = fn; }
  close() { this.readyState = 2; }
};
window.EventSource.CLOSED = 2;
"""


def test_three_failures_in_a_row_switch_to_the_poll(live_server, page):
    ward, officer, counters = _hall()
    page.add_init_script(NO_SPEECH + FAKE_EVENTSOURCE)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/lay-so/{ward.code}/bang/")
    page.wait_for_function("() => window.motcuaBoard && window.__sources.length === 1")
    assert page.evaluate("() => window.__sources[0].url") == f"/api/queue/centers/{ward.code}/events"
    # Two failures, then the stream opens: the count starts again, still no poll.
    page.evaluate(
        "() => { const s = __sources[0]; s.onerror(); s.onerror(); s.onopen(); s.onerror(); s.onerror(); }"
    )
    status = page.evaluate("() => motcuaBoard.status()")
    assert status["streaming"] and not status["polling"]
    expect(page.locator("#board-offline")).to_be_hidden()
    # A third failure in a row: the stream is closed and the state is re-read every 15 s.
    page.evaluate("() => __sources[0].onerror()")
    status = page.evaluate("() => motcuaBoard.status()")
    assert not status["streaming"] and status["polling"]
    assert page.evaluate("() => __sources[0].readyState") == 2
    expect(page.locator("#board-offline")).to_be_visible()
    counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    expect(page.get_by_test_id("serving-1")).to_have_text("A001", timeout=17_000)


def test_two_calls_at_once_are_spoken_one_after_the_other(asgi_live_server, page):
    ward, officer, counters = _hall()
    officer2 = make_user(ward, Role.COUNTER_OFFICER, "motcua2")
    page.add_init_script(NO_SPEECH + RECORD_PLAYS)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{asgi_live_server.url}/lay-so/{ward.code}/bang/")
    _sound_on(page)
    page.wait_for_function("() => motcuaBoard.status().streaming")
    page.wait_for_timeout(500)
    counter_call_next(actor=officer, counter=counters[0], now=clock.now())
    counter_call_next(actor=officer2, counter=counters[1], now=clock.now())
    first, second = ["chuong", *call_clips("A001", 1)], ["chuong", *call_clips("C001", 2)]
    page.wait_for_function(f"() => window.__played.length >= {len(first) + len(second)}", timeout=20_000)
    assert page.evaluate("() => window.__played") == first + second
    expect(page.get_by_test_id("serving-2")).to_have_text("C001")
