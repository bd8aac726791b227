from django.urls import path

from . import volunteer_views as views

urlpatterns = [
    path("", views.index, name="index"),
    path("doi/moi/", views.team_create, name="team_create"),
    path("doi/<int:pk>/", views.team, name="team"),
    path("doi/<int:pk>/trang-thai/", views.team_active, name="team_active"),
    path("doi/<int:pk>/thanh-vien/", views.member_add, name="member_add"),
    path("thanh-vien/<int:pk>/trang-thai/", views.member_active, name="member_active"),
    path("ca/moi/", views.shift_create, name="shift_create"),
    path("ca/<int:pk>/", views.shift, name="shift"),
    path("ca/<int:pk>/xoa/", views.shift_delete, name="shift_delete"),
    path("ca/<int:pk>/ma-ghi-nhan/", views.shift_token, name="shift_token"),
    path("ca/<int:pk>/ghi-nhan/<str:token>/", views.record, name="record"),
    path("so-lieu/", views.counts, name="counts"),
    path("so-lieu/xuat-excel/", views.counts_export, name="counts_export"),
]
