"""The application's URLs plus the baseline view of the benchmark."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from motcua.config.urls import urlpatterns as app_urlpatterns


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    """The smallest Django view: no database, no template."""
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
