from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
