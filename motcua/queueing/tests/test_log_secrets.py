"""The queue's ticket and appointment links carry secrets (whoever holds one can cancel the
ticket or the appointment): the access logs and Django's request log mask them."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from motcua.portal.redact import redact
from motcua.queueing.appointments import appointment_book
from motcua.queueing.services import ticket_issue

from .conftest import NOW

SECRET = "_tAZpIPg2JxkYQNwMc-I0g"


@pytest.mark.parametrize(
    "path",
    [
        f"/lay-so/ve/12/{SECRET}/",
        f"/lay-so/ve/12/{SECRET}/roi-hang/",
        f"/lay-so/may/ve/12/{SECRET}/",
        f"/lay-so/hen/7/{SECRET}/",
        f"/lay-so/hen/7/{SECRET}",
    ],
)
def test_the_access_line_masks_the_secret(path):
    line = redact(f'127.0.0.1 [30/Nov/2026:08:00:00 +0700] "GET {path} HTTP/1.1" 200 512 0.01s')
    assert SECRET not in line
    assert "/12/***" in line or "/7/***" in line


def test_other_queue_paths_are_left_alone():
    for path in (
        "/lay-so/20209/",
        "/lay-so/20209/bang/",
        "/lay-so/quay/3/",
        "/lay-so/20209/dat-lich/?nhom=B",
    ):
        assert redact(path) == path


@pytest.mark.django_db
def test_a_refused_check_in_logs_no_secret(ward, groups, caplog):
    """A too-early check-in is a 409: Django's request logger warns with the path, masked."""
    a = appointment_book(
        commune=ward,
        group_letter="B",
        starts_at=NOW.replace(day=11, hour=9),
        name="Nguyễn Văn An",
        phone="",
        now=NOW,
    )
    t = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
    client = Client()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.post(reverse("queueing:appointment", args=[a.pk, a.secret]), {"action": "checkin"})
        client.get(reverse("queueing:ticket", args=[t.pk, t.secret + "x"]))
    assert caplog.records, "the refusals were logged"
    assert a.secret not in caplog.text and t.secret not in caplog.text
