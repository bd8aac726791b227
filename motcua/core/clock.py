"""The one place the interface reads the time; domain functions take `now` as an argument.

Tests (and the browser test that replays a dossier from 10/02/2026) pin the clock with
`clock.pinned(moment)`; production never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    return _pinned if _pinned is not None else timezone.now()


def pin(moment: dt.datetime | None) -> None:
    global _pinned
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("pin an aware datetime")
    _pinned = moment


@contextmanager
def pinned(moment: dt.datetime) -> Iterator[None]:
    previous = _pinned
    pin(moment)
    try:
        yield
    finally:
        pin(previous)
