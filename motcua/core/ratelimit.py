"""Rate limits and lockouts whose counters live in the database, shared by every worker.

- `hit(purpose=…, key=…)` counts one attempt of a client (fixed window per key, "attempts/seconds"
  from settings or the caller) and raises RateLimited past the limit.
- `client_key(request)` is the client's address: from the trusted reverse proxy's header when one
  is configured (`MOTCUA_TRUSTED_PROXY_HEADER`, `MOTCUA_TRUSTED_PROXY_COUNT`), else the socket's.
- A dossier code is locked for `MOTCUA_LOOKUP_CODE_LOCK_SECONDS` after
  `MOTCUA_LOOKUP_CODE_FAILURES` wrong second factors from any address (`count_failure`,
  `is_locked`); the status lookup reads the lock in the same statement as the dossier
  (`motcua.portal.selectors`).

Counting is one statement on SQLite and PostgreSQL alike: `INSERT … ON CONFLICT DO UPDATE …
RETURNING count` (`upsert`), which the status lookup also embeds in its own query on PostgreSQL
(one round trip per lookup). Expired rows are deleted every `PRUNE_EVERY` counts of a process.
Times are whole Unix seconds; `now` comes from the interface (`motcua.core.clock`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import itertools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from . import clock
from .errors import RateLimited
from .models import RateCounter

_T = RateCounter._meta.db_table
_NEVER = 2**62  # a failure count no counter reaches: plain counters never extend their window

# One statement: count a hit and return the new count. A row whose window has ended starts a new
# one at 1; a lockout counter whose count reaches the threshold is held until now + lock.
# Params: key, now + window, now, now, threshold, now + lock.
UPSERT_SQL = f"""INSERT INTO {_T} AS r (key, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET
 count = CASE WHEN r.expires_at <= %s THEN 1 ELSE r.count + 1 END,
 expires_at = CASE WHEN r.expires_at <= %s THEN excluded.expires_at
   WHEN r.count + 1 >= %s THEN %s ELSE r.expires_at END
RETURNING count"""  # noqa: S608 - the table name is ours, values are parameters

# A lockout counter still running: its count, or NULL. Params: key, now.
LOCK_SQL = f"SELECT l.count FROM {_T} l WHERE l.key = %s AND l.expires_at > %s"  # noqa: S608

PRUNE_EVERY = 1000
_ticks = itertools.count(1)

_MESSAGES = {
    "lookup": "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.",
    "qr": "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.",
    "submit": "Bạn đã gửi hồ sơ quá nhiều lần. Vui lòng thử lại sau ít phút.",
}
_DEFAULT_MESSAGE = "Bạn đã thao tác quá nhiều lần. Vui lòng thử lại sau ít phút."
CODE_LOCKED_MESSAGE = (
    "Mã hồ sơ này đang tạm khóa tra cứu bằng số điện thoại vì đã nhập sai nhiều lần. "
    "Vui lòng thử lại sau {minutes} phút, hoặc quét mã QR trên giấy hẹn trả kết quả."
)


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds


def parse_rate(rate: str | None = None) -> Rate:
    """ "attempts/seconds" (default: MOTCUA_LOOKUP_RATE)."""
    limit_s, window_s = (rate or settings.MOTCUA_LOOKUP_RATE).split("/")
    return Rate(limit=int(limit_s), window=max(1, int(window_s)))


def key_for(purpose: str, key: str) -> str:
    """The counter's row key; a long key (never an address or a valid code) is hashed."""
    name = f"{purpose}:{key}"
    if len(name) > 200:
        name = f"{purpose}:#{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}"
    return name


def seconds(now: dt.datetime) -> int:
    return int(now.timestamp())


def upsert(
    key: str, *, now_s: int, window: int, lock_after: int = _NEVER, lock_for: int = 0
) -> list[str | int]:
    """The parameters of UPSERT_SQL for one hit on `key`."""
    return [key, now_s + window, now_s, now_s, lock_after, now_s + lock_for]


def _count(key: str, *, now_s: int, window: int, lock_after: int = _NEVER, lock_for: int = 0) -> int:
    with connection.cursor() as cur:
        cur.execute(
            UPSERT_SQL, upsert(key, now_s=now_s, window=window, lock_after=lock_after, lock_for=lock_for)
        )
        row = cur.fetchone()
    tick(now_s=now_s)
    return int(row[0])


def tick(*, now_s: int) -> None:
    """Called once per counted hit: every PRUNE_EVERY-th call of a process prunes."""
    if next(_ticks) % PRUNE_EVERY == 0:
        prune(now_s=now_s)


def prune(*, now_s: int) -> int:
    """Delete the counters whose window (or lock) has ended; returns how many."""
    deleted, _ = RateCounter.objects.filter(expires_at__lte=now_s).delete()
    return deleted


def check(count: int, rate: Rate, *, purpose: str) -> None:
    if count > rate.limit:
        raise RateLimited(_MESSAGES.get(purpose, _DEFAULT_MESSAGE), code="rate_limited")


def hit(*, purpose: str, key: str, rate: str | None = None, now: dt.datetime | None = None) -> None:
    """Count one attempt of client `key`; raise RateLimited past `rate` ("attempts/seconds",
    default MOTCUA_LOOKUP_RATE) within the window that began with the window's first attempt."""
    parsed = parse_rate(rate)
    now_s = seconds(now or clock.now())
    check(_count(key_for(purpose, key), now_s=now_s, window=parsed.window), parsed, purpose=purpose)


# ---- lockout of a dossier code after wrong second factors ------------------------------------


def code_lock_key(code: str) -> str:
    return key_for("lookup-code", code)


def lock_seconds() -> int:
    return int(settings.MOTCUA_LOOKUP_CODE_LOCK_SECONDS)


def is_locked(count: int | None) -> bool:
    """From LOCK_SQL's answer: the failures counted in a running window or lock."""
    return count is not None and count >= int(settings.MOTCUA_LOOKUP_CODE_FAILURES)


def code_locked_error() -> RateLimited:
    minutes = max(1, round(lock_seconds() / 60))
    return RateLimited(CODE_LOCKED_MESSAGE.format(minutes=minutes), code="code_locked")


def count_failure(*, code: str, now: dt.datetime) -> int:
    """Count one wrong second factor for `code` (from any client). Failures are counted within
    MOTCUA_LOOKUP_CODE_LOCK_SECONDS of the first; the one that reaches MOTCUA_LOOKUP_CODE_FAILURES
    locks the code for MOTCUA_LOOKUP_CODE_LOCK_SECONDS from then. Returns the count."""
    lock = lock_seconds()
    return _count(
        code_lock_key(code),
        now_s=seconds(now),
        window=lock,
        lock_after=int(settings.MOTCUA_LOOKUP_CODE_FAILURES),
        lock_for=lock,
    )


def code_is_locked(*, code: str, now: dt.datetime) -> bool:
    with connection.cursor() as cur:
        cur.execute(LOCK_SQL, [code_lock_key(code), seconds(now)])
        row = cur.fetchone()
    return is_locked(row[0] if row else None)


# ---- the client's address --------------------------------------------------------------------


def _meta_name(header: str) -> str:
    """ "X-Forwarded-For" or "HTTP_X_FORWARDED_FOR" → the request.META key."""
    name = header.strip().upper().replace("-", "_")
    if name and name not in {"REMOTE_ADDR"} and not name.startswith("HTTP_"):
        name = "HTTP_" + name
    return name


def _address(value: str) -> str | None:
    """A valid IP address as the counter's key; an IPv6 client is its /64 (one subscriber's
    network), or it would have 2^64 keys to itself."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key(request: HttpRequest) -> str:
    """The client's address. Behind the documented reverse proxy, the proxies append the address
    they saw to MOTCUA_TRUSTED_PROXY_HEADER: the entry MOTCUA_TRUSTED_PROXY_COUNT from the right is
    the one our own outermost proxy wrote, so what a client sends in the header itself (entries to
    the left) is ignored. Without the setting, or when the entry is not an IP address: the
    socket's address."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) or "unknown"
    header = _meta_name(getattr(settings, "MOTCUA_TRUSTED_PROXY_HEADER", "") or "")
    if not header:
        return remote
    hops = [h.strip() for h in str(request.META.get(header, "")).split(",") if h.strip()]
    depth = int(getattr(settings, "MOTCUA_TRUSTED_PROXY_COUNT", 1) or 1)
    if depth < 1 or len(hops) < depth:
        return remote
    return _address(hops[-depth]) or remote
