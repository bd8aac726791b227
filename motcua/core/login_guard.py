"""Wrong-password throttling for the staff login, on django-axes (issue 7 §3.6).

Axes counts failed logins in the database (shared by every worker) and refuses a login while a
limit is reached. It has one limit for every lockout parameter; motcua wants two: a few failures
per account (someone guessing one officer's password) and more per client address (an office
behind one proxy address has many officers who mistype). `ThrottlingHandler` scales each
parameter's count to axes's one limit, so `AXES_FAILURE_LIMIT` is the per-account limit and
`MOTCUA_LOGIN_CLIENT_FAILURE_LIMIT` the per-client one.

The client address is the one the rest of motcua uses (`motcua.core.ratelimit.client_key`: the
trusted proxy header when configured, else the socket address).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .text import clean_text

log = logging.getLogger("motcua.login")

LOCKED_MESSAGE = (
    "Tài khoản tạm thời bị khóa vì đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút "
    "hoặc liên hệ quản trị viên của xã, phường."
)


def client_ip(request: HttpRequest) -> str | None:
    """The client address axes records (a database IP field): the lookup's client key when it is
    an IP address, else None (then every such client shares one per-client counter)."""
    from .ratelimit import client_key

    key = str(client_key(request))
    try:
        return str(ipaddress.ip_address(key))
    except ValueError:
        return None


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username axes counts under: cleaned (no NUL, trimmed) and cut to its column's 255."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username") if request is not None else None
    if raw is None:
        return None
    return clean_text(str(raw))[:255]


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The login page again, saying in Vietnamese that the account is locked (HTTP 429)."""
    form = AuthenticationForm(request)
    context = {
        "form": form,
        "locked_message": LOCKED_MESSAGE.format(minutes=cooloff_minutes()),
        "next": request.POST.get("next", "") if request.method == "POST" else request.GET.get("next", ""),
    }
    return render(request, "core/login.html", context, status=429)


class ThrottlingHandler(AxesDatabaseHandler):
    """Axes's database handler with one limit per lockout parameter (see the module docstring).

    `AXES_LOCKOUT_PARAMETERS` is ["username", "ip_address"]; axes locks when `get_failures` reaches
    `AXES_FAILURE_LIMIT`. Each parameter's count n against its own limit L is reported as
    n * AXES_FAILURE_LIMIT // L, which reaches AXES_FAILURE_LIMIT exactly when n reaches L."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        base = int(settings.AXES_FAILURE_LIMIT)
        limits = [base, int(settings.MOTCUA_LOGIN_CLIENT_FAILURE_LIMIT)]
        scaled = 0
        for attempts, limit in zip(self.get_user_attempts(request, credentials), limits, strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            scaled = max(scaled, failures * base // limit)
        return scaled


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes's guard, first of AUTHENTICATION_BACKENDS. A call to `authenticate()` without a request
    (code, management commands — never the login page) has no client to count and passes on to
    the model backend instead of failing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def log_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """One line per wrong password: the username and the client, never the password (Django
    already replaces it in `credentials`; it is not read here at all)."""
    if request is None:
        return
    log.warning(
        "login failed: username=%r client=%s",
        username_of(request, credentials),
        client_ip(request) or "unknown",
    )
