from django.urls import path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("tiep-nhan/", views.counter, name="counter"),
    path("tiep-nhan/tim-thu-tuc/", views.procedure_search, name="procedure_search"),
    path("tiep-nhan/<str:code>/", views.intake, name="intake"),
    path("viec-cua-toi/", views.inbox, name="inbox"),
    path("cho-phe-duyet/", views.approvals, name="approvals"),
    path("so-theo-doi/", views.book, name="book"),
    path("tim-kiem/", views.search, name="search"),
    path("cho-bo-sung/", views.supplements, name="supplements"),
    path("tong-quan/", views.overview, name="overview"),
    path("tai-lieu/<int:pk>/", views.document, name="document"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/thao-tac/<slug:action>/", views.act, name="act"),
    path("<int:pk>/tai-lieu/", views.attach, name="attach"),
    path("<int:pk>/mau/<str:form>/", views.printed_form, name="form"),
]
