from django.urls import path

from . import leader_views

urlpatterns = [
    path("", leader_views.overview, name="overview"),
    path("tinh/", leader_views.province_inbox_view, name="province_inbox"),
    path("tinh/<int:pk>/", leader_views.province_item_view, name="province_item"),
]
