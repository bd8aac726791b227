from django.urls import path

from . import appointment_views, board, views

app_name = "queueing"

urlpatterns = [
    path("ve/<int:pk>/<str:secret>/", views.ticket, name="ticket"),
    path("hen/<int:pk>/<str:secret>/", appointment_views.appointment, name="appointment"),
    path("quay/lich-hen/", appointment_views.today, name="appointments_today"),
    path("<str:code>/dat-lich/", appointment_views.book, name="book"),
    path("<str:code>/bang/", board.board, name="board"),
    path("<str:code>/bang/trang-thai/", board.board_state_fragment, name="board_state"),
    path("<str:code>/", views.take, name="take"),
]
