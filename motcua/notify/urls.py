from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "notify"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tu-choi/", views.opt_out, name="opt_out"),
    path("tu-choi/<str:token>/", views.opt_out_confirm, name="opt_out_confirm"),
]
