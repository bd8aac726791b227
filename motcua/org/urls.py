from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("", views.admin_home, name="admin_home"),
    path("phong-ban/", views.departments, name="departments"),
    path("phong-ban/<int:pk>/doi-ten/", views.department_rename, name="department_rename"),
    path("phong-ban/<int:pk>/dong/", views.department_close, name="department_close"),
    path("can-bo/", views.staff, name="staff"),
    path("can-bo/nhap-excel/", views.staff_import, name="staff_import"),
    path("can-bo/mau-nhap.xlsx", views.staff_template, name="staff_template"),
    path("can-bo/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("can-bo/<int:pk>/trang-thai/", views.staff_set_active, name="staff_set_active"),
    path("can-bo/<int:pk>/dat-lai-mat-khau/", views.staff_reset_password, name="staff_reset_password"),
    path("thong-tin-don-vi/", views.profile, name="profile"),
]
