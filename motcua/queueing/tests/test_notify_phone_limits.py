"""«Nhắn tin cho tôi khi sắp đến lượt» cannot be aimed at a stranger's phone: the ticket page's
POST is rate-limited per client, and a number gets at most MOTCUA_NOTIFY_QUEUE_DAILY_CAP queue
notices a day whatever the tickets."""

import datetime as dt

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.notify.models import Message
from motcua.queueing.models import Ticket
from motcua.queueing.services import counter_call_next, ticket_issue, ticket_set_notify_phone

from .conftest import NOW

pytestmark = pytest.mark.django_db
VICTIM = "0905123456"


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


def _tickets(ward, n, letter="B"):
    return [ticket_issue(commune=ward, group_letter=letter, priority=False, now=NOW) for _ in range(n)]


def test_the_phone_post_is_rate_limited_per_client(client, ward, counter1, settings):
    settings.MOTCUA_QUEUE_NOTIFY_PHONE_RATE = "5/600"
    tickets = _tickets(ward, 6)
    for t in tickets[:5]:
        url = reverse("queueing:ticket", args=[t.pk, t.secret])
        assert client.post(url, {"sdt_bao": f"09051234{t.pk % 100:02d}"}).status_code == 302
    sixth = tickets[5]
    resp = client.post(reverse("queueing:ticket", args=[sixth.pk, sixth.secret]), {"sdt_bao": VICTIM})
    assert resp.status_code == 429
    assert "quá nhiều lần" in resp.content.decode()
    sixth.refresh_from_db()
    assert sixth.notify_phone == ""
    # Another client is not held back; the page itself still opens.
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(reverse("queueing:ticket", args=[sixth.pk, sixth.secret]), {"sdt_bao": VICTIM}).status_code
        == 302
    )
    assert client.get(reverse("queueing:ticket", args=[sixth.pk, sixth.secret])).status_code == 200


def test_a_number_gets_at_most_three_queue_notices_a_day(ward, staff, counter1, settings):
    settings.MOTCUA_NOTIFY_QUEUE_DAILY_CAP = 3
    tickets = _tickets(ward, 5)  # all near the front: each phone left is told at once
    for t in tickets:
        ticket_set_notify_phone(ticket=t, phone=VICTIM, now=NOW)
    assert Message.objects.filter(recipient=VICTIM, topic="queue.almost").count() == 3
    # The same ticket's notice asked again is still the one message, not refused.
    ticket_set_notify_phone(ticket=tickets[0], phone=VICTIM, now=NOW)
    assert Message.objects.filter(recipient=VICTIM).count() == 3
    # The line moving tells nobody more today; another number is told as usual.
    ticket_set_notify_phone(ticket=tickets[4], phone="0905999888", now=NOW)
    counter_call_next(actor=staff["counter"], counter=counter1, now=NOW + dt.timedelta(minutes=1))
    assert Message.objects.filter(recipient=VICTIM).count() == 3
    assert Message.objects.filter(recipient="0905999888").count() == 1


def test_the_cap_starts_again_the_next_day(ward, groups, settings):
    settings.MOTCUA_NOTIFY_QUEUE_DAILY_CAP = 1
    [first, second] = _tickets(ward, 2)
    ticket_set_notify_phone(ticket=first, phone=VICTIM, now=NOW)
    ticket_set_notify_phone(ticket=second, phone=VICTIM, now=NOW)
    assert Message.objects.filter(recipient=VICTIM).count() == 1
    tomorrow = NOW + dt.timedelta(days=1)
    with clock.pinned(tomorrow):
        [t] = [ticket_issue(commune=ward, group_letter="B", priority=False, now=tomorrow)]
        Ticket.objects.filter(pk__in=[first.pk, second.pk]).update(state="DONE")
        ticket_set_notify_phone(ticket=t, phone=VICTIM, now=tomorrow)
    assert Message.objects.filter(recipient=VICTIM).count() == 2
