from django.urls import path

from . import views

app_name = "queueing"

urlpatterns = [
    path("ve/<int:pk>/<str:secret>/", views.ticket, name="ticket"),
    path("<str:code>/", views.take, name="take"),
]
