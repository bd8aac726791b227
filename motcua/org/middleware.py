"""A user whose password is a one-time password (set by an administrator, `must_change_password`)
changes it before any staff page: every page sends them to the password change page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

CHANGE_FIRST_MESSAGE = "Mật khẩu của bạn là mật khẩu dùng một lần: hãy đặt mật khẩu mới trước khi làm việc."
# What such a user may still open: the change itself, logging out, the login page; the residents'
# pages (namespace "portal") are no staff page.
_ALLOWED_VIEWS = {"core:password_change", "core:password_change_done", "core:logout", "core:login"}
_ALLOWED_NAMESPACES = {"portal"}


class ForcePasswordChangeMiddleware:
    """After AuthenticationMiddleware. An htmx request gets `HX-Redirect` (a 302 would be swapped
    into the page); the API is left alone (bearer tokens, no session); static files never reach
    a view here (whitenoise), and the development server's static view is let through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "must_change_password", False):
            return None
        path = request.path_info
        if path.startswith("/api/") or path.startswith(str(settings.STATIC_URL or "/static/")):
            return None
        match = request.resolver_match
        if match is not None and (
            match.view_name in _ALLOWED_VIEWS or match.namespace in _ALLOWED_NAMESPACES
        ):
            return None
        target = reverse("core:password_change")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = target
            return response
        messages.info(request, CHANGE_FIRST_MESSAGE)
        return HttpResponseRedirect(target)
