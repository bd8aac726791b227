from django.urls import include, path

from motcua.config.api import api

urlpatterns = [
    path("", include("motcua.core.urls")),
    path("", include("motcua.portal.urls")),
    path("thu-tuc/", include("motcua.catalog.urls")),
    path("ho-so/", include("motcua.dossiers.urls")),
    path("hop-nhat-danh-sach/", include("motcua.registers.urls")),
    path("quan-tri/", include("motcua.org.urls")),
    path("api/", api.urls),
]
