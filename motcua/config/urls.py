from django.urls import include, path

from motcua.config.api import api
from motcua.core import urls as core_urls
from motcua.org import account_urls

urlpatterns = [
    # Core's login and org's account pages share the "core" namespace (core imports no app).
    path("", include((core_urls.urlpatterns + account_urls.urlpatterns, "core"))),
    path("", include("motcua.portal.urls")),
    path("thu-tuc/", include("motcua.catalog.urls")),
    path("lay-so/", include("motcua.queueing.urls")),
    path("ho-so/", include("motcua.dossiers.urls")),
    path("hop-nhat-danh-sach/", include("motcua.registers.urls")),
    path("quan-tri/hang-cho/", include("motcua.queueing.setup_urls")),
    path("quan-tri/", include("motcua.org.urls")),
    path("api/", api.urls),
]
