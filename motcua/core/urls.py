from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("lam-viec/", views.home, name="home"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", views.password_change_done, name="password_change_done"),
]
