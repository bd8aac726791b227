"""The alerts' screens: the leader's page (detection on reading), «Điều động» and «Bỏ qua», the
alert's page with the simulation before/after, the officer's banner; who is refused."""

from __future__ import annotations

import pytest

from motcua.core import clock
from motcua.org.models import DepartmentKind, Role
from motcua.staffing.models import Alert, AlertState, DetectionMark
from motcua.testing import make_commune, make_staff, make_user

from .test_alerts import NOW, hall

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned():
    with clock.pinned(NOW):
        yield


def test_the_leader_sees_the_alert_and_moves_the_named_officer(client):
    w = hall()
    client.force_login(w["staff"]["leader"])
    hub = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/canh-bao/"' in hub
    page = client.get("/nhan-su/canh-bao/").content.decode()
    assert "14 người chờ đất đai - xây dựng — Nguyễn Văn Minh có thể hỗ trợ" in page
    alert = Alert.objects.get()
    assert f'action="/nhan-su/canh-bao/{alert.pk}/dieu-dong/"' in page
    assert 'hx-trigger="every 20s"' in page
    response = client.post(f"/nhan-su/canh-bao/{alert.pk}/dieu-dong/", {"officer": w["minh"].pk, "note": ""})
    assert response.status_code == 302 and response["Location"] == f"/nhan-su/canh-bao/{alert.pk}/"
    alert.refresh_from_db()
    assert alert.state == AlertState.ACTED and alert.closed_by == w["staff"]["leader"]
    detail = client.get(response["Location"]).content.decode()
    assert "Mô phỏng phần còn lại của buổi" in detail and 'data-testid="after-B"' in detail
    assert "<svg" in detail
    history = client.get("/nhan-su/canh-bao/").content.decode()
    assert "Đã điều động" in history and "Nguyễn Văn Minh hỗ trợ nhóm B" in history


def test_the_officer_sees_the_banner_on_the_console(client):
    w = hall()
    client.force_login(w["minh"])
    console = client.get(f"/lay-so/quay/{w['a_counter'].pk}/").content.decode()
    assert 'hx-get="/nhan-su/canh-bao/cua-toi/"' in console
    banner = client.get("/nhan-su/canh-bao/cua-toi/").content.decode()
    assert "Hàng chờ B — Đất đai - Xây dựng đang dồn (14 người chờ)" in banner


def test_dismiss_needs_a_clean_reason(client):
    w = hall()
    client.force_login(w["staff"]["leader"])
    client.get("/nhan-su/canh-bao/")
    alert = Alert.objects.get()
    bad = client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": "a\x00b"})
    assert bad.status_code == 422 and "ký tự không hợp lệ" in bad.content.decode()
    long = client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": "x" * 301})
    assert long.status_code == 422 and "dài quá 300 ký tự" in long.content.decode()
    empty = client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": ""})
    assert empty.status_code == 422 and "lý do" in empty.content.decode()
    ok = client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": "Quầy 2 sắp nghỉ trưa"})
    assert ok.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.DISMISSED
    bad_officer = client.post(f"/nhan-su/canh-bao/{alert.pk}/dieu-dong/", {"officer": "x\x00"})
    assert bad_officer.status_code == 422


def test_access(client):
    w = hall()
    other = make_staff(make_commune(20210, "Phường An Khê", "H48.20210"), prefix="ak_")
    client.force_login(w["staff"]["leader"])
    client.get("/nhan-su/canh-bao/")
    alert = Alert.objects.get()
    client.force_login(other["leader"])
    assert client.get(f"/nhan-su/canh-bao/{alert.pk}/").status_code == 404
    assert client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": "x"}).status_code == 404
    assert "Nguyễn Văn Minh" not in client.get("/nhan-su/canh-bao/").content.decode()
    for who in ("counter", "specialist_econ", "admin"):
        client.force_login(w["staff"][who])
        assert client.get("/nhan-su/canh-bao/").status_code == 403
        assert client.post(f"/nhan-su/canh-bao/{alert.pk}/bo-qua/", {"note": "x"}).status_code == 403
    head = make_user(w["commune"], Role.DEPARTMENT_HEAD, "gd_tt", DepartmentKind.SERVICE_CENTER)
    client.force_login(head)
    assert client.get(f"/nhan-su/canh-bao/{alert.pk}/").status_code == 200
    client.logout()
    assert client.get("/nhan-su/canh-bao/").status_code == 302
    assert Alert.objects.get().state == AlertState.OPEN


def test_detection_on_read_is_throttled_per_commune(monkeypatch, client):
    """Ten officers' banners polling every 20 s do not run ten detections: one per
    MOTCUA_STAFFING_ALERT_DETECT_SECONDS, then again once that time has passed."""
    import datetime as dt

    from motcua.core import clock
    from motcua.staffing import alert_views
    from motcua.testing import make_commune, make_staff

    staff = make_staff(make_commune())
    runs: list[object] = []
    monkeypatch.setattr(alert_views.alerts, "alerts_detect", lambda *, commune, now: runs.append(now) or [])
    start = clock.now()
    for seconds in (0, 5, 14, 16, 20):
        with clock.pinned(start + dt.timedelta(seconds=seconds)):
            alert_views._detect(staff["leader"])
    assert [round((t - start).total_seconds()) for t in runs] == [0, 16]
    # the mark is one row per commune, shared by every worker
    assert DetectionMark.objects.get(commune=staff["leader"].commune).last_at == start + dt.timedelta(
        seconds=16
    )
    # another commune has its own
    other = make_staff(make_commune(20210, "Phường Khác", "H48.20210"), prefix="o_")
    with clock.pinned(start + dt.timedelta(seconds=20)):
        alert_views._detect(other["leader"])
    assert len(runs) == 3 and DetectionMark.objects.count() == 2


def test_the_detection_throttle_is_shared_by_every_worker(monkeypatch):
    """Several gunicorn workers each have their own memory (a per-process cache let each detect):
    a worker that has never seen the commune still skips detection within the N seconds, since the
    guard is the commune's DetectionMark row, not the process's cache."""
    import datetime as dt

    from django.core.cache import cache

    from motcua.staffing import alert_views

    staff = make_staff(make_commune())
    runs: list[object] = []
    monkeypatch.setattr(alert_views.alerts, "alerts_detect", lambda *, commune, now: runs.append(now) or [])
    with clock.pinned(NOW):
        alert_views._detect(staff["leader"])
    cache.clear()  # "another worker": nothing in its memory
    with clock.pinned(NOW + dt.timedelta(seconds=5)):
        alert_views._detect(staff["leader"])
    assert runs == [NOW]
    # a second worker's UPDATE finds the row already moved on: it does not detect
    assert (
        DetectionMark.objects.filter(
            commune=staff["leader"].commune,
            last_at__lte=NOW + dt.timedelta(seconds=5) - dt.timedelta(seconds=15),
        ).update(last_at=NOW)
        == 0
    )
    # a clock set back (a mark in the future) does not silence detection
    with clock.pinned(NOW - dt.timedelta(minutes=5)):
        alert_views._detect(staff["leader"])
    assert len(runs) == 2
