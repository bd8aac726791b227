"""The feedback set-up screen for the commune administrator, under /quan-tri/phan-anh/."""

from django.urls import path

from . import setup_views as v

app_name = "feedback_setup"

urlpatterns = [
    path("", v.categories, name="categories"),
    path("mac-dinh/", v.use_defaults, name="use_defaults"),
    path("linh-vuc/<int:pk>/", v.category_update, name="category_update"),
    path("linh-vuc/<int:pk>/trang-thai/", v.category_set_active, name="category_set_active"),
]
