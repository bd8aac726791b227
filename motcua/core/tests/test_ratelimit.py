"""The shared limiter: counters in the database, the client address behind the trusted proxy,
the lockout of a dossier code."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import RequestFactory

from motcua.core import ratelimit
from motcua.core.errors import RateLimited
from motcua.core.models import RateCounter

T0 = dt.datetime(2026, 2, 10, 1, 0, tzinfo=dt.UTC)


def _request(remote: str = "203.0.113.9", **meta: str):
    return RequestFactory().get("/tra-cuu/", REMOTE_ADDR=remote, **meta)


# ---- client_key ------------------------------------------------------------------------------


def test_proxy_header_is_ignored_unless_configured(settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = ""
    request = _request("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ratelimit.client_key(request) == "10.0.0.2"


def test_configured_proxy_header_gives_the_client_address(settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    assert ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"
    # The header's name may also be written as the proxy writes it.
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    assert ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"


def test_spoofed_left_most_entries_are_ignored(settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    # The client sent "X-Forwarded-For: 1.2.3.4, 5.6.7.8"; nginx appended the address it saw.
    spoofed = _request("10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 198.51.100.7")
    assert ratelimit.client_key(spoofed) == "198.51.100.7"
    # Two proxies of ours (CDN then nginx): the second entry from the right is the client.
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 2
    assert ratelimit.client_key(spoofed) == "5.6.7.8"
    assert ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.2"


def test_a_header_entry_that_is_not_an_address_falls_back_to_the_socket(settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    for junk in ("unknown", "1.2.3.4\x00", "😀", "' OR 1=1", ""):
        assert ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR=junk)) == "10.0.0.2", junk
    assert ratelimit.client_key(_request("10.0.0.2")) == "10.0.0.2"


def test_an_ipv6_client_is_its_64_network(settings):
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    one = ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR="2001:db8:1:2::1"))
    other = ratelimit.client_key(_request("10.0.0.2", HTTP_X_FORWARDED_FOR="2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"


# ---- counters --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_hit_counts_in_the_database_and_starts_a_new_window():
    for _ in range(3):
        ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0)
    assert RateCounter.objects.get(key="lookup:198.51.100.7").count == 3
    with pytest.raises(RateLimited):
        ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0 + dt.timedelta(seconds=599))
    # Another client and another purpose have their own counters.
    ratelimit.hit(purpose="lookup", key="198.51.100.8", rate="3/600", now=T0)
    ratelimit.hit(purpose="submit", key="198.51.100.7", rate="3/600", now=T0)
    # The window ends 600 s after its first attempt.
    ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0 + dt.timedelta(seconds=600))
    assert RateCounter.objects.get(key="lookup:198.51.100.7").count == 1


@pytest.mark.django_db(transaction=True)
def test_two_connections_share_one_counter():
    """Two worker processes are two database connections: each thread has its own."""

    def other_worker() -> None:
        try:
            for _ in range(2):
                ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join()
    ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0)
    with pytest.raises(RateLimited):
        ratelimit.hit(purpose="lookup", key="198.51.100.7", rate="3/600", now=T0)


@pytest.mark.django_db
def test_expired_counters_are_pruned(monkeypatch):
    ratelimit.hit(purpose="lookup", key="a", rate="5/60", now=T0)
    ratelimit.hit(purpose="lookup", key="b", rate="5/600", now=T0)
    monkeypatch.setattr(ratelimit, "PRUNE_EVERY", 1)
    ratelimit.hit(purpose="lookup", key="c", rate="5/600", now=T0 + dt.timedelta(seconds=61))
    assert set(RateCounter.objects.values_list("key", flat=True)) == {"lookup:b", "lookup:c"}


@pytest.mark.django_db
def test_a_long_key_is_hashed_to_fit():
    ratelimit.hit(purpose="lookup", key="x" * 500, rate="5/60", now=T0)
    (key,) = RateCounter.objects.values_list("key", flat=True)
    assert key.startswith("lookup:#") and len(key) < 100


# ---- code lockout ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_code_locks_after_five_failures_and_unlocks_fifteen_minutes_after_the_fifth(settings):
    settings.MOTCUA_LOOKUP_CODE_FAILURES = 5
    settings.MOTCUA_LOOKUP_CODE_LOCK_SECONDS = 900
    code = "H48.20209-260210-0001"
    for i in range(4):
        ratelimit.count_failure(code=code, now=T0 + dt.timedelta(minutes=i))
        assert not ratelimit.code_is_locked(code=code, now=T0 + dt.timedelta(minutes=i))
    fifth = T0 + dt.timedelta(minutes=10)
    ratelimit.count_failure(code=code, now=fifth)
    assert ratelimit.code_is_locked(code=code, now=fifth)
    assert ratelimit.code_is_locked(code=code, now=fifth + dt.timedelta(seconds=899))
    assert not ratelimit.code_is_locked(code=code, now=fifth + dt.timedelta(seconds=900))
    assert not ratelimit.code_is_locked(code="H48.20209-260210-0002", now=fifth)
    # After the lock the count starts again.
    ratelimit.count_failure(code=code, now=fifth + dt.timedelta(seconds=900))
    assert not ratelimit.code_is_locked(code=code, now=fifth + dt.timedelta(seconds=901))


@pytest.mark.django_db
def test_failures_spread_beyond_the_window_do_not_lock(settings):
    settings.MOTCUA_LOOKUP_CODE_FAILURES = 5
    settings.MOTCUA_LOOKUP_CODE_LOCK_SECONDS = 900
    code = "H48.20209-260210-0001"
    for i in range(8):  # one every 5 minutes: at most 3 inside any 15-minute window from its first
        now = T0 + dt.timedelta(minutes=5 * i)
        ratelimit.count_failure(code=code, now=now)
        assert not ratelimit.code_is_locked(code=code, now=now)


@pytest.mark.postgres
@pytest.mark.django_db
def test_counters_are_unlogged_on_postgresql():
    """No WAL for a counted request: a lookup's commit waits for no disk flush."""
    with connection.cursor() as cur:
        cur.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [RateCounter._meta.db_table])
        assert cur.fetchone()[0] == "u"
