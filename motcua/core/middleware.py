import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import DomainError


class DomainErrorMiddleware:
    """Turn a domain error that escaped a view into the same error partial, with its status:
    403 for NotAllowed, 404 for NotFound, 409/422 for the rest. Views that can re-show a form
    catch ValidationFailed themselves; this is the net under them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        template = "core/_error.html" if request.headers.get("HX-Request") else "core/error_page.html"
        return render(request, template, {"message": exc.message, "details": exc.details}, status=exc.status)


# Resident pages that show a dossier's personal data (names, steps, dates): never kept by a browser
# or a proxy cache, like every page an officer sees.
_PRIVATE_PUBLIC_PAGES = {"portal:lookup", "portal:status", "portal:online_submit", "portal:online_done"}
_PRIVATE_PUBLIC_PAGES |= {"queueing:take", "queueing:ticket"}  # the queue's phone pages (issue 8)
_PRIVATE_PUBLIC_PAGES |= {"queueing:book", "queueing:appointment"}  # appointments: name, phone, QR


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user (staff pages, documents,
    the API with a token), on the residents' status pages and on the API: nothing personal stays
    in a shared computer's browser cache or in a proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (
            (user is not None and user.is_authenticated)
            or (match is not None and match.view_name in _PRIVATE_PUBLIC_PAGES)
            or request.path_info.startswith("/api/")
        ):
            # Django drops a view's "public" when "private" is patched in.
            patch_cache_control(response, no_store=True, private=True)
        return response


# Sent by a page's own polling (``hx-headers`` on the polled element: the counter console's state
# and alert banner, the leader's open alerts, a merge's progress and downloads): not the user's
# activity, so it never keeps an unattended session alive.
POLL_HEADER = "X-Motcua-Poll"


class StaffIdleTimeoutMiddleware:
    """A signed-in user's session ends after MOTCUA_SESSION_IDLE_SECONDS (8 hours) without a
    request of theirs (a page's own polling, ``POLL_HEADER``, does not count: a console left
    open overnight is signed out). The last request's time is kept in the session but written only when it is more than
    MOTCUA_SESSION_RENEW_SECONDS old, so an officer's page views do not write the session table on
    every request; each write also pushes the session's own expiry (SESSION_COOKIE_AGE) forward.
    Idle time is the machine's wall clock, not motcua.core.clock: a test or a replay that pins the
    domain's "now" must not log its officer out."""

    KEY = "motcua_last_seen"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last_seen = request.session.get(self.KEY)
            idle_limit = int(settings.MOTCUA_SESSION_IDLE_SECONDS)
            if isinstance(last_seen, int) and now - last_seen > idle_limit:
                logout(request)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = htmx_login_url(request)
                    return response
                return redirect_to_login(request.get_full_path())
            polled = bool(request.headers.get(POLL_HEADER))
            if not polled and (
                not isinstance(last_seen, int)
                or now - last_seen >= int(settings.MOTCUA_SESSION_RENEW_SECONDS)
            ):
                request.session[self.KEY] = now
        return self.get_response(request)


def htmx_login_url(request: HttpRequest) -> str:
    """The login page, and after it the page an htmx request came from (``HX-Current-URL``), not
    the fragment it asked for: path and query only, and only when Django would follow it."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = current.path + (f"?{current.query}" if current.query else "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = request.get_full_path()
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session is gone (expired, signed out in another tab) gets the login
    page's redirect from ``login_required``; htmx would follow it and swap the login form into
    the fragment it re-reads — a merge's progress card, the downloads, a counter's console. Such
    an answer becomes ``HX-Redirect`` (status 200, which htmx acts on): the whole page goes to the
    login, and after signing in back to that page (``htmx_login_url``)."""

    _REDIRECTS = (301, 302, 303, 307, 308)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or response.status_code not in self._REDIRECTS:
            return response
        if urlsplit(response.get("Location", "")).path != resolve_url(settings.LOGIN_URL):
            return response
        redirected = HttpResponse(status=200)
        redirected["HX-Redirect"] = htmx_login_url(request)
        return redirected
