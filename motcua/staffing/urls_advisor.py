from django.urls import path, re_path

from . import advisor_views as v

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("", v.advisor_view, name="tomorrow"),
    re_path(rf"^{DAY}/$", v.advisor_view, name="day"),
    re_path(rf"^ap-dung/{DAY}/$", v.apply_view, name="apply"),
]
