from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chi-so/<str:code>/", views.indicator, name="indicator"),
    path("xuat-excel/", views.export, name="export"),
    path("tinh/", views.province, name="province"),
    path("tinh/xuat-excel/", views.province_export, name="province_export"),
    path("tinh/<int:commune>/", views.province_commune, name="province_commune"),
    path("tinh/<int:commune>/chi-so/<str:code>/", views.province_indicator, name="province_indicator"),
]
