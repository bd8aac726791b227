"""Dialogue sessions (issue 9 §3), mounted at /phan-anh/doi-thoai/."""

from django.urls import URLPattern, URLResolver, path

from . import session_views as v

app_name = "feedback_sessions"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", v.session_list, name="list"),
    path("moi/", v.session_create, name="create"),
    path("to-dan-pho/", v.neighbourhoods, name="neighbourhoods"),
    path("to-dan-pho/<int:pk>/", v.neighbourhood_update, name="neighbourhood_update"),
    path("lich/<int:code>/", v.public_calendar, name="calendar"),
    path("<int:pk>/", v.session_detail, name="detail"),
    path("<int:pk>/cong-bo/", v.session_publish, name="publish"),
    path("<int:pk>/huy/", v.session_cancel, name="cancel"),
    path("<int:pk>/thong-bao/", v.session_notice, name="notice"),
    path("<int:pk>/ghi-nhan/", v.record, name="record"),
    path("<int:pk>/ghi-nhan/so-nguoi/", v.attendance, name="attendance"),
    path("<int:pk>/ghi-nhan/bien-ban/", v.minutes, name="minutes"),
    path("<int:pk>/ghi-nhan/y-kien/", v.issue, name="issue"),
    path("<int:pk>/ghi-nhan/y-kien/<int:item_pk>/<slug:action>/", v.issue_act, name="issue_act"),
    path("<int:pk>/ket-thuc/", v.finish, name="finish"),
    path("<int:pk>/bien-ban/", v.report, name="report"),
]
