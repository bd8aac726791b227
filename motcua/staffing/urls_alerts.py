from django.urls import path

from . import alert_views

urlpatterns = [
    path("", alert_views.page, name="page"),
    path("mo/", alert_views.open_fragment, name="open"),
    path("cua-toi/", alert_views.mine, name="mine"),
    path("<int:pk>/", alert_views.detail, name="detail"),
    path("<int:pk>/dieu-dong/", alert_views.move, name="move"),
    path("<int:pk>/bo-qua/", alert_views.dismiss, name="dismiss"),
]
