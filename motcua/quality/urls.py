from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chi-so/<str:code>/", views.indicator, name="indicator"),
    path("chi-so/<str:code>/xuat-excel/", views.indicator_export, name="indicator_export"),
    path("xuat-excel/", views.export, name="export"),
    path("tinh/", views.province, name="province"),
    path("tinh/xuat-excel/", views.province_export, name="province_export"),
    path("tinh/<int:commune>/", views.province_commune, name="province_commune"),
    path("tinh/<int:commune>/xuat-excel/", views.province_commune_export, name="province_commune_export"),
    path("tinh/<int:commune>/chi-so/<str:code>/", views.province_indicator, name="province_indicator"),
    path(
        "tinh/<int:commune>/chi-so/<str:code>/xuat-excel/",
        views.province_indicator_export,
        name="province_indicator_export",
    ),
]
