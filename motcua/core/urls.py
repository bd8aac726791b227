from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "core"
# The account pages (the start page of a role, the password change) are org's
# (`motcua/org/account_urls.py`); `motcua/config/urls.py` serves them in this namespace.

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
]
