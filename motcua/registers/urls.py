from django.urls import path

from . import address_views, apply_views, national_views, views

app_name = "registers"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("dia-chi/", address_views.address_convert, name="addresses"),
    path("dia-chi/tai-ve/<str:token>/", address_views.address_download, name="addresses_download"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/tien-do/", views.job_progress, name="progress"),
    path("<int:pk>/chay-lai/", views.job_rerun, name="rerun"),
    path("<int:pk>/huy/", views.job_cancel, name="cancel"),
    path("<int:pk>/tai-ve/", views.job_download, name="download"),
    path("<int:pk>/ra-soat/", views.review, name="review"),
    path("<int:pk>/ra-soat/<int:pair_id>/", views.review_decide, name="decide"),
    # R-A apply decisions (issue 12)
    path("<int:pk>/ap-dung/", apply_views.job_apply, name="apply"),
    path("<int:pk>/tao-lai-tep/", apply_views.job_files_retry, name="files_retry"),  # R-F
    path("<int:pk>/tep-tai-ve/", apply_views.job_files, name="files"),  # R-G: polled while rewritten
    # R-B national export (issue 12)
    path("<int:pk>/tai-ve/dan-cu/", national_views.job_download_national, name="download_national"),
]
