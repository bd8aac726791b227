"""The JSON API: one NinjaAPI, one router per app, one error shape for every domain error."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from motcua.core.errors import DomainError
from motcua.org.api_auth import ApiTokenAuth

api = NinjaAPI(
    title="motcua API",
    version="1",
    description="API của nền tảng một cửa cấp xã: thủ tục, hồ sơ, tra cứu.",
    auth=ApiTokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message, "details": exc.details}, status=exc.status
    )


def _register_routers() -> None:
    from motcua.catalog.api import router as catalog_router
    from motcua.dossiers.api import router as dossiers_router
    from motcua.portal.api import router as portal_router
    from motcua.queueing.api import router as queueing_router
    from motcua.queueing.api_events import router as queueing_events_router

    api.add_router("/procedures", catalog_router)
    api.add_router("/dossiers", dossiers_router)
    api.add_router("/public", portal_router)
    api.add_router("/queue", queueing_router)
    # The event stream (async) beside it on the same prefix: motcua.config.asgi sends its path
    # to Django's ASGI handler, every other request to the WSGI one.
    api.add_router("/queue", queueing_events_router)


_register_routers()
