from django.urls import include, path

from motcua.config.api import api
from motcua.core import urls as core_urls
from motcua.org import account_urls

urlpatterns = [
    # Core's login and org's account pages share the "core" namespace (core imports no app).
    path("", include((core_urls.urlpatterns + account_urls.urlpatterns, "core"))),
    path("", include("motcua.portal.urls")),
    path("thu-tuc/", include("motcua.catalog.urls")),
    path("lay-so/", include("motcua.queueing.urls")),
    path("ho-so/", include("motcua.dossiers.urls")),
    # Feedback (issue 9): sessions and the leader's view before the staff pages' prefix.
    path("phan-anh/doi-thoai/", include(("motcua.feedback.urls_sessions", "feedback_sessions"))),
    path("phan-anh/tong-hop/", include(("motcua.feedback.urls_leader", "feedback_leader"))),
    path("phan-anh/", include(("motcua.feedback.urls", "feedback"))),
    path("gop-y/", include(("motcua.feedback.urls_public", "feedback_public"))),
    path("open311/v2/", include(("motcua.feedback.open311.urls", "open311"))),
    path("chat-luong/can-bo/", include(("motcua.quality.urls_officers", "quality_officers"))),
    path("chat-luong/", include(("motcua.quality.urls", "quality"))),
    path("danh-gia/", include(("motcua.quality.urls_ratings", "ratings"))),
    # Staffing (issue 11): the day's plan, workload, the advisor, alerts, skills, volunteers.
    path("nhan-su/lich/", include(("motcua.staffing.urls_plan", "staffing_plan"))),
    path("nhan-su/cong-viec/", include(("motcua.staffing.urls_workload", "staffing_workload"))),
    path("nhan-su/du-bao/", include(("motcua.staffing.urls_advisor", "staffing_advisor"))),
    path("nhan-su/canh-bao/", include(("motcua.staffing.urls_alerts", "staffing_alerts"))),
    path("nhan-su/ky-nang/", include(("motcua.staffing.urls_gaps", "staffing_gaps"))),
    path("nhan-su/tinh-nguyen/", include(("motcua.staffing.urls_volunteers", "volunteers"))),
    path("nhan-su/", include(("motcua.staffing.urls", "staffing"))),
    path("thong-bao/", include(("motcua.notify.urls", "notify"))),
    path("hop-nhat-danh-sach/", include("motcua.registers.urls")),
    path("quan-tri/hang-cho/", include("motcua.queueing.setup_urls")),
    path("quan-tri/nhan-su/", include(("motcua.staffing.setup_urls", "staffing_setup"))),
    path("quan-tri/phan-anh/", include("motcua.feedback.setup_urls")),
    path("quan-tri/", include("motcua.org.urls")),
    path("api/", api.urls),
]
