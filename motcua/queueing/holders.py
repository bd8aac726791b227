"""Who holds a ticket or a booking, for the caps on anonymous residents.

A phone is known by its signed device cookie (`Ticket.holder`, SHA-256 of the cookie's random
id); any anonymous client also by its address (`address`, an HMAC of `client_key` with the
SECRET_KEY: the same address gives the same value, and the stored value gives the address back
only to someone holding the key). The cookie caps a resident's phone tightly; the address caps
a client that drops its cookie or calls the API in a loop, loosely, because many phones may share
one address (a carrier's NAT, the hall's Wi-Fi behind one router).

`lock_holders` serialises the count-then-insert of one holder's requests: on PostgreSQL a
transaction-scoped advisory lock per value (two requests of one phone for different groups
would otherwise both count 2 and both insert); SQLite serialises writers already.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest

from motcua.core.ratelimit import client_key

_LOCK_SPACE = 0x6D63  # "mc": the first key of the two-key advisory lock, for the queue's holders


def address_of(request: HttpRequest) -> str:
    key = client_key(request)
    return hmac.new(settings.SECRET_KEY.encode(), f"queue-address:{key}".encode(), hashlib.sha256).hexdigest()


def lock_holders(*values: str) -> None:
    """Inside the caller's transaction: wait for other requests of the same holders to commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_holders must run inside the transaction that counts and inserts")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for value in sorted({v for v in values if v}):  # one order: no deadlock between two holders
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_SPACE, value])
