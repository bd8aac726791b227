from django.urls import path, re_path

from . import plan_views as v

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("", v.day_view, name="today"),
    path("cua-toi/", v.mine_view, name="mine"),
    path("ca/<int:pk>/", v.slot_view, name="slot"),
    path("ca/<int:pk>/xoa/", v.slot_remove_view, name="slot_remove"),
    re_path(rf"^{DAY}/$", v.day_view, name="day"),
    re_path(rf"^{DAY}/them/$", v.add_view, name="add"),
    re_path(rf"^{DAY}/vang/$", v.absent_view, name="absent"),
    re_path(rf"^{DAY}/sao-chep/$", v.copy_view, name="copy"),
]
