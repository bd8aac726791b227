"""The account pages; `motcua/config/urls.py` serves them in the `core` namespace beside the login."""

from django.urls import path

from . import account_views as views

urlpatterns = [
    path("lam-viec/", views.home, name="home"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", views.password_change_done, name="password_change_done"),
]
