from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("quan-ly/xuat-excel/", views.export_excel, name="export"),
    path("quan-ly/nhap-excel/", views.import_excel, name="import"),
    path("quan-ly/nhap-excel/<uuid:import_id>/", views.import_preview, name="import_preview"),
    path("quan-ly/nhap-excel/<uuid:import_id>/ap-dung/", views.import_apply, name="import_apply"),
    path("quan-ly/lich-su-nhap/", views.import_history, name="import_history"),
    path("<str:code>/", views.procedure_detail, name="detail"),
]
