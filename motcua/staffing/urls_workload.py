from django.urls import path

from . import workload_views as v

urlpatterns = [
    path("", v.page_view, name="page"),
    path("cua-toi/", v.mine_view, name="mine"),
    path("xuat-excel/", v.export_view, name="export"),
]
