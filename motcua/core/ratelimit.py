"""A fixed-window counter in the cache, per client address and purpose.

The default cache is per process (locmem); production with several workers should point
CACHES at a shared cache (database or Redis) so the limit holds across workers — see
docs/operations.md."""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .errors import RateLimited


def client_key(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(*, purpose: str, key: str, rate: str | None = None) -> None:
    """Count one attempt; raise RateLimited past `rate` ("attempts/seconds")."""
    limit_s, window_s = (rate or settings.MOTCUA_LOOKUP_RATE).split("/")
    limit, window = int(limit_s), int(window_s)
    bucket = int(time.time() // window)
    name = f"rl:{purpose}:{key}:{bucket}"
    cache.add(name, 0, timeout=window + 1)
    try:
        count = cache.incr(name)
    except ValueError:
        cache.set(name, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.", code="rate_limited")
