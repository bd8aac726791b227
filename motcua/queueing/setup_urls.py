"""The queue's set-up screens for the commune administrator, under /quan-tri/hang-cho/."""

from django.urls import path

from . import setup_views as v

app_name = "queueing_setup"

urlpatterns = [
    path("", v.groups, name="groups"),
    path("nhom/<int:pk>/", v.group_update, name="group_update"),
    path("nhom/<int:pk>/trang-thai/", v.group_set_active, name="group_set_active"),
    path("quay/", v.counters, name="counters"),
    path("quay/<int:pk>/", v.counter_update, name="counter_update"),
    path("quay/<int:pk>/trang-thai/", v.counter_set_active, name="counter_set_active"),
    path("quay/<int:pk>/gio/", v.counter_hours_add, name="counter_hours_add"),
    path("quay/<int:pk>/gio/<int:hours_pk>/xoa/", v.counter_hours_remove, name="counter_hours_remove"),
    path("quay/<int:pk>/giai-phong/", v.counter_free, name="counter_free"),
    path("may-lay-so/", v.kiosks, name="kiosks"),
    path("may-lay-so/<int:pk>/thu-hoi/", v.kiosk_revoke, name="kiosk_revoke"),
]
