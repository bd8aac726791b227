from django.urls import path

from . import appointment_views, board, console, stats_views, views

app_name = "queueing"

urlpatterns = [
    path("ve/<int:pk>/<str:secret>/", views.ticket, name="ticket"),
    path("ve/<int:pk>/<str:secret>/roi-hang/", views.leave, name="leave"),
    path("may/", views.kiosk, name="kiosk"),
    path("may/kich-hoat/", views.kiosk_activate, name="kiosk_activate"),
    path("may/ve/<int:pk>/<str:secret>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("<str:code>/ap-phich/", views.poster, name="poster"),
    path("hen/<int:pk>/<str:secret>/", appointment_views.appointment, name="appointment"),
    path("quay/lich-hen/", appointment_views.today, name="appointments_today"),
    path("<str:code>/dat-lich/", appointment_views.book, name="book"),
    path("<str:code>/bang/", board.board, name="board"),
    path("<str:code>/bang/trang-thai/", board.board_state_fragment, name="board_state"),
    path("quay/", console.console, name="console"),
    path("quay/<int:pk>/", console.console_counter, name="console_counter"),
    path("quay/<int:pk>/trang-thai/", console.console_state_fragment, name="console_state"),
    path("quay/<int:pk>/ho-so/", console.console_intake, name="console_intake"),
    path("quay/<int:pk>/thao-tac/<slug:action>/", console.console_act, name="console_act"),
    path("thong-ke/", stats_views.stats, name="stats"),
    path("<str:code>/", views.take, name="take"),
]
