"""Who changed a commune's set-up, when: one line per change on the `motcua.audit` logger.

Written by default (the root logger is at WARNING): the service's log (journald) is where the
administrators' changes are reviewed until there is an audit table; LOGGING may set another level.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

audit = logging.getLogger("motcua.audit")
if audit.level == logging.NOTSET:
    audit.setLevel(logging.INFO)


class Actor(Protocol):
    username: str
    commune_id: int | None


def audit_log(*, area: str, actor: Actor, action: str, what: str, now: dt.datetime) -> None:
    """`<area> <action> by <user> (commune <id>) at <iso time>: <what>`."""
    audit.info(
        "%s %s by %s (commune %s) at %s: %s",
        area,
        action,
        actor.username,
        actor.commune_id,
        now.isoformat(),
        what,
    )
