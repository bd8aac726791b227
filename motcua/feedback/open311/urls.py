"""Open311 GeoReport v2 (namespace "open311", mounted at /open311/v2/). Every endpoint ends in
.json or .xml (`fmt`); another extension gets the JSON error array."""

from django.urls import URLPattern, URLResolver, path, re_path

from . import views

_FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + _FMT, views.service_definition, name="service"),
    re_path(r"^requests" + _FMT, views.request_list, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + _FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, views.token_detail, name="token"),
]
