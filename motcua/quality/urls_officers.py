"""`/chat-luong/can-bo/` (namespace quality_officers): the officer's own page, the officers a
leader leads, one officer's page, and their workbooks (see officer_views)."""

from django.urls import URLPattern, path

from . import officer_views as views

urlpatterns: list[URLPattern] = [
    path("", views.me, name="me"),
    path("danh-sach/", views.officer_list, name="list"),
    path("danh-sach/xuat-excel/", views.list_export, name="list_export"),
    path("<int:pk>/", views.officer, name="officer"),
    path("<int:pk>/xuat-excel/", views.export, name="export"),
]
