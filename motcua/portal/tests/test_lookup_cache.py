"""The status page kept per process under the dossier's version (issue 7 §4): a repeated lookup is
served without the template, a step or a renamed procedure shows at once, the limiter and the
lockout still run on every lookup, the headers are those of a rendered page, and a signed-in
user's page is never taken from (or put into) the cache."""

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.portal import pagecache
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 2, 10, 1, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    pagecache.clear()
    yield
    pagecache.clear()


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
    resp.fresh = len(_WRITTEN) > before or any(t.name == "portal/status.html" for t in resp.templates)
    return resp


_WRITTEN: list[int] = []


@pytest.fixture(autouse=True)
def _count_pages(monkeypatch):
    """Counts the pages pagecache.render_status writes (a cache miss)."""
    _WRITTEN.clear()
    real = pagecache.render_status

    def counting(*args):
        _WRITTEN.append(1)
        return real(*args)

    monkeypatch.setattr(pagecache, "render_status", counting)


def _rendered(resp) -> bool:
    """The page was written for this request (by the template or render_status), not taken from the cache."""
    return resp.fresh


def test_a_repeated_lookup_is_served_from_the_cache_and_a_step_shows_at_once(world):
    d, staff, _ = world
    client = Client()
    first = _lookup(client, d.code)
    assert first.status_code == 200 and _rendered(first)
    again = _lookup(client, d.code.lower())
    assert again.status_code == 200 and not _rendered(again), "the same version is not rendered twice"
    assert again.content == first.content
    dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=RECEIVED + dt.timedelta(hours=1)
    )
    after = _lookup(client, d.code)
    body = after.content.decode()
    assert after.status_code == 200 and _rendered(after), "a new step is a new version: no stale page"
    assert "Đã giải quyết" in body and body != first.content.decode()


def test_a_renamed_procedure_shows_at_once(world):
    d, _, proc = world
    client = Client()
    assert proc.name in _lookup(client, d.code).content.decode()
    proc.name = "Thủ tục đã đổi tên"
    proc.save(update_fields=["name"])
    assert "Thủ tục đã đổi tên" in _lookup(client, d.code).content.decode()


def test_a_cached_page_has_the_headers_of_a_rendered_one(world):
    d, _, _ = world
    client = Client()
    first, again = _lookup(client, d.code), _lookup(client, d.code)
    assert not _rendered(again)
    for header in ("Content-Type", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options",
                   "X-Frame-Options", "Referrer-Policy", "Content-Language", "Vary"):  # fmt: skip
        assert again.headers.get(header) == first.headers.get(header), header
    assert "no-store" in again.headers["Cache-Control"]


def test_the_lockout_runs_on_a_cached_page(world):
    d, _, _ = world
    client = Client()
    assert _lookup(client, d.code).status_code == 200  # now cached
    for i in range(5):
        assert _lookup(client, d.code, f"000{i}").status_code == 404
    locked = _lookup(client, d.code)
    assert locked.status_code == 429 and "Võ Thị Mai" not in locked.content.decode()


def test_the_client_limit_runs_on_a_cached_page(world, settings):
    d, _, _ = world
    settings.MOTCUA_LOOKUP_RATE = "2/600"
    client = Client()
    assert _rendered(_lookup(client, d.code))
    assert _lookup(client, d.code).status_code == 200
    limited = _lookup(client, d.code)
    assert limited.status_code == 429 and "Võ Thị Mai" not in limited.content.decode()


def test_a_signed_in_users_page_is_neither_served_from_nor_put_in_the_cache(world):
    d, staff, _ = world
    resident = Client()
    assert _rendered(_lookup(resident, d.code))
    officer = Client()
    officer.force_login(staff["counter"])
    seen = _lookup(officer, d.code)
    assert _rendered(seen) and seen.content != _lookup(resident, d.code).content  # the staff navigation
    assert not _rendered(_lookup(resident, d.code))
    assert _rendered(_lookup(officer, d.code))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_page_written_without_the_template_is_the_templates_byte_for_byte(world, rf, language):
    """pagecache.render_status against portal/status.html, for every shape of the page: steps with
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
            assert pagecache.render_status(request, shape, steps).decode() == expected
    assert isinstance(shapes[0], PublicStatus)
