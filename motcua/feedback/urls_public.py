"""Residents' feedback pages under /gop-y/ (namespace "feedback_public")."""

from django.urls import URLPattern, URLResolver, path

from . import public_views as views

app_name = "feedback_public"

urlpatterns: list[URLPattern | URLResolver] = [
    path("nhap-excel/", views.import_excel, name="import"),
    path("theo-doi/", views.lookup, name="lookup"),
    path("theo-doi/<str:code>/<str:secret>/", views.track, name="track"),
    path("theo-doi/<str:code>/<str:secret>/anh/<int:pk>/", views.photo, name="photo"),
    path("theo-doi/<str:code>/<str:secret>/<str:action>/", views.act, name="act"),
    path("da-gui/<str:code>/<str:secret>/", views.done, name="done"),
    path("<str:code>/", views.new, name="new"),
    path("<str:code>/danh-sach/", views.items, name="list"),
]
