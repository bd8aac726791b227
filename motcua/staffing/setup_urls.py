"""The people set-up screens under /quan-tri/nhan-su/ (issue 11 §1)."""

from django.urls import path

from . import setup_views as v

urlpatterns = [
    path("", v.people_list, name="people"),
    path("can-bo/<int:pk>/", v.person, name="person"),
    path("can-bo/<int:pk>/vi-tri/", v.person_position, name="person_position"),
    path("can-bo/<int:pk>/ky-nang/", v.skill_set, name="skill_set"),
    path("can-bo/<int:pk>/ky-nang/xoa/", v.skill_remove, name="skill_remove"),
    path("can-bo/<int:pk>/dao-tao/", v.training_add, name="training_add"),
    path("can-bo/<int:pk>/dao-tao/<int:training_pk>/xoa/", v.training_remove, name="training_remove"),
    path("can-bo/<int:pk>/chuyen-phong/", v.move, name="move"),
    path("vi-tri/", v.positions, name="positions"),
    path("vi-tri/<int:pk>/", v.position_update, name="position_update"),
    path("vi-tri/<int:pk>/dong/", v.position_close, name="position_close"),
    path("ky-nang/", v.matrix, name="matrix"),
    path("ky-nang/excel/", v.matrix_xlsx, name="matrix_xlsx"),
    path("nhom-linh-vuc/", v.groups, name="groups"),
    path("nhom-linh-vuc/<int:pk>/", v.group_fields, name="group_fields"),
]
