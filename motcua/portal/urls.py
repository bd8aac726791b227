from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("tra-cuu/<str:code>/<str:secret>/", views.status, name="status"),
    path("nop-truc-tuyen/", views.online_list, name="online_list"),
    path("nop-truc-tuyen/<str:code>/", views.online_submit, name="online_submit"),
    path("nop-truc-tuyen/da-gui/<int:pk>/<str:secret>/", views.online_done, name="online_done"),
]
