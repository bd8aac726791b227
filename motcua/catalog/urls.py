from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("quan-ly/xuat-excel/", views.export_excel, name="export"),
    path("quan-ly/nhap-excel/", views.import_excel, name="import"),
    path("<str:code>/", views.procedure_detail, name="detail"),
]
