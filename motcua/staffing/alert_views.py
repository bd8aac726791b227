"""Live imbalance alerts' screens (issue 11 §5): thin views over `alerts.py`.

`/nhan-su/canh-bao/` the leader's page (the commune leader, the service center's head): the open
alerts with the proposal and «Điều động» / «Bỏ qua», the day's history; its `mo/` fragment is polled
every 20 s. `<pk>/` one alert (after a move: the rest of the day simulated before and after).
`cua-toi/` the officer's banner fragment (on the counter console). Reading the page, the fragment
or the banner runs detection (alerts.alerts_detect) for the user's commune.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from motcua.core import clock
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.org.models import Role, User
from motcua.quality import charts

from . import alerts
from .models import AlertKind, AlertState, DetectionMark

REFRESH_S = 20


def _leader(request: HttpRequest) -> User:
    return alerts.actor_for_alerts(request.user)


def _detect(user: User) -> None:
    """Detection for the user's commune, at most once per MOTCUA_STAFFING_ALERT_DETECT_SECONDS
    across every web worker: the leader's page and every officer's banner poll every 20 s, and ten
    officers polling (on several gunicorn workers) must not run ten detections (a dozen queries
    each) every 20 s. The guard is a row per commune (DetectionMark): the request whose conditional
    UPDATE … SET last_at = now WHERE last_at ≤ now − N s (or last_at > now: a clock set back)
    changes it detects, the others do not; the row is created on first use, by its creator's
    detection."""
    assert user.commune is not None
    now = clock.now()
    mark, created = DetectionMark.objects.get_or_create(commune_id=user.commune_id, defaults={"last_at": now})
    if not created:
        due = now - dt.timedelta(seconds=settings.MOTCUA_STAFFING_ALERT_DETECT_SECONDS)
        won = (
            DetectionMark.objects.filter(pk=mark.pk)
            .filter(Q(last_at__lte=due) | Q(last_at__gt=now))
            .update(last_at=now)
        )
        if not won:
            return
    alerts.alerts_detect(commune=user.commune, now=now)


def _context(user: User, error: str = "") -> dict[str, object]:
    open_, closed = alerts.alerts_of_day(user=user, now=clock.now())
    return {"open_alerts": open_, "closed": closed, "refresh_s": REFRESH_S, "error": error}


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    user = _leader(request)
    _detect(user)
    return render(request, "staffing/alerts/page.html", _context(user))


@login_required
@require_GET
def open_fragment(request: HttpRequest) -> HttpResponse:
    user = _leader(request)
    _detect(user)
    return render(request, "staffing/alerts/_open.html", _context(user))


def _officer(user: User, raw: str) -> User:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed("Hãy chọn cán bộ được điều động.", code="officer_required") from None
    officer = User.objects.filter(pk=pk, commune_id=user.commune_id or 0, is_active=True).first()
    if officer is None:
        raise NotFound("Không tìm thấy cán bộ này.")
    return officer


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    user = _leader(request)
    alert = alerts.alert_get_for(user=user, pk=pk)
    try:
        officer = _officer(user, request.POST.get("officer", ""))
        alerts.alert_apply(
            alert=alert, action=alerts.ALERT_MOVE, actor=user, now=clock.now(), officer=officer,
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except ValidationFailed as exc:
        return render(request, "staffing/alerts/page.html", _context(user, exc.message), status=422)
    return redirect("staffing_alerts:detail", pk=alert.pk)


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    user = _leader(request)
    alert = alerts.alert_get_for(user=user, pk=pk)
    try:
        alerts.alert_apply(
            alert=alert,
            action=alerts.ALERT_DISMISS,
            actor=user,
            now=clock.now(),
            note=request.POST.get("note", ""),
        )
    except ValidationFailed as exc:
        return render(request, "staffing/alerts/page.html", _context(user, exc.message), status=422)
    return redirect("staffing_alerts:page")


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _leader(request)
    alert = alerts.alert_get_for(user=user, pk=pk)
    sim = alert.facts.get("simulation") or {}
    rows = []
    chart = None
    if sim:
        after = {g["letter"]: g for g in sim.get("after", [])}
        for g in sim.get("before", []):
            a = after.get(g["letter"], g)
            rows.append({"letter": g["letter"], "name": g["name"], "waiting": g["waiting"],
                         "before": g["mean_wait_min"], "after": a["mean_wait_min"],
                         "before_within": g["within_target_pct"], "after_within": a["within_target_pct"]})  # fmt: skip
        chart = charts.hbar_chart(
            chart_id="sim-waits",
            title="Thời gian chờ trung bình (phút) phần còn lại của buổi, trước và sau điều động",
            series=["Trước điều động", "Sau điều động"],
            rows=[
                charts.HRow(
                    f"{r['letter']} — {r['name']}",
                    (
                        charts.Bar("Trước", r["before"] or 0.0, _minutes(r["before"])),
                        charts.Bar("Sau", r["after"] or 0.0, _minutes(r["after"])),
                    ),
                )
                for r in rows
            ],
        )
    return render(
        request,
        "staffing/alerts/detail.html",
        {"alert": alert, "rows": rows, "chart": chart, "is_queue": alert.kind == AlertKind.QUEUE,
         "acted": alert.state == AlertState.ACTED, "replications": alerts.SIM_REPLICATIONS,
         "target_min": int(getattr(settings, "MOTCUA_STAFFING_TARGET_WAIT_SECONDS", 900)) // 60, "changes": list(alert.changes.select_related("officer", "by"))},
    )  # fmt: skip


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The officer's banner: what the open alerts and the leader's moves ask of them."""
    user = request.user
    if not isinstance(user, User) or user.has_role(Role.RESIDENT) or user.commune is None:
        raise NotAllowed("Trang này dành cho cán bộ.")
    _detect(user)
    notices = alerts.notices_for(user=user, now=clock.now())
    return render(request, "staffing/alerts/_mine.html", {"notices": notices, "refresh_s": REFRESH_S})
