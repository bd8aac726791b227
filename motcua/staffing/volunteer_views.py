"""Volunteers' pages (issue 11 §7), thin views over `volunteers.py`.

`/nhan-su/tinh-nguyen/` teams and this week's shifts; `doi/…` a team and its members; `ca/…` a
shift (members, hours, the recording link's QR); `ca/<pk>/ghi-nhan/<token>/` the shift's own
recording screen (no account: the URL token, see `volunteers.py`); `so-lieu/` the counts per team
and per shift (`?ky=ngay|tuan|thang&ngay=YYYY-MM-DD`) with its workbook `so-lieu/xuat-excel/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.core.text import mask_digits
from motcua.org.models import User
from motcua.quality import charts

from . import volunteers as V
from .models import HelpKind, VolunteerMember

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _today() -> dt.date:
    return V.local_day(clock.now())


def _team_input(request: HttpRequest) -> V.TeamInput:
    p = request.POST
    return V.TeamInput(
        name=p.get("name", ""),
        organisation=p.get("organisation", ""),
        campaign=p.get("campaign", ""),
        leader_name=p.get("leader_name", ""),
        leader_phone=p.get("leader_phone", ""),
    )


def _shift_input(request: HttpRequest) -> V.ShiftInput:
    p = request.POST
    return V.ShiftInput(
        team_id=p.get("team", ""),
        day=p.get("day", ""),
        starts=p.get("starts", ""),
        ends=p.get("ends", ""),
        member_ids=tuple(p.getlist("members")[:200]),
        note=p.get("note", ""),
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    teams = list(V.teams_for(user=user))
    period = V.period_of("tuan", _today())
    shifts = list(V.shifts_for(user=user, start=period.start, end=period.end))
    return render(
        request,
        "staffing/volunteers/index.html",
        {
            "teams": teams,
            "shifts": shifts,
            "period": period,
            "manage_teams": V.can_manage_teams(user),
            "manage_shifts": V.can_manage_shifts(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    V.require_team_manager(user)
    if request.method == "POST":
        try:
            team = V.team_create(actor=user, data=_team_input(request))
        except ValidationFailed as exc:
            ctx = {"error": exc.message, "form": request.POST}
            return render(request, "staffing/volunteers/team_form.html", ctx, status=422)
        return redirect("volunteers:team", pk=team.pk)
    return render(request, "staffing/volunteers/team_form.html", {"form": {}})


def _team_page(
    request: HttpRequest, user: User, team: Any, *, error: str = "", status: int = 200
) -> HttpResponse:
    manage = V.can_manage_teams(user)
    members = [{"m": m, "phone": m.phone if manage else mask_digits(m.phone)} for m in team.members.all()]
    ctx = {
        "team": team,
        "members": members,
        "manage_teams": manage,
        "leader_phone": team.leader_phone if manage else mask_digits(team.leader_phone),
        "error": error,
        "form": request.POST if error else None,
    }
    return render(request, "staffing/volunteers/team.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    t = V.team_get_for(user=user, pk=pk)
    if request.method == "POST":
        try:
            V.team_update(actor=user, team=t, data=_team_input(request))
        except ValidationFailed as exc:
            t.refresh_from_db()
            return _team_page(request, user, t, error=exc.message, status=422)
        return redirect("volunteers:team", pk=t.pk)
    return _team_page(request, user, t)


@login_required
@require_POST
def team_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    t = V.team_get_for(user=user, pk=pk)
    V.team_set_active(actor=user, team=t, active=request.POST.get("active") == "1")
    return redirect("volunteers:team", pk=t.pk)


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    t = V.team_get_for(user=user, pk=pk)
    try:
        V.member_add(actor=user, team=t, full_name=request.POST.get("full_name", ""),
                     phone=request.POST.get("phone", ""))  # fmt: skip
    except ValidationFailed as exc:
        return _team_page(request, user, t, error=exc.message, status=422)
    return redirect("volunteers:team", pk=t.pk)


@login_required
@require_POST
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    m = V.member_get_for(user=user, pk=pk)
    V.member_set_active(actor=user, member=m, active=request.POST.get("active") == "1")
    return redirect("volunteers:team", pk=m.team_id)


def _shift_form_context(user: User, shift: Any = None) -> dict[str, Any]:
    teams = [t for t in V.teams_for(user=user) if t.active or (shift and t.pk == shift.team_id)]
    members = VolunteerMember.objects.filter(team__in=teams, active=True).select_related("team")
    opens, closes = V.center_opening(user.province_id)
    return {"teams": teams, "all_members": members, "opens": opens, "closes": closes}


@login_required
@require_http_methods(["GET", "POST"])
def shift_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    V.require_shift_manager(user)
    ctx = _shift_form_context(user)
    if request.method == "POST":
        try:
            s = V.shift_save(actor=user, data=_shift_input(request), now=clock.now())
        except ValidationFailed as exc:
            ctx |= {"error": exc.message, "form": request.POST, "chosen": request.POST.getlist("members")}
            return render(request, "staffing/volunteers/shift_form.html", ctx, status=422)
        return redirect("volunteers:shift", pk=s.pk)
    team_pk = request.GET.get("doi", "")
    ctx |= {
        "form": {"team": team_pk, "day": _today().isoformat(), "starts": "07:30", "ends": "11:30"},
        "chosen": [],
    }
    return render(request, "staffing/volunteers/shift_form.html", ctx)


def _shift_page(
    request: HttpRequest, user: User, s: Any, *, error: str = "", status: int = 200, link: str = ""
) -> HttpResponse:
    manage = V.can_manage_shifts(user)
    ctx: dict[str, Any] = {
        "shift": s,
        "members": list(s.members.all()),
        "helps": list(s.helps.select_related("member")[:50]),
        "help_count": s.helps.count(),
        "manage_shifts": manage,
        "error": error,
        "link": link,
        "qr_svg": segno.make(link, error="m").svg_inline(scale=4, dark="#000", title="Mã QR ghi nhận hỗ trợ")
        if link
        else "",
    }
    if manage:
        ctx |= _shift_form_context(user, s)
        posted = request.POST if error and request.method == "POST" and "day" in request.POST else None
        ctx["form"] = posted or {
            "day": s.day.isoformat(), "starts": f"{s.starts:%H:%M}", "ends": f"{s.ends:%H:%M}", "note": s.note,
        }  # fmt: skip
        ctx["chosen"] = posted.getlist("members") if posted else [str(m.pk) for m in ctx["members"]]
    return render(request, "staffing/volunteers/shift.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def shift(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    s = V.shift_get_for(user=user, pk=pk)
    if request.method == "POST":
        try:
            V.shift_save(actor=user, data=_shift_input(request), shift=s, now=clock.now())
        except ValidationFailed as exc:
            s = V.shift_get_for(user=user, pk=pk)
            return _shift_page(request, user, s, error=exc.message, status=422)
        return redirect("volunteers:shift", pk=s.pk)
    return _shift_page(request, user, s)


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    s = V.shift_get_for(user=user, pk=pk)
    try:
        V.shift_delete(actor=user, shift=s)
    except ValidationFailed as exc:
        return _shift_page(request, user, s, error=exc.message, status=422)
    return redirect("volunteers:index")


@login_required
@require_POST
def shift_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue the shift's recording link (the previous one stops working) and show it once."""
    user = _user(request)
    s = V.shift_get_for(user=user, pk=pk)
    try:
        raw = V.shift_issue_token(actor=user, shift=s, now=clock.now())
    except ValidationFailed as exc:
        return _shift_page(request, user, s, error=exc.message, status=422)
    link = f"{settings.MOTCUA_PUBLIC_URL}{reverse('volunteers:record', kwargs={'pk': s.pk, 'token': raw})}"
    return _shift_page(request, user, s, link=link)


@never_cache
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The shift's phone or tablet: one tap per resident helped."""
    now = clock.now()
    s = V.shift_by_token(pk=pk, token=token, now=now)
    members = list(s.members.all())
    chosen = request.POST.get("member", "") if request.method == "POST" else request.GET.get("tv", "")
    error, done = "", ""
    status = 200
    if request.method == "POST":
        try:
            h = V.help_record(shift=s, kind=request.POST.get("kind", ""), member_id=chosen,
                              note=request.POST.get("note", ""), now=now)  # fmt: skip
        except ValidationFailed as exc:
            error, status = exc.message, 422
        else:
            url = reverse("volunteers:record", kwargs={"pk": s.pk, "token": token})
            return redirect(f"{url}?tv={h.member_id or ''}&ok={h.kind}")
    if request.GET.get("ok") in HelpKind.values:
        done = HelpKind(request.GET["ok"]).label
    counts = {k: 0 for k in HelpKind.values}
    for kind in s.helps.values_list("kind", flat=True):
        counts[kind] += 1
    ctx = {
        "shift": s,
        "members": members,
        "chosen": str(chosen)[:12],
        "kinds": [(k, label, counts[k]) for k, label in HelpKind.choices],
        "total": sum(counts.values()),
        "error": error,
        "done": done,
    }
    return render(request, "staffing/volunteers/record.html", ctx, status=status)


def _counts(request: HttpRequest) -> tuple[User, V.Counts]:
    user = _user(request)
    period = V.parse_period(request.GET.get("ky"), request.GET.get("ngay"), today=_today())
    return user, V.volunteer_counts(user=user, period=period)


@login_required
@require_GET
def counts(request: HttpRequest) -> HttpResponse:
    user, c = _counts(request)
    rows = [*c.teams, c.unknown]
    chart = charts.bar_chart(
        chart_id="tnv-doi",
        title=f"Lượt hỗ trợ người dân theo đội, {c.period.label}",
        bars=[charts.Bar(r.label, r.total, str(r.total)) for r in rows],
    )
    step = {"ngay": 1, "tuan": 7}.get(c.period.kind)
    before = c.period.start - dt.timedelta(days=1) if not step else c.period.start - dt.timedelta(days=step)
    after = c.period.end + dt.timedelta(days=1)
    return render(
        request,
        "staffing/volunteers/counts.html",
        {
            "c": c,
            "rows": rows,
            "total": c.total,
            "chart": chart,
            "kinds": HelpKind.labels,
            "periods": V.PERIODS,
            "before": before.isoformat(),
            "after": after.isoformat(),
            "manage": V.can_manage_shifts(user),
        },
    )


@login_required
@require_GET
def counts_export(request: HttpRequest) -> HttpResponse:
    user, c = _counts(request)
    assert user.commune is not None
    body = V.counts_xlsx(c, commune_name=user.commune.name)
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="tinh-nguyen-{c.period.start:%Y%m%d}.xlsx"'
    return response
