"""Dialogue sessions' screens (issue 9 §3): the neighbourhoods, planning and the public notice, the
leader's tablet on the day, the printed notice and report. Thin: parse, call one service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError, NotAllowed
from motcua.core.text import mask_digits
from motcua.geo.models import Commune
from motcua.org.models import Department, Role, User

from . import sessions as svc
from .models import Category, DialogueSession, FeedbackItem, Neighbourhood, SessionState
from .selectors import may_see_contact


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


# --------------------------------------------------------------------------------------------
# neighbourhoods
# --------------------------------------------------------------------------------------------


@login_required
def neighbourhoods(request: HttpRequest) -> HttpResponse:
    """The commune's neighbourhoods: list, add (POST)."""
    user = _user(request)
    rows = svc.neighbourhoods_for(user)
    context: dict[str, object] = {"rows": rows, "name": ""}
    if request.method == "POST":
        try:
            created = svc.neighbourhood_create(actor=user, name=request.POST.get("name", ""))
        except DomainError as exc:
            context.update(error=exc.message, name=request.POST.get("name", "")[:100])
            return render(request, "feedback/session_neighbourhoods.html", context, status=exc.status)
        return redirect(reverse("feedback_sessions:neighbourhoods") + f"?moi={created.pk}")
    return render(request, "feedback/session_neighbourhoods.html", context)


@login_required
@require_POST
def neighbourhood_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename (name), deactivate or reactivate (active=0/1) — never delete."""
    user = _user(request)
    place = svc.neighbourhood_get_for(user=user, pk=pk)
    try:
        if "name" in request.POST:
            svc.neighbourhood_rename(actor=user, neighbourhood=place, name=request.POST["name"])
        else:
            svc.neighbourhood_set_active(
                actor=user, neighbourhood=place, active=request.POST.get("active") == "1"
            )
    except DomainError as exc:
        context = {"rows": svc.neighbourhoods_for(user), "name": "", "error": exc.message}
        return render(request, "feedback/session_neighbourhoods.html", context, status=exc.status)
    return redirect("feedback_sessions:neighbourhoods")


# --------------------------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------------------------


def _list_context(user: User) -> dict[str, object]:
    now = clock.now()
    rows = svc.sessions_for(user)
    planner = user.has_role(*svc.PLANNER_ROLES)
    commune = user.commune
    return {
        "upcoming": rows.filter(starts_at__gte=now - dt.timedelta(hours=12)).order_by("starts_at", "id")[
            :100
        ],
        "past": rows.filter(starts_at__lt=now - dt.timedelta(hours=12)).order_by("-starts_at", "-id")[:50],
        "planner": planner,
        "places": Neighbourhood.objects.filter(commune=commune, active=True) if planner else [],
        "candidates": svc.attending_candidates(commune) if planner and commune else [],
        "repeats": svc.REPEATS,
        "values": {},
        "chosen": set(),
        "now": now,
    }


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/session_list.html", _list_context(_user(request)))


@login_required
@require_POST
def session_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    svc.check_planner(user)
    post = request.POST
    plan = svc.Plan(
        neighbourhood_id=post.get("neighbourhood", ""), title=post.get("title", ""),
        starts_at=post.get("starts_at", ""), place=post.get("place", ""), notice=post.get("notice", ""),
        leader_ids=tuple(post.getlist("leaders")), repeat=post.get("repeat", ""), times=post.get("times") or 1,
    )  # fmt: skip
    try:
        created = svc.session_plan(actor=user, plan=plan, now=clock.now())
    except DomainError as exc:
        context = _list_context(user)
        context.update(
            error=exc.message,
            values={k: str(v)[:4000] for k, v in post.items() if k != "csrfmiddlewaretoken"},
            chosen={str(i)[:12] for i in post.getlist("leaders")},
        )
        return render(request, "feedback/session_list.html", context, status=exc.status)
    return redirect("feedback_sessions:detail", pk=created[0].pk)


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = svc.session_get_for(user=user, pk=pk)
    return render(
        request,
        "feedback/session_detail.html",
        {
            "s": session,
            "planner": user.has_role(*svc.PLANNER_ROLES),
            "recorder": svc.can_record(user, session),
            "issues": svc.session_issues(session),
            "public_url": reverse("feedback_sessions:calendar", kwargs={"code": session.commune.code}),
        },
    )


@login_required
@require_POST
def session_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = svc.session_get_for(user=user, pk=pk)
    svc.session_publish(actor=user, session=session, now=clock.now())
    return redirect("feedback_sessions:detail", pk=session.pk)


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = svc.session_get_for(user=user, pk=pk)
    svc.session_cancel(actor=user, session=session, now=clock.now())
    return redirect("feedback_sessions:detail", pk=session.pk)


@login_required
@require_GET
def session_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 notice of a session."""
    session = svc.session_get_for(user=_user(request), pk=pk)
    return render(request, "feedback/session_notice.html", {"s": session, "now": clock.now()})


@require_GET
def public_calendar(request: HttpRequest, code: int) -> HttpResponse:
    """Public: the commune's upcoming published sessions (no personal data; the leaders are
    public officials)."""
    try:
        commune = Commune.objects.get(code=code)
    except Commune.DoesNotExist:
        raise Http404 from None
    now = clock.now()
    return render(
        request,
        "feedback/session_calendar.html",
        {"commune": commune, "rows": svc.public_upcoming(commune=commune, now=now)[:100], "now": now},
    )


# --------------------------------------------------------------------------------------------
# on the day: the tablet
# --------------------------------------------------------------------------------------------


HIDDEN = "(đã ẩn)"


def _masked(user: User, session: DialogueSession, items: list[FeedbackItem]) -> list[FeedbackItem]:
    """Phones masked for everyone; the reporter's name shown only to the session's recording
    leaders and the item's handlers (the commune's administrator, another department's head: hidden)."""
    recorder = svc.can_record(user, session)
    for item in items:
        item.reporter_phone = mask_digits(item.reporter_phone)
        if item.reporter_name and not (recorder or may_see_contact(user, item)):
            item.reporter_name = HIDDEN
    return items


def _record_context(user: User, session: DialogueSession) -> dict[str, object]:
    previous = svc.previous_session(session)
    leaders = list(session.leaders.all())
    return {
        "s": session,
        # who signs the report: the commune's leader first among those present
        "chair": next(
            (u for u in leaders if u.has_role(Role.COMMUNE_LEADER)), leaders[0] if leaders else None
        ),
        "issues": _masked(user, session, list(svc.session_issues(session))),
        "categories": Category.objects.filter(commune_id=session.commune_id, active=True),
        "departments": Department.objects.filter(commune_id=session.commune_id, closed_at__isnull=True),
        "previous": previous,
        "previous_issues": _masked(user, previous, list(svc.session_issues(previous))) if previous else [],
        "open": session.state in (SessionState.PLANNED, SessionState.HELD),
        "now": clock.now(),
    }


def _recordable(request: HttpRequest, pk: int) -> tuple[User, DialogueSession]:
    user = _user(request)
    session = svc.session_get_for(user=user, pk=pk)
    if not svc.can_record(user, session):
        raise NotAllowed("Chỉ lãnh đạo dự buổi đối thoại được ghi nhận.")
    return user, session


@login_required
@require_GET
def record(request: HttpRequest, pk: int) -> HttpResponse:
    user, session = _recordable(request, pk)
    return render(request, "feedback/session_record.html", _record_context(user, session))


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    user, session = _recordable(request, pk)
    session = svc.session_set_attendance(
        actor=user, session=session, count=request.POST.get("count"), delta=request.POST.get("delta"),
        now=clock.now(),
    )  # fmt: skip
    if _htmx(request):
        return render(request, "feedback/session_attendance.html", {"s": session, "open": True})
    return redirect("feedback_sessions:record", pk=session.pk)


@login_required
@require_POST
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    user, session = _recordable(request, pk)
    now = clock.now()
    session = svc.session_save_minutes(
        actor=user, session=session, minutes=request.POST.get("minutes", ""), now=now
    )
    if _htmx(request):
        return render(request, "feedback/session_saved.html", {"now": now})
    return redirect("feedback_sessions:record", pk=session.pk)


def _issues_response(request: HttpRequest, user: User, session: DialogueSession) -> HttpResponse:
    if _htmx(request):
        session.refresh_from_db()
        return render(request, "feedback/session_issues.html", _record_context(user, session))
    return redirect("feedback_sessions:record", pk=session.pk)


@login_required
@require_POST
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    user, session = _recordable(request, pk)
    post = request.POST
    raised = svc.RaisedIssue(
        category_id=post.get("category", ""), title=post.get("title", ""), description=post.get("description", ""),
        reporter_name=post.get("reporter_name", ""), reporter_phone=post.get("reporter_phone", ""),
    )  # fmt: skip
    svc.session_raise_issue(actor=user, session=session, issue=raised, now=clock.now())
    return _issues_response(request, user, session)


@login_required
@require_POST
def issue_act(request: HttpRequest, pk: int, item_pk: int, action: str) -> HttpResponse:
    user, session = _recordable(request, pk)
    svc.session_issue_act(
        actor=user, session=session, item_id=item_pk, action=action, now=clock.now(),
        note=request.POST.get("note", ""), department_id=request.POST.get("department"),
    )  # fmt: skip
    return _issues_response(request, user, session)


@login_required
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    user, session = _recordable(request, pk)
    # The screen sends the count and the minutes it shows (session.js); empty: keep what is saved.
    svc.session_finish(
        actor=user, session=session, now=clock.now(),
        attendance=request.POST.get("count") or None, minutes=request.POST.get("minutes") or None,
    )  # fmt: skip
    return redirect("feedback_sessions:report", pk=session.pk)


@login_required
@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 session report (biên bản); reporters' phones masked."""
    user = _user(request)
    session = svc.session_get_for(user=user, pk=pk)
    return render(request, "feedback/session_report.html", _record_context(user, session))
