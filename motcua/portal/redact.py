"""Keep residents' secrets out of the logs: the QR secret in status links
(`/tra-cuu/<code>/<secret>/`, and `/nop-truc-tuyen/da-gui/<pk>/<secret>/` after an online
submission; see urls.py), the queue's ticket and appointment links (`/lay-so/ve/<pk>/<secret>/`,
`/lay-so/may/ve/<pk>/<secret>/`, `/lay-so/hen/<pk>/<secret>/`: whoever holds one can cancel the
ticket or the appointment), a feedback reporter's links (`/gop-y/theo-doi/<code>/<secret>/`,
`/gop-y/da-gui/<code>/<secret>/`: whoever holds one rates or reopens the item) and second
factors in lookup queries (`sdt=`, `phone_last4=`, `secret=`). Used by Django's logging (settings LOGGING) and by gunicorn's access
log (motcua.config.gunicorn_conf)."""

from __future__ import annotations

import logging
import re

_STATUS_PATH = re.compile(
    r"(/(?:tra-cuu|nop-truc-tuyen/da-gui|lay-so/(?:may/)?(?:ve|hen)|gop-y/(?:theo-doi|da-gui))/[^/?#\s\"']+/)[^/?#\s\"']+"
)
# `q=`: the staff search takes a full phone or CCCD number (dossiers:search, dossiers:book).
_QUERY = re.compile(r"(?i)((?:^|[?&;])(?:sdt|phone_last4|secret|q)=)[^&#\s\"']*")
MASK = "***"


def redact(text: str) -> str:
    """`/tra-cuu/H48.20209-260210-0001/AbC…/` → `/tra-cuu/H48.20209-260210-0001/***/`."""
    if "/" not in text and "=" not in text:
        return text
    return _QUERY.sub(rf"\g<1>{MASK}", _STATUS_PATH.sub(rf"\g<1>{MASK}", text))


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites the record's message with the secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
