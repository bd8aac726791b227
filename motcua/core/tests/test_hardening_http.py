"""Issue 7 §3.10 and §1: Cache-Control no-store on staff pages, documents and residents' status
pages; a Content-Security-Policy with no inline script; staff sessions end after 8 hours idle."""

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from motcua.core.middleware import StaffIdleTimeoutMiddleware
from motcua.dossiers.models import Dossier
from motcua.testing import land_procedure, make_commune, make_staff

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff():
    return make_staff(make_commune())


def intake(client, procedure):
    data = {
        "applicant_name": "Nguyễn Văn An",
        "applicant_phone": "0905 111 222",
        "applicant_citizen_id": "048090001111",
        "applicant_address": "12 Hà Huy Tập, tổ 5",
        "checklist": [str(i.id) for i in procedure.checklist.all()],
        "outcome": "receive",
    }
    resp = client.post(reverse("dossiers:intake", args=[procedure.code]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return resp


@pytest.fixture
def received(client, staff):
    land = land_procedure()
    client.force_login(staff["counter"])
    intake(client, land)
    client.logout()
    return Dossier.objects.get()


def no_store(resp) -> bool:
    return "no-store" in resp.get("Cache-Control", "")


# ---- Cache-Control ---------------------------------------------------------------------------


def test_staff_pages_are_never_stored(client, staff):
    client.force_login(staff["counter"])
    for url in (reverse("dossiers:counter"), reverse("dossiers:book"), reverse("core:home")):
        resp = client.get(url)
        assert no_store(resp), url
        assert "public" not in resp["Cache-Control"]


def test_residents_status_page_is_never_stored_but_the_catalogue_may_be(client, received):
    assert no_store(client.get(reverse("portal:status", args=[received.code, received.secret])))
    assert no_store(client.get(reverse("portal:lookup"), {"ma": received.code, "sdt": "1222"}))
    assert not no_store(client.get("/thu-tuc/"))
    assert not no_store(client.get("/static/core/site.css"))


def test_api_answers_are_never_stored(client, received):
    assert no_store(client.get("/api/public/lookup", {"code": received.code, "phone_last4": "1222"}))


def test_printed_forms_are_never_stored(client, staff, received):
    client.force_login(staff["counter"])
    resp = client.get(reverse("dossiers:form", args=[received.pk, "01"]))
    assert resp.status_code == 200 and no_store(resp)


# ---- Content-Security-Policy ------------------------------------------------------------------


def csp(resp) -> dict[str, str]:
    header = resp["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_response_carries_a_strict_policy(client, staff):
    for url in ("/", reverse("core:login"), reverse("portal:lookup"), "/thu-tuc/"):
        policy = csp(client.get(url))
        assert policy["default-src"] == "default-src 'self'", url
        assert policy["script-src"] == "script-src 'self'", url
        assert "'unsafe-inline'" not in client.get(url)["Content-Security-Policy"]
        assert (
            policy["object-src"] == "object-src 'none'"
            and policy["frame-ancestors"] == "frame-ancestors 'none'"
        )
    client.force_login(staff["counter"])
    assert "default-src 'self'" in client.get(reverse("dossiers:counter"))["Content-Security-Policy"]


def test_the_printed_forms_page_style_carries_the_nonce_of_its_policy(client, staff, received):
    client.force_login(staff["counter"])
    resp = client.get(reverse("dossiers:form", args=[received.pk, "01"]))
    nonce = re.search(r'<style nonce="([^"]+)">@page', resp.content.decode())
    assert nonce, "the @page style is allowed by a nonce"
    assert f"'nonce-{nonce.group(1)}'" in csp(resp)["style-src"]


def test_htmx_does_not_inject_its_inline_style(client):
    body = client.get(reverse("core:login")).content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>' in body


TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}", re.S)
INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"<style(?![^>]*nonce=)[^>]*>", re.I), "<style> without the nonce"),
    (re.compile(r"\shx-on", re.I), "hx-on (evaluated script)"),
]


def test_no_template_needs_inline_script_or_style():
    problems = []
    for path in sorted(ROOT.glob("*/templates/**/*.html")):
        text = TEMPLATE_COMMENT.sub("", path.read_text(encoding="utf-8"))
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                problems.append(f"{path.relative_to(ROOT)}: {what}: {m.group(0)}")
    assert not problems, "\n".join(problems)


# ---- Idle sessions ------------------------------------------------------------------------------


def test_sessions_last_eight_hours(settings):
    assert django_settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.MOTCUA_SESSION_IDLE_SECONDS == 8 * 3600


def set_last_seen(client, seconds_ago: int) -> None:
    session = client.session
    session[StaffIdleTimeoutMiddleware.KEY] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_idle_for_more_than_eight_hours_ends(client, staff):
    client.force_login(staff["counter"])
    counter = reverse("dossiers:counter")
    assert client.get(counter).status_code == 200
    set_last_seen(client, 8 * 3600 - 60)  # 7 h 59 min: still signed in
    assert client.get(counter).status_code == 200
    set_last_seen(client, 8 * 3600 + 60)
    resp = client.get(counter)
    assert resp.status_code == 302 and resp.url.startswith(reverse("core:login"))
    assert "_auth_user_id" not in client.session
    assert client.get(counter).status_code == 302, "signed out for good"


def test_an_idle_htmx_request_is_sent_to_the_login_page(client, staff):
    client.force_login(staff["counter"])
    client.get(reverse("dossiers:counter"))
    set_last_seen(client, 9 * 3600)
    counter = reverse("dossiers:counter")
    resp = client.get(
        reverse("dossiers:procedure_search"),
        {"q": "dat"},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{counter}?tab=1"},
    )
    assert resp.status_code == 401 and resp["HX-Redirect"].startswith(reverse("core:login"))
    # After signing in: back to the page the search box is on, not to the search fragment.
    assert resp["HX-Redirect"].endswith("?next=" + quote(f"{counter}?tab=1", safe=""))


def test_htmx_login_url_never_sends_elsewhere():
    """Only a path Django would follow: a scheme-relative or backslash path from HX-Current-URL
    falls back to the request's own path."""
    from django.test import RequestFactory

    from motcua.core.middleware import htmx_login_url

    for current in (
        "http://testserver//evil.example/x",
        "http://testserver/\\evil.example",
        "javascript:alert(1)",
    ):
        request = RequestFactory().get(
            "/ho-so/tim/", headers={"HX-Request": "true", "HX-Current-URL": current}
        )
        assert htmx_login_url(request) == f"{reverse('core:login')}?next=%2Fho-so%2Ftim%2F", current


def test_activity_renews_the_session_without_writing_it_on_every_request(client, staff):
    client.force_login(staff["counter"])
    counter = reverse("dossiers:counter")
    client.get(counter)
    first = client.session[StaffIdleTimeoutMiddleware.KEY]
    stored = Session.objects.get(session_key=client.session.session_key).expire_date
    client.get(counter)
    assert client.session[StaffIdleTimeoutMiddleware.KEY] == first
    assert Session.objects.get(session_key=client.session.session_key).expire_date == stored, (
        "a request within 5 minutes writes nothing"
    )
    set_last_seen(client, 6 * 60)  # the last write was 6 minutes ago
    client.get(counter)
    assert client.session[StaffIdleTimeoutMiddleware.KEY] >= int(time.time()) - 5


def test_a_pages_own_polling_does_not_keep_an_idle_session_alive(client, staff):
    """The console re-reads its state every 5 s: those requests (POLL_HEADER) are not the
    officer's activity — a console left open overnight is signed out; a request of theirs renews."""
    from motcua.core.middleware import POLL_HEADER

    client.force_login(staff["counter"])
    counter = reverse("dossiers:counter")
    client.get(counter)
    set_last_seen(client, 6 * 60)
    before = client.session[StaffIdleTimeoutMiddleware.KEY]
    client.get(counter, headers={"HX-Request": "true", POLL_HEADER: "1"})
    assert client.session[StaffIdleTimeoutMiddleware.KEY] == before, "a poll renews nothing"
    set_last_seen(client, 8 * 3600 + 60)
    polled = client.get(counter, headers={"HX-Request": "true", POLL_HEADER: "1"})
    assert polled.status_code == 401 and polled["HX-Redirect"].startswith(reverse("core:login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "template",
    [
        "queueing/console_state.html",
        "staffing/alerts/_mine.html",
        "staffing/alerts/_open.html",
        "registers/_progress.html",
        "registers/_files.html",
    ],
)
def test_every_staff_polling_fragment_says_it_is_a_poll(template):
    from django.template.loader import get_template

    source = get_template(template).template.source
    assert 'hx-trigger="every' in source
    assert """hx-headers='{"X-Motcua-Poll": "1"}'""" in source
