"""The counter tablet (issue 10 §1): activated with the token `motcua quality tablet-token`
prints, idle until its counter finishes a service, then the rating of that ticket (one tap per
question), «Cảm ơn» and back to idle; only tickets of its own counter; a revoked token or a
closed counter goes back to activation."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.quality.models import Rating, RatingTablet
from motcua.quality.ratings import tablet_create, token_hash
from motcua.quality.tests.rating_setup import TICKET_ANSWERS, at, counter_with_officer, served_ticket
from motcua.queueing.services import ticket_finish
from motcua.testing import make_commune

pytestmark = pytest.mark.django_db
START = at("10/03/2026", "08:00")
NOW = START + dt.timedelta(minutes=7)  # the ticket was finished at 08:05


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def hall():
    ward = make_commune()
    c1 = counter_with_officer(ward, 1, "quay1")
    c2 = counter_with_officer(ward, 2, "quay2")
    return ward, c1, c2


def activated(commune, number=1) -> tuple[Client, RatingTablet]:
    tablet, token = tablet_create(commune=commune, counter_number=number, now=START)
    client = Client()
    r = client.post(reverse("ratings:tablet_activate"), {"token": token})
    assert r.status_code == 302 and r["Location"] == reverse("ratings:tablet")
    return client, tablet


def answers(ticket, overall="2"):
    return {
        **{f"q{k}": str(v) for k, v in TICKET_ANSWERS.items()},
        "overall": overall,
        "ticket": str(ticket.pk),
    }


def test_command_prints_the_token_once_and_stores_its_hash(hall):
    ward, _, _ = hall
    out = StringIO()
    call_command(
        "quality", "tablet-token", str(ward.code), "--counter", "1", "--name", "Máy bàn 1", stdout=out
    )
    token = out.getvalue().strip().splitlines()[-1]
    tablet = RatingTablet.objects.get()
    assert tablet.name == "Máy bàn 1" and tablet.counter.number == 1 and tablet.commune_id == ward.code
    assert tablet.token_sha256 == token_hash(token) and token not in tablet.token_sha256
    for args in (
        ["99999", "--counter", "1"],
        [str(ward.code), "--counter", "7"],
        [str(ward.code), "--counter", "x"],
    ):
        with pytest.raises(CommandError) as exc:
            call_command("quality", "tablet-token", *args)
        assert exc.value.returncode == 2


def test_without_activation_the_tablet_asks_for_its_token(hall):
    client = Client()
    assert client.get(reverse("ratings:tablet"))["Location"] == reverse("ratings:tablet_activate")
    r = client.post(reverse("ratings:tablet_activate"), {"token": "sai-ma"})
    assert r.status_code == 422 and "Mã không đúng" in r.content.decode()
    r = client.post(reverse("ratings:tablet_activate"), {"token": "a\x00b"})
    assert r.status_code == 422
    r = client.post(reverse("ratings:tablet_submit"), {"ticket": "1"})
    assert r.status_code == 200 and not Rating.objects.exists()


def test_idle_then_the_finished_ticket_then_thanks_and_idle_again(hall):
    ward, c1, _ = hall
    client, tablet = activated(ward)
    html = client.get(reverse("ratings:tablet")).content.decode()
    assert "Mời ông/bà đánh giá" in html and 'data-testid="idle"' in html and "htmx-2.min.js" in html
    # The idle screen re-reads itself: no change → 204 (nothing swapped).
    assert client.get(reverse("ratings:tablet_state") + "?dang=0").status_code == 204
    t = served_ticket(c1, START)
    r = client.get(reverse("ratings:tablet_state") + "?dang=0")
    frag = r.content.decode()
    assert r.status_code == 200 and 'data-testid="tablet-form"' in frag and t.number in frag
    assert frag.count("<fieldset") == 4 and frag.count('type="radio"') == 3 * 3 + 3
    # While the same ticket waits for its rating the form is left alone.
    assert client.get(reverse("ratings:tablet_state") + f"?dang={t.pk}").status_code == 204
    r = client.post(reverse("ratings:tablet_submit"), answers(t))
    assert r.status_code == 302 and r["Location"].endswith("?cam-on=1")
    rating = Rating.objects.get(ticket=t)
    assert rating.source == "TABLET" and rating.tablet_id == tablet.pk and rating.officer_id == c1.officer_id
    thanks = client.get(r["Location"]).content.decode()
    assert "Cảm ơn ông/bà đã đánh giá" in thanks and 'http-equiv="refresh"' in thanks
    assert 'data-testid="idle"' in client.get(reverse("ratings:tablet")).content.decode()
    # The form then shows idle again (the state changed from the ticket to none).
    assert (
        'data-testid="idle"' in client.get(reverse("ratings:tablet_state") + f"?dang={t.pk}").content.decode()
    )


def test_only_finished_tickets_of_its_counter_within_the_window(hall, settings):
    ward, c1, c2 = hall
    client, _ = activated(ward)
    other = served_ticket(c2, START)
    assert 'data-testid="idle"' in client.get(reverse("ratings:tablet")).content.decode()
    r = client.post(reverse("ratings:tablet_submit"), answers(other))
    assert r.status_code == 404 and not Rating.objects.exists()
    serving = served_ticket(c1, START, finish=False)
    assert 'data-testid="idle"' in client.get(reverse("ratings:tablet")).content.decode()
    assert client.post(reverse("ratings:tablet_submit"), answers(serving)).status_code == 409
    done = ticket_finish(actor=c1.officer, counter=c1, ticket=serving, now=START + dt.timedelta(minutes=5))
    assert done.number in client.get(reverse("ratings:tablet")).content.decode()
    settings.MOTCUA_RATING_TABLET_WINDOW_MINUTES = 1  # finished at 08:05, now 08:07: too late here
    assert 'data-testid="idle"' in client.get(reverse("ratings:tablet")).content.decode()
    r = client.post(reverse("ratings:tablet_submit"), answers(done))
    assert r.status_code == 409 and "quá thời gian đánh giá" in r.content.decode()
    assert not Rating.objects.exists()


def test_another_communes_ticket_refused(hall):
    ward, _c1, _ = hall
    client, _ = activated(ward)
    elsewhere = make_commune(code=20194, name="Phường Hòa Khánh Bắc", agency="H48.20194")
    foreign = served_ticket(counter_with_officer(elsewhere, 1, "hk_quay1"), START)
    for raw in (str(foreign.pk), "0", "-1", "abc", "9" * 30, ""):
        r = client.post(reverse("ratings:tablet_submit"), {**answers(foreign), "ticket": raw})
        assert r.status_code == 404
    assert not Rating.objects.exists()


def test_bad_answers_and_comment_are_messages(hall):
    ward, c1, _ = hall
    client, _ = activated(ward)
    t = served_ticket(c1, START)
    r = client.post(reverse("ratings:tablet_submit"), {**answers(t), "q7": ""})
    assert r.status_code == 422 and "trả lời đủ" in r.content.decode()
    r = client.post(reverse("ratings:tablet_submit"), {**answers(t), "comment": "\x00"})
    assert r.status_code == 422 and "ký tự không hợp lệ" in r.content.decode()
    assert client.post(reverse("ratings:tablet_submit"), answers(t)).status_code == 302
    r = client.post(reverse("ratings:tablet_submit"), answers(t, overall="0"))
    assert r.status_code == 409 and Rating.objects.get(ticket=t).overall == 2


def test_revoked_token_or_closed_counter_goes_back_to_activation(hall):
    ward, c1, _ = hall
    client, tablet = activated(ward)
    t = served_ticket(c1, START)
    tablet.revoked_at = NOW
    tablet.save(update_fields=["revoked_at"])
    r = client.get(reverse("ratings:tablet"))
    assert r.status_code == 200 and "Kích hoạt máy đánh giá" in r.content.decode()
    r = client.get(reverse("ratings:tablet_state") + "?dang=0", HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == reverse("ratings:tablet_activate")
    assert client.post(reverse("ratings:tablet_submit"), answers(t)).status_code == 200
    assert not Rating.objects.exists()
    client2, _ = activated(ward)
    c1.active = False
    c1.save(update_fields=["active"])
    assert "Kích hoạt máy đánh giá" in client2.get(reverse("ratings:tablet")).content.decode()


def test_the_tablet_is_limited_per_tablet_not_per_client_address(hall, settings):
    """An office behind one NAT: the counter tablet's ratings do not count against the address's
    public limit (MOTCUA_RATING_RATE), only against the tablet's own (MOTCUA_RATING_TABLET_RATE)."""
    settings.MOTCUA_RATING_RATE = "20/600"
    settings.MOTCUA_RATING_TABLET_RATE = "120/600"
    settings.MOTCUA_RATING_TABLET_WINDOW_MINUTES = 24 * 60
    ward, c1, c2 = hall
    client, tablet = activated(ward)
    tickets = [served_ticket(c1, START - dt.timedelta(minutes=6 * (22 - i))) for i in range(22)]
    for t in tickets:  # 22 services in 10 minutes, all from 127.0.0.1
        assert client.post(reverse("ratings:tablet_submit"), answers(t)).status_code == 302
    assert Rating.objects.filter(tablet=tablet).count() == 22
    # The residents' page from the same address still has its own 20 and is refused after them.
    served = served_ticket(c2, START)
    page = reverse("ratings:ticket", args=[served.pk, served.secret])
    phone = Client()
    for _ in range(20):
        assert phone.post(page, {"overall": ""}).status_code == 422
    r = phone.post(page, {**answers(served), "overall": "2"})
    assert r.status_code == 429 and "quá nhiều lần" in r.content.decode()
    assert not Rating.objects.filter(ticket=served).exists()


def test_the_tablets_own_limit_is_per_tablet(hall, settings):
    settings.MOTCUA_RATING_TABLET_RATE = "2/600"
    settings.MOTCUA_RATING_TABLET_WINDOW_MINUTES = 24 * 60
    ward, c1, c2 = hall
    client, _ = activated(ward, 1)
    tickets = [served_ticket(c1, START - dt.timedelta(minutes=6 * (3 - i))) for i in range(3)]
    for t in tickets[:2]:
        assert client.post(reverse("ratings:tablet_submit"), answers(t)).status_code == 302
    r = client.post(reverse("ratings:tablet_submit"), answers(tickets[2]))
    assert r.status_code == 429 and "quá nhiều lần" in r.content.decode()
    assert not Rating.objects.filter(ticket=tickets[2]).exists()
    # The tablet of counter 2, from the same address, has its own count.
    other, _ = activated(ward, 2)
    t2 = served_ticket(c2, START)
    assert other.post(reverse("ratings:tablet_submit"), answers(t2)).status_code == 302
