"""The residents' status page written without the template engine (issue 7 §4): the same bytes as
portal/status.html, a new step shows at once, the limiter and the lockout still apply, the page
keeps the headers of every resident page, and a signed-in user's page goes through the template."""

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.portal import statuspage
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 2, 10, 1, 30, tzinfo=dt.UTC)
_WRITTEN: list[int] = []


@pytest.fixture(autouse=True)
def _count_pages(monkeypatch):
    """Counts the pages statuspage.render_status writes."""
    _WRITTEN.clear()
    real = statuspage.render_status

    def counting(*args):
        _WRITTEN.append(1)
        return real(*args)

    monkeypatch.setattr(statuspage, "render_status", counting)


@pytest.fixture
def world(settings):
    settings.MOTCUA_LOOKUP_RATE = "1000/600"
    settings.MOTCUA_LOOKUP_CODE_FAILURES = 5
    settings.MOTCUA_LOOKUP_CODE_LOCK_SECONDS = 900
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    d = dossier_intake(actor=staff["counter"], procedure=proc, applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
                       form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive",
                       now=RECEIVED)  # fmt: skip
    return d, staff, proc


def _lookup(client: Client, code: str, digits: str = "3456"):
    before = len(_WRITTEN)
    resp = client.get(reverse("portal:lookup"), {"ma": code, "sdt": digits})
    resp.fast = len(_WRITTEN) > before
    return resp


def test_an_anonymous_residents_page_is_written_without_the_template_and_shows_a_step_at_once(world):
    d, staff, _ = world
    client = Client()
    _lookup(client, d.code)  # the layout is rendered by the template once per process
    first = _lookup(client, d.code)
    assert first.status_code == 200 and first.fast and not first.templates
    assert "Võ Thị Mai" in first.content.decode()
    dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=RECEIVED + dt.timedelta(hours=1)
    )
    after = _lookup(client, d.code)
    assert after.status_code == 200 and "Đã giải quyết" in after.content.decode()


def test_the_fast_page_keeps_the_headers_of_a_resident_page(world):
    d, _, _ = world
    resp = _lookup(Client(), d.code)
    assert resp.fast
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "no-store" in resp.headers["Cache-Control"]
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_the_lockout_applies_before_the_page(world):
    d, _, _ = world
    client = Client()
    for i in range(5):
        assert _lookup(client, d.code, f"000{i}").status_code == 404
    locked = _lookup(client, d.code)
    assert locked.status_code == 429 and not locked.fast and "Võ Thị Mai" not in locked.content.decode()


def test_the_client_limit_applies_before_the_page(world, settings):
    d, _, _ = world
    settings.MOTCUA_LOOKUP_RATE = "2/600"
    client = Client()
    assert _lookup(client, d.code).status_code == 200
    assert _lookup(client, d.code).status_code == 200
    limited = _lookup(client, d.code)
    assert limited.status_code == 429 and not limited.fast and "Võ Thị Mai" not in limited.content.decode()


def test_a_signed_in_users_page_goes_through_the_template(world):
    d, staff, _ = world
    officer = Client()
    officer.force_login(staff["counter"])
    seen = _lookup(officer, d.code)
    assert seen.status_code == 200 and not seen.fast
    assert any(t.name == "portal/status.html" for t in seen.templates)
    assert seen.content != _lookup(Client(), d.code).content  # the staff navigation


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_page_written_without_the_template_is_the_templates_byte_for_byte(world, rf, language):
    """statuspage.render_status against portal/status.html, for every shape of the page: steps with
    and without notes, a due date or none, supplement items, a draft without a code, text that
    must be escaped."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string
    from django.utils import translation

    from motcua.portal.selectors import PublicStatus, Step, resident_lookup, resident_steps

    d, _, _ = world
    real = resident_lookup(code=d.code, phone_last4="3456", client="192.0.2.1", now=RECEIVED)
    at = RECEIVED + dt.timedelta(hours=20, minutes=5)  # the next day in Đà Nẵng
    shapes = [
        real,
        dataclasses.replace(real, state="SUPPLEMENT_REQUESTED", supplement_items=["Bản sao <CCCD>", "Sổ & đỏ"],
                            steps=[*real.steps, Step(at=at, action="request_supplement", note="Thiếu \"giấy\" <b>")]),
        dataclasses.replace(real, supplement_items=["không hiện"], due_at=None, extended_due_at=None, steps=[]),
        dataclasses.replace(real, code="", applicant_name="O'Brien <script>", extended_due_at=at),
    ]  # fmt: skip
    for shape in shapes:
        request = rf.get("/tra-cuu/")
        request.user = AnonymousUser()
        request.session = {}
        request._messages = FallbackStorage(request)
        with translation.override(language):
            steps = resident_steps(shape)
            expected = render_to_string("portal/status.html", {"d": shape, "steps": steps}, request)
            assert statuspage.render_status(request, shape, steps).decode() == expected
    assert isinstance(shapes[0], PublicStatus)
