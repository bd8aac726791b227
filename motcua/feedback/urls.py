"""The feedback desk's staff pages (/phan-anh/, namespace "feedback")."""

from django.urls import URLPattern, URLResolver, path

from . import staff_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff_views.item_list, name="list"),
    path("moi/", staff_views.item_new, name="new"),
    path("anh/<int:pk>/", staff_views.photo, name="photo"),
    path("<int:pk>/", staff_views.item_detail, name="detail"),
    path("<int:pk>/<slug:action>/", staff_views.item_act, name="act"),
]
