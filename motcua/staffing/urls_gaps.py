from django.urls import path

from . import gaps_views

urlpatterns = [
    path("", gaps_views.commune, name="commune"),
    path("xuat-excel/", gaps_views.commune_export, name="commune_export"),
    path("tinh/", gaps_views.province, name="province"),
    path("tinh/xuat-excel/", gaps_views.province_export, name="province_export"),
    path("tinh/<int:commune>/", gaps_views.province_commune, name="province_commune"),
]
