"""System checks of an installation's settings (`motcua check --deploy`)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register(Tags.security, deploy=True)
def check_public_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """MOTCUA_PUBLIC_URL is what residents' phones open from the QR code on Mẫu 01."""
    url = str(getattr(settings, "MOTCUA_PUBLIC_URL", "") or "").strip()
    if not url:
        return [
            Error(
                "MOTCUA_PUBLIC_URL is not set: the QR code and the lookup link on the receipt (Mẫu 01) "
                "would not reach this server.",
                hint="Set MOTCUA_PUBLIC_URL to the address residents open, e.g. https://motcua.thanhkhe.danang.gov.vn",
                id="motcua.E001",
            )
        ]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return [
            Error(
                f"MOTCUA_PUBLIC_URL={url!r} is not an absolute http(s) address.",
                hint="Give scheme and host, e.g. https://motcua.thanhkhe.danang.gov.vn (no query string).",
                id="motcua.E002",
            )
        ]
    if _is_loopback(parts.hostname):
        return [
            Warning(
                f"MOTCUA_PUBLIC_URL={url!r} points to this machine's loopback address: a resident's phone "
                "cannot open it.",
                hint="Use the public name or address of the server.",
                id="motcua.W001",
            )
        ]
    return []
