"""The residents' rating pages, mounted at /danh-gia/ (namespace "ratings"): no login."""

from django.urls import URLPattern, path

from . import rating_views as views

urlpatterns: list[URLPattern] = [
    path("ho-so/<str:code>/<str:secret>/", views.dossier, name="dossier"),
    path("ve/<int:pk>/<str:secret>/", views.ticket, name="ticket"),
    path("may/kich-hoat/", views.tablet_activate, name="tablet_activate"),
    path("may/trang-thai/", views.tablet_state, name="tablet_state"),
    path("may/gui/", views.tablet_submit, name="tablet_submit"),
    path("may/", views.tablet, name="tablet"),
]
