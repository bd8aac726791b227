"""Tenant isolation, walked from the URL configuration and the OpenAPI document.

Every URL pattern of every app (``get_resolver()``, recursively) and every operation of the
OpenAPI document is looked up in a registry below: either it names objects of commune A and how to
fill its kwargs from them (``Scoped``), or it takes none of A's objects and may be used by anyone
allowed, on their own data only (``Own``), or it is public on purpose, with the reason
(``Public``). A URL or endpoint missing from the registry fails the test ("URL <name> is not
covered by the tenant walk"), so a new one is covered the day it is added.

Then every role of commune B (another commune of the same province), a province officer of
another province and an anonymous client GET and POST every walkable URL and call every
endpoint: on A's objects they get 401/403/404/405/429 or a redirect to the login page or their own
home; nowhere do they see A's data (applicant's name, dossier codes, merge title, register
names). A's objects are unchanged at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from motcua.catalog.models import CatalogueImport
from motcua.config.api import api
from motcua.core import clock
from motcua.dossiers.models import Channel, Dossier, DossierDocument
from motcua.dossiers.services import Applicant, dossier_attach_documents, dossier_create_draft, dossier_intake
from motcua.dossiers.workflow import dossier_apply
from motcua.geo.models import Commune, Province
from motcua.org.models import ApiToken, DepartmentKind, Role, User
from motcua.queueing.console import ACTIONS as CONSOLE_ACTIONS
from motcua.queueing.kiosks import kiosk_create
from motcua.queueing.models import Appointment, Counter, CounterHours, KioskDevice, ServiceGroup, Ticket
from motcua.queueing.services import counter_call_next, ticket_issue
from motcua.registers.models import JobStatus, MergeJob, RegisterFile, ReviewDecision, ReviewPair
from motcua.testing import (
    land_procedure,
    make_commune,
    make_counter,
    make_procedure,
    make_service_groups,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db

SECRET_NAME = "Huỳnh Thị Bí Mật"
SECRET_JOB = "Đợt hợp nhất Bí Mật Thanh Khê"
SECRET_PERSON = "Tôn Nữ Kín Đáo"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

World = dict[str, Any]
Kwargs = dict[str, Any]


# --------------------------------------------------------------------------------------------
# the registry: every URL name and every API operation, and how the walk treats it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scoped:
    """The kwargs name objects of commune A: every outsider is refused."""

    build: Callable[[World], list[Kwargs]]
    post: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    query: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


@dataclass(frozen=True)
class Own:
    """No object of A in the URL (lists, the shared catalogue, forms that create): an outsider
    may use it, on its own commune's data only."""

    reason: str
    build: Callable[[World], list[Kwargs]] = field(default=lambda w: [{}])
    post: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    query: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


@dataclass(frozen=True)
class Public:
    """Public on purpose; not walked (the reason says why)."""

    reason: str


def _dossiers(w: World) -> list[Kwargs]:
    return [{"pk": d.pk} for d in [*w["dossiers"], w["draft"]]]


def _job(w: World) -> list[Kwargs]:
    return [{"pk": w["job"].pk}]


def _ac_address_token(w: World) -> str:
    """An address conversion result of A's data officer (made once)."""
    from motcua.registers import addresses

    if "ac_token" not in w:
        table = addresses.table_from_text(f"12 Hà Huy Tập, {SECRET_NAME}, Đà Nẵng")
        results = addresses.convert_table(table, 0)
        w["ac_token"] = addresses.store_result(user_id=w["staff"]["data"].pk, table=table, results=results)
    return str(w["ac_token"])


def _staff(w: World) -> list[Kwargs]:
    return [{"pk": w["staff"][role].pk} for role in ("counter", "admin")]


def _departments(w: World) -> list[Kwargs]:
    return [{"pk": d.pk} for d in w["commune"].departments.all()]


def _queue_groups(w: World) -> list[Kwargs]:
    return [{"pk": g.pk} for g in ServiceGroup.objects.filter(commune=w["commune"])]


def _queue_hours(w: World) -> list[Kwargs]:
    return [{"pk": h.counter_id, "hours_pk": h.pk} for h in CounterHours.objects.filter(counter=w["counter"])]


def _queue_kiosks(w: World) -> list[Kwargs]:
    return [{"pk": k.pk} for k in KioskDevice.objects.filter(commune=w["commune"])]


def _catalogue_import(w: World) -> list[Kwargs]:
    return [{"import_id": w["catalogue_import"].pk}]


def _s2_training(w: World) -> Any:
    """A training of A's counter officer (made once)."""
    from motcua.staffing.models import Training

    if "s2_training" not in w:
        w["s2_training"] = Training.objects.create(
            user=w["staff"]["counter"], kind="COURSE", name=SECRET_NAME, on=dt.date(2025, 7, 1)
        )
    return w["s2_training"]


def _s2_position(w: World) -> Any:
    """A job position of A (made once)."""
    from motcua.staffing.models import JobPosition

    if "s2_position" not in w:
        w["s2_position"] = JobPosition.objects.create(commune=w["commune"], name=SECRET_NAME, headcount=3)
    return w["s2_position"]


def _s5_alert(w: World) -> Any:
    """An open queue alert of A (made once)."""
    from motcua.staffing.models import Alert

    if "s5_alert" not in w:
        w["s5_alert"] = Alert.objects.create(
            commune=w["commune"],
            kind="QUEUE",
            message=SECRET_NAME,
            facts={"helpers": []},
            raised_at=clock.now(),
        )
    return w["s5_alert"]


def _public_feedback(w: World) -> list[Kwargs]:
    """A's resident item (created once), with a wrong secret: the link is the only key."""
    if "public_feedback" not in w:
        from motcua.feedback.models import Channel as FeedbackChannel
        from motcua.feedback.services import Reporter, feedback_create
        from motcua.testing import make_feedback_setup

        setup = make_feedback_setup(w["commune"])
        w["public_feedback"] = feedback_create(
            commune=w["commune"], channel=FeedbackChannel.ONLINE, category=setup["categories"]["khac"],
            title="Phản ánh của A", now=clock.now(), reporter=Reporter(name=SECRET_NAME, phone="0905999888"),
        )  # fmt: skip
    return [{"code": w["public_feedback"].code, "secret": "0" * 16}]


def _escalated_feedback(w: World) -> list[Kwargs]:
    """A's item escalated to the province (created once): the province inbox's item page."""
    if "escalated_feedback" not in w:
        from motcua.feedback.models import Channel as FeedbackChannel
        from motcua.feedback.services import Reporter, feedback_create
        from motcua.feedback.workflow import feedback_apply
        from motcua.testing import make_feedback_setup

        setup = make_feedback_setup(w["commune"])
        item = feedback_create(
            commune=w["commune"], channel=FeedbackChannel.HOTLINE, category=setup["categories"]["thoat-nuoc"],
            title="Ngập của A", now=clock.now(), reporter=Reporter(name=SECRET_NAME, phone="0905999888"),
        )  # fmt: skip
        feedback_apply(item=item, action="escalate", actor=w["staff"]["leader"], now=clock.now(),
                       data={"note": "Vượt thẩm quyền"})  # fmt: skip
        w["escalated_feedback"] = item
    return [{"pk": w["escalated_feedback"].pk}]


def _desk_feedback(w: World) -> list[Kwargs]:
    """A's feedback item taken at the desk, with a photo (the staff pages /phan-anh/<pk>/…)."""
    if "desk_feedback" not in w:
        from django.db import transaction

        from motcua.feedback import photos
        from motcua.feedback.models import Channel as FeedbackChannel
        from motcua.feedback.services import Reporter, feedback_create
        from motcua.testing import make_feedback_setup

        setup = make_feedback_setup(w["commune"])
        item = feedback_create(
            commune=w["commune"], channel=FeedbackChannel.HOTLINE, category=setup["categories"]["chieu-sang"],
            title="Đèn hỏng của A", now=clock.now(), reporter=Reporter(name=SECRET_NAME, phone="0905111222"),
            actor=w["staff"]["leader"],
        )  # fmt: skip
        png = b"\x89PNG\r\n\x1a\n" + bytes.fromhex(
            "0000000d4948445200000001000000010802000000907753de"
            "0000000c49444154789c63382127070002b6010534a675aa0000000049454e44ae426082"
        )
        with transaction.atomic():
            (photo,) = photos.photos_attach(
                item=item, photos=[photos.inspect(png)], actor=None, now=clock.now()
            )
        w["desk_feedback"] = (item, photo)
    return [{"pk": w["desk_feedback"][0].pk}]


def _feedback_categories(w: World) -> list[Kwargs]:
    """A's feedback categories (the set-up screen /quan-tri/phan-anh/linh-vuc/<pk>/…)."""
    from motcua.testing import make_feedback_setup

    return [{"pk": c.pk} for c in make_feedback_setup(w["commune"])["categories"].values()]


_SESSION_PAGES = ("detail", "publish", "cancel", "notice", "record", "attendance", "minutes", "issue", "finish",
                  "report")  # fmt: skip


def _dialogue(w: World) -> dict[str, Any]:
    """A's dialogue session (created once) with an issue raised by a named resident."""
    if "dialogue" not in w:
        from motcua.feedback import sessions
        from motcua.testing import make_feedback_setup

        setup = make_feedback_setup(w["commune"])
        leader, now = w["staff"]["leader"], clock.now()
        session = sessions.session_plan(actor=leader, now=now, plan=sessions.Plan(
            neighbourhood_id=setup["neighbourhoods"][0].pk, title="Đối thoại của A", place="Nhà văn hoá A",
            starts_at=now.astimezone(sessions.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"), leader_ids=(leader.pk,)))[0]  # fmt: skip
        item = sessions.session_raise_issue(actor=leader, session=session, now=now, issue=sessions.RaisedIssue(
            category_id=setup["categories"]["khac"].pk, title="Ý kiến của A", reporter_name=SECRET_NAME))  # fmt: skip
        w["dialogue"] = {"session": session, "item": item, "neighbourhood": setup["neighbourhoods"][0]}
    return w["dialogue"]


def _a_name(w: World) -> dict[str, Any]:
    """A search that finds A's dossiers for A's staff (by the name without diacritics: the code
    itself would be echoed in the search box)."""
    return {"q": "huynh thi bi mat"}


def _volunteers(w: World) -> dict[str, Any]:
    """A's volunteer team (created once) with a member named like A's secret and a shift today."""
    if "volunteers" not in w:
        from motcua.staffing.models import VolunteerMember, VolunteerShift, VolunteerTeam

        team = VolunteerTeam.objects.create(commune=w["commune"], name="Đội A", leader_name=SECRET_NAME)
        member = VolunteerMember.objects.create(team=team, full_name=SECRET_NAME, phone="0905999888")
        shift = VolunteerShift.objects.create(team=team, day=clock.now().date(), starts=dt.time(7, 30),
                                              ends=dt.time(11, 30))  # fmt: skip
        shift.members.add(member)
        w["volunteers"] = {"team": team, "member": member, "shift": shift}
    return w["volunteers"]


def _plan_slot(w: World) -> int:
    """A's plan slot (created once) for today at A's counter, its note naming A's secret."""
    if "plan_slot" not in w:
        from motcua.staffing.models import PlanSlot, SlotKind

        w["plan_slot"] = PlanSlot.objects.create(
            commune=w["commune"], day=clock.now().date(), officer=w["staff"]["counter"], starts=dt.time(7, 30),
            ends=dt.time(11, 30), kind=SlotKind.COUNTER, counter=w["counter"], note=SECRET_NAME, created_at=clock.now(),
        )  # fmt: skip
    return int(w["plan_slot"].pk)


URLS: dict[str, Scoped | Own | Public] = {
    # core
    "core:login": Public("the login page"),
    "core:logout": Public("logging out (walking it would end the walker's own session)"),
    "core:home": Own("redirects each user to their own start page"),
    "core:password_change": Own("the user's own password"),
    "core:password_change_done": Own("the user's own password, changed"),
    # residents' pages
    "portal:home": Own("the residents' home page"),
    "portal:lookup": Own("residents' lookup form; an answer needs the code and the phone's last digits"),
    "portal:status": Scoped(
        lambda w: [
            *({"code": d.code, "secret": "0" * 24} for d in w["dossiers"] if d.code),
            {"code": str(w["draft"].pk), "secret": "0" * 24},
        ]
    ),
    "portal:online_done": Scoped(lambda w: [{"pk": w["draft"].pk, "secret": "0" * 24}]),
    # residents' feedback (issue 9 §1, §4)
    "feedback:list": Own("the user's own commune's feedback items (their department's, their own)"),
    "feedback:new": Own(
        "a hotline / walk-in item of the user's own commune (categories of that commune only)"
    ),
    "feedback:detail": Scoped(_desk_feedback),
    "feedback:act": Scoped(
        lambda w: [
            k | {"action": a} for k in _desk_feedback(w) for a in ("assign", "reject", "resolve_on_spot")
        ],
        post=lambda w: {"note": "x"},
    ),
    "feedback:photo": Scoped(lambda w: [{"pk": w["desk_feedback"][1].pk} for _ in _desk_feedback(w)]),
    # the leader's view and the province's inbox (issue 9 §7, §2)
    "feedback_leader:overview": Own(
        "the feedback numbers of the user's own commune (a province officer picks one of the province)",
        query=lambda w: {"xa": w["commune"].pk},
    ),
    "feedback_leader:province_inbox": Own("the escalated items of the province officer's own province"),
    "feedback_leader:province_item": Scoped(
        _escalated_feedback, post=lambda w: {"answer": "resolve", "note": "Tỉnh đã xử lý"}
    ),
    "feedback_public:new": Public("a commune's online feedback form: anonymous on purpose, rate-limited"),
    "feedback_public:list": Public("a commune's public feedback list: no personal data (test_public)"),
    "feedback_public:lookup": Own(
        "residents' feedback lookup; an answer needs the code and the phone's digits"
    ),
    "feedback_public:track": Scoped(_public_feedback),
    "feedback_public:done": Scoped(_public_feedback),
    "feedback_public:act": Scoped(
        lambda w: [k | {"action": "danh-gia"} for k in _public_feedback(w)], post=lambda w: {"rating": "1"}
    ),
    "feedback_public:photo": Scoped(lambda w: [k | {"pk": 1} for k in _public_feedback(w)]),
    "feedback_public:import": Own(
        "Excel import into the staff member's own commune (a staged file by its SHA-256)"
    ),
    # service quality (issue 10): the dashboards, the officers' pages, residents' ratings
    "quality:dashboard": Own("the numbers of the user's own commune (a department head: their department)"),
    "quality:indicator": Own(
        "the drill-down of an indicator of the user's own commune",
        lambda w: [{"code": c} for c in ("TD1", "HL3")],
    ),
    "quality:export": Own("the workbook of the user's own commune's dashboard"),
    "quality:indicator_export": Own(
        "the drill-down's workbook of an indicator of the user's own commune",
        lambda w: [{"code": c} for c in ("TD1", "HL3")],
    ),
    "quality:province": Own("the communes of the province officer's own province"),
    "quality:province_export": Own("the workbook of the province officer's own province"),
    "quality:province_commune": Scoped(lambda w: [{"commune": w["commune"].code}]),
    "quality:province_indicator": Scoped(
        lambda w: [{"commune": w["commune"].code, "code": c} for c in ("TD1", "SH2")]
    ),
    "quality:province_commune_export": Scoped(lambda w: [{"commune": w["commune"].code}]),
    "quality:province_indicator_export": Scoped(
        lambda w: [{"commune": w["commune"].code, "code": c} for c in ("TD1", "SH2")]
    ),
    "quality_officers:me": Own("the acting officer's own numbers"),
    "quality_officers:list": Own("the officers the acting user leads (their department, or their commune)"),
    "quality_officers:list_export": Own("the workbook of the officers the acting user leads"),
    "quality_officers:officer": Scoped(
        lambda w: [{"pk": w["staff"][r].pk} for r in ("counter", "specialist_econ", "leader")]
    ),
    "quality_officers:export": Scoped(
        lambda w: [{"pk": w["staff"][r].pk} for r in ("counter", "specialist_econ")]
    ),
    "ratings:dossier": Scoped(
        lambda w: [
            *({"code": d.code, "secret": "0" * 16} for d in w["dossiers"] if d.code),
            *({"code": d.code, "secret": d.secret + "x"} for d in w["dossiers"] if d.code),
            # the tracking secret is not the rating key: it opens no rating page
            *({"code": d.code, "secret": d.secret} for d in w["dossiers"] if d.code),
            {"code": str(w["draft"].pk), "secret": "0" * 16},
        ],
        post=lambda w: {"overall": "0", "comment": "x", **{f"q{i}": "0" for i in range(1, 10)}},
    ),
    "ratings:ticket": Scoped(
        lambda w: [{"pk": t.pk, "secret": s} for t in w["tickets"] for s in ("0" * 22, t.secret[:-1])],
        post=lambda w: {"overall": "0", "comment": "x", **{f"q{i}": "0" for i in range(1, 10)}},
    ),
    "ratings:tablet": Own(
        "the tablet's own counter only, from its signed device cookie; else the activation form"
    ),
    "ratings:tablet_activate": Own("activating a tablet with a token (the token's own counter)"),
    "ratings:tablet_state": Own(
        "the tablet's own counter's last finished service; without a cookie: activation"
    ),
    "ratings:tablet_submit": Own(
        "rates a ticket of the tablet's own counter only (another counter's or commune's: 404)",
        post=lambda w: {"ticket": w["tickets"][0].pk, "overall": "0", **{f"q{i}": "0" for i in range(1, 10)}},
    ),
    # staffing (issue 11): each part registers its own URL names under its line
    "staffing:hub": Own("links to the staffing pages of the user's own commune"),
    # S2 positions, skills, moves
    "staffing_setup:people": Own("the staff of the user's own commune (a department head: their department)"),
    "staffing_setup:positions": Own(
        "the job positions of the manager's own commune (POST creates one)",
        post=lambda w: {"name": "Vị trí X", "headcount": "1"},
    ),
    "staffing_setup:matrix": Own("the skills matrix of the user's own commune"),
    "staffing_setup:matrix_xlsx": Own("the skills matrix workbook of the user's own commune"),
    "staffing_setup:groups": Own("the queue groups' fields of the manager's own commune"),
    "staffing_setup:person": Scoped(_staff),
    "staffing_setup:person_position": Scoped(_staff, post=lambda w: {"position": ""}),
    "staffing_setup:skill_set": Scoped(_staff, post=lambda w: {"field": w["land"].field_id, "level": "CAN"}),
    "staffing_setup:skill_remove": Scoped(_staff, post=lambda w: {"field": w["land"].field_id}),
    "staffing_setup:training_add": Scoped(
        _staff, post=lambda w: {"kind": "COURSE", "name": "Khóa X", "on": "2025-07-01"}
    ),
    "staffing_setup:move": Scoped(
        _staff, post=lambda w: {"on": "2025-07-01", "department": w["commune"].departments.first().pk}
    ),
    "staffing_setup:training_remove": Scoped(
        lambda w: [{"pk": w["staff"]["counter"].pk, "training_pk": _s2_training(w).pk}]
    ),
    **{
        f"staffing_setup:{name}": Scoped(
            lambda w: [{"pk": _s2_position(w).pk}], post=lambda w: {"name": "Vị trí Y", "headcount": "2"}
        )
        for name in ("position_update", "position_close")
    },
    "staffing_setup:group_fields": Scoped(_queue_groups, post=lambda w: {"fields": []}),
    # S3 day plan, workload
    "staffing_plan:today": Own("today's plan of the user's own commune (leader, department heads)"),
    "staffing_plan:day": Own(
        "a day's plan of the user's own commune", build=lambda w: [{"day": "2026-03-10"}]
    ),
    "staffing_plan:mine": Own("the user's own slots"),
    **{
        f"staffing_plan:{name}": Own(
            "changes the plan of the editor's own commune (another commune's officer or counter: refused)",
            build=lambda w: [{"day": "2026-03-10"}],
            post=lambda w: {
                "officer": w["staff"]["counter"].pk,
                "counter": w["counter"].pk,
                "kind": "COUNTER",
                "starts": "08:00",
                "ends": "09:00",
                "source": "hom-qua",
            },
        )
        for name in ("add", "absent", "copy")
    },
    "staffing_plan:slot": Scoped(
        lambda w: [{"pk": _plan_slot(w)}],
        post=lambda w: {"kind": "ABSENT", "starts": "08:00", "ends": "09:00"},
    ),
    "staffing_plan:slot_remove": Scoped(lambda w: [{"pk": _plan_slot(w)}]),
    "staffing_workload:page": Own("the workload of the user's own commune (leader) or department (head)"),
    "staffing_workload:mine": Own("the user's own workload"),
    "staffing_workload:export": Own("the workbook of the user's own commune's or department's workload"),
    # S4 advisor
    "staffing_advisor:tomorrow": Own("the forecast and plan of the user's own commune"),
    "staffing_advisor:day": Own(
        "the forecast and plan of a day of the user's own commune",
        lambda w: [{"day": (clock.now().date() + dt.timedelta(days=k)).isoformat()} for k in (1, -7)],
    ),
    "staffing_advisor:apply": Own(
        "applies the advisor's plan to a day of the user's own commune",
        lambda w: [{"day": (clock.now().date() + dt.timedelta(days=1)).isoformat()}],
    ),
    # S5 alerts
    "staffing_alerts:page": Own("the open alerts of the leader's own commune (detection runs for it)"),
    "staffing_alerts:open": Own("the fragment of the leader's own commune's open alerts"),
    "staffing_alerts:mine": Own("the acting officer's own alert notices"),
    **{
        f"staffing_alerts:{name}": Scoped(
            lambda w: [{"pk": _s5_alert(w).pk}],
            post=lambda w: {"officer": w["staff"]["counter"].pk, "note": "x"},
        )
        for name in ("detail", "move", "dismiss")
    },
    # S6 skill gaps, province
    "staffing_gaps:commune": Own("the skill gaps of the user's own commune"),
    "staffing_gaps:commune_export": Own("the workbook of the user's own commune's skill gaps"),
    "staffing_gaps:province": Own("the communes of the province officer's own province"),
    "staffing_gaps:province_export": Own("the workbook of the province officer's own province"),
    "staffing_gaps:province_commune": Scoped(lambda w: [{"commune": w["commune"].code}]),
    # S7 volunteers
    "volunteers:index": Own("the volunteer teams and shifts of the user's own commune"),
    "volunteers:team_create": Own(
        "creates a team in the manager's own commune", post=lambda w: {"name": "Đội X"}
    ),
    "volunteers:team": Scoped(
        lambda w: [{"pk": _volunteers(w)["team"].pk}], post=lambda w: {"name": "Đội Bị Đổi"}
    ),
    "volunteers:team_active": Scoped(
        lambda w: [{"pk": _volunteers(w)["team"].pk}], post=lambda w: {"active": "0"}
    ),
    "volunteers:member_add": Scoped(
        lambda w: [{"pk": _volunteers(w)["team"].pk}], post=lambda w: {"full_name": "X"}
    ),
    "volunteers:member_active": Scoped(
        lambda w: [{"pk": _volunteers(w)["member"].pk}], post=lambda w: {"active": "0"}
    ),
    "volunteers:shift_create": Own(
        "a shift of a team of the manager's own commune (another's team: refused)"
    ),
    **{
        f"volunteers:{name}": Scoped(
            lambda w: [{"pk": _volunteers(w)["shift"].pk}], post=lambda w: {"day": "x"}
        )
        for name in ("shift", "shift_delete", "shift_token")
    },
    "volunteers:record": Scoped(
        lambda w: [{"pk": _volunteers(w)["shift"].pk, "token": "0" * 32}], post=lambda w: {"kind": "GUIDANCE"}
    ),
    "volunteers:counts": Own("the volunteers' numbers of the user's own commune"),
    "volunteers:counts_export": Own("the workbook of the user's own commune's volunteers' numbers"),
    # dialogue sessions (issue 9 §3)
    "feedback_sessions:list": Own("the sessions of the user's own commune"),
    "feedback_sessions:create": Own("plans a session in the planner's own commune (a neighbourhood of it)"),
    "feedback_sessions:neighbourhoods": Own("the planner's own commune's neighbourhoods (POST adds one)"),
    "feedback_sessions:neighbourhood_update": Scoped(
        lambda w: [{"pk": _dialogue(w)["neighbourhood"].pk}], post=lambda w: {"name": "Tổ Bị Đổi"}
    ),
    "feedback_sessions:calendar": Own(
        "public on purpose: a commune's published sessions (place, time, the leaders as public officials), "
        "no resident's data",
        lambda w: [{"code": w["commune"].code}],
    ),
    **{
        f"feedback_sessions:{name}": Scoped(
            lambda w: [{"pk": _dialogue(w)["session"].pk}],
            post=lambda w: {"delta": "+1", "count": "9", "minutes": "x", "category": "1", "title": "x"},
        )
        for name in _SESSION_PAGES
    },
    "feedback_sessions:issue_act": Scoped(
        lambda w: [
            {"pk": _dialogue(w)["session"].pk, "item_pk": _dialogue(w)["item"].pk, "action": a}
            for a in ("resolve", "assign")
        ],
        post=lambda w: {"note": "x", "department": w["commune"].departments.first().pk},
    ),
    "notify:opt_out": Public("residents ask for an opt-out link: no commune, answers alike for any address"),
    "notify:opt_out_confirm": Public(
        "the signed opt-out link (token = the address, signed): no commune data"
    ),
    "portal:online_list": Own("the procedures residents may submit online"),
    "portal:online_submit": Own(
        "residents' online submission (creates a draft in the commune chosen)",
        lambda w: [{"code": w["birth"].code}],
    ),
    # the hall's queue: the residents' phone pages
    "queueing:take": Own(
        "public on purpose: the page a center's QR poster opens; taking a number is anonymous "
        "(limited per client), shows the center's groups and waiting counts, never a ticket",
        lambda w: [{"code": str(w["commune"].code)}],
    ),
    "queueing:ticket": Scoped(
        lambda w: [
            {"pk": t.pk, "secret": s} for t in w["tickets"] for s in ("0" * 22, t.secret[:-1], t.secret + "x")
        ]
    ),
    "queueing:leave": Scoped(
        lambda w: [
            {"pk": t.pk, "secret": s} for t in w["tickets"] for s in ("0" * 22, t.secret[:-1], t.secret + "x")
        ]
    ),
    # the kiosk at the door: the center is the one of the screen's signed kiosk cookie
    "queueing:kiosk": Own(
        "the kiosk's own center only, from its signed device cookie; without one the activation form"
    ),
    "queueing:kiosk_activate": Own("activating a screen with a kiosk token (the token's own center)"),
    # even A's real ticket secrets: only the kiosk that issued a ticket prints it
    "queueing:kiosk_ticket": Scoped(
        lambda w: [{"pk": t.pk, "secret": s} for t in w["tickets"] for s in (t.secret, "0" * 22)]
    ),
    "queueing:poster": Scoped(lambda w: [{"code": str(w["commune"].code)}]),
    # appointments (issue 8 §7)
    "queueing:book": Own(
        "public on purpose: residents book a slot of the center named, anonymously (limited per client)",
        lambda w: [{"code": str(w["commune"].code)}],
    ),
    "queueing:appointment": Scoped(
        lambda w: [
            {"pk": a.pk, "secret": s}
            for a in w["appointments"]
            for s in ("0" * 22, a.secret[:-1], a.secret + "x")
        ],
        post=lambda w: {"action": "cancel"},
    ),
    "queueing:appointments_today": Own("today's appointments of the officer's own commune"),
    "queueing:stats": Own(
        "the queue's statistics of the user's own commune (a province officer picks one of the province)",
        query=lambda w: {"xa": w["commune"].pk},
    ),
    "queueing:board": Own(
        "public on purpose: the hall's TV board (no login on a TV) shows the center's counters, "
        "called numbers and waiting counts, never a name, phone or ticket secret",
        lambda w: [{"code": str(w["commune"].code)}],
    ),
    "queueing:board_state": Own(
        "public on purpose: the board's state fragment, the same numbers as queueing:board",
        lambda w: [{"code": str(w["commune"].code)}],
    ),
    # the officer's console
    "queueing:console": Own("the counters of the officer's own commune, to sit at one"),
    "queueing:console_counter": Scoped(lambda w: [{"pk": w["counter"].pk}]),
    "queueing:console_state": Scoped(lambda w: [{"pk": w["counter"].pk}]),
    "queueing:console_intake": Scoped(
        lambda w: [{"pk": w["counter"].pk}],
        query=lambda w: {"so": w["tickets"][0].pk, "q": "dat"},
    ),
    "queueing:console_act": Scoped(
        lambda w: [{"pk": w["counter"].pk, "action": a} for a in sorted(CONSOLE_ACTIONS)],
        post=lambda w: {"ticket": w["tickets"][0].pk, "group": "B", "reason": "x"},
    ),
    # catalogue (installation-wide)
    "catalog:list": Own("the public catalogue"),
    "catalog:detail": Own("a procedure of the shared catalogue", lambda w: [{"code": w["land"].code}]),
    "catalog:export": Own("the shared catalogue as Excel"),
    "catalog:import": Own("the shared catalogue's import (installation administrators only)"),
    "catalog:import_preview": Scoped(_catalogue_import),
    "catalog:import_apply": Scoped(_catalogue_import),
    "catalog:import_history": Own("the shared catalogue's imports (installation administrators only)"),
    # dossiers
    "dossiers:counter": Own("the counter officer's own desk"),
    "dossiers:procedure_search": Own("search of the shared catalogue"),
    "dossiers:intake": Own(
        "receipt of a new dossier in the officer's commune", lambda w: [{"code": w["land"].code}]
    ),
    "dossiers:inbox": Own("the user's own work list"),
    "dossiers:approvals": Own("the leader's own approvals"),
    "dossiers:book": Own("the commune's own tracking book", query=_a_name),
    "dossiers:search": Own("search of the commune's own dossiers", query=_a_name),
    "dossiers:supplements": Own("the commune's own dossiers waiting for supplementation"),
    "dossiers:overview": Own(
        "the leader's view of their own commune (a province officer picks one of the province)",
        query=lambda w: {"xa": w["commune"].pk},
    ),
    "dossiers:detail": Scoped(_dossiers),
    "dossiers:act": Scoped(
        lambda w: (
            [
                {"pk": d.pk, "action": a}
                for d in w["dossiers"]
                for a in ("transfer", "submit_draft", "receive")
            ]
            + [{"pk": w["draft"].pk, "action": "receive"}]
        ),
        post=lambda w: {"reason": "x", "items": "x", "result_summary": "x"},
    ),
    "dossiers:attach": Scoped(_dossiers),
    "dossiers:form": Scoped(
        lambda w: [{"pk": d.pk, "form": f} for d in w["dossiers"] for f in ("01", "02", "03")]
    ),
    "dossiers:document": Scoped(lambda w: [{"pk": w["document"].pk}]),
    # register merge
    "registers:jobs": Own("the commune's own merge jobs (POST creates one in the user's commune)"),
    "registers:addresses": Own("the address conversion tool: the result is kept for its maker only"),
    "registers:addresses_download": Scoped(lambda w: [{"token": _ac_address_token(w)}]),
    "registers:job": Scoped(_job),
    "registers:progress": Scoped(_job),
    "registers:rerun": Scoped(_job),
    "registers:cancel": Scoped(_job),
    "registers:download": Scoped(_job),
    "registers:review": Scoped(_job),
    "registers:decide": Scoped(
        lambda w: [{"pk": w["job"].pk, "pair_id": w["pair"].pk}],
        post=lambda w: {"verdict": "match", "reason": "Đã xác minh với tổ dân phố"},
    ),
    # R-A apply decisions (issue 12)
    "registers:apply": Scoped(_job, post=lambda w: {}),
    "registers:files_retry": Scoped(_job, post=lambda w: {}),  # R-F
    "registers:files": Scoped(_job),  # R-G
    # R-B national export (issue 12)
    "registers:download_national": Scoped(_job, query=lambda w: {"dinh-dang": "csv"}),
    # the commune's administration
    "org:admin_home": Own("the administrator's own commune"),
    "org:departments": Own("the departments of the administrator's own commune"),
    "org:department_rename": Scoped(_departments, post=lambda w: {"name": "Phòng Đổi Tên"}),
    "org:department_close": Scoped(_departments),
    "org:staff": Own("the staff of the administrator's own commune"),
    "org:staff_import": Own("staff import into the administrator's own commune"),
    "org:staff_template": Own("the blank staff workbook"),
    "org:staff_edit": Scoped(
        _staff, post=lambda w: {"full_name": "Bị Đổi Tên", "role": "ADMIN", "roles": "ADMIN"}
    ),
    "org:staff_set_active": Scoped(_staff, post=lambda w: {"active": "0"}),
    "org:staff_reset_password": Scoped(_staff, post=lambda w: {"password": "MatKhauMoi-2026-xyz"}),
    "org:profile": Own("what the administrator's own commune shows residents"),
    # the queue's set-up (issue 8 §1, §3): the administrator's own commune's groups, counters, kiosks
    "queueing_setup:groups": Own("the service groups of the administrator's own commune (POST creates one)"),
    "queueing_setup:group_update": Scoped(
        _queue_groups, post=lambda w: {"name": "Nhóm Bị Đổi", "capacity": "1", "slot_minutes": "10"}
    ),
    "queueing_setup:group_set_active": Scoped(_queue_groups, post=lambda w: {"active": "0"}),
    "queueing_setup:counters": Own("the counters of the administrator's own commune (POST creates one)"),
    "queueing_setup:counter_update": Scoped(
        lambda w: [{"pk": w["counter"].pk}], post=lambda w: {"number": "9", "name": "Quầy Bị Đổi"}
    ),
    "queueing_setup:counter_set_active": Scoped(
        lambda w: [{"pk": w["counter"].pk}], post=lambda w: {"active": "0"}
    ),
    "queueing_setup:counter_hours_add": Scoped(
        lambda w: [{"pk": w["counter"].pk}],
        post=lambda w: {"group": w["counter"].groups.first().pk, "starts": "13:00", "ends": "14:00"},
    ),
    "queueing_setup:counter_hours_remove": Scoped(_queue_hours),
    "queueing_setup:counter_free": Scoped(lambda w: [{"pk": w["counter"].pk}]),
    "queueing_setup:kiosks": Own("the kiosks of the administrator's own commune (POST creates one)"),
    "queueing_setup:kiosk_revoke": Scoped(_queue_kiosks),
    # the feedback set-up (issue 9 §1): the administrator's own commune's categories
    "feedback_setup:categories": Own(
        "the feedback categories of the administrator's own commune (POST adds one)"
    ),
    "feedback_setup:use_defaults": Own("creates the usual categories in the administrator's own commune"),
    "feedback_setup:category_update": Scoped(
        _feedback_categories,
        post=lambda w: {"name": "Lĩnh Vực Bị Đổi", "deadline_days": "1", "position": "0"},
    ),
    "feedback_setup:category_set_active": Scoped(_feedback_categories, post=lambda w: {"active": "0"}),
    # Open311 GeoReport v2 (issue 9 §5): public by the specification; answers carry no personal
    # data; jurisdiction_id (the commune code) picks the commune and another commune's id is a
    # 404 there; POST needs the commune's own api_key (another commune's is a 403) — tested in
    # motcua/feedback/tests/test_open311.py
    "open311:root": Public("Open311's base URL: redirects to the discovery document"),
    "open311:discovery": Public("Open311 discovery document: the endpoint's URL and formats"),
    "open311:services": Public("Open311 services: a commune's feedback categories, public by the spec"),
    "open311:service": Public("Open311 service definition: a category's attributes and neighbourhoods"),
    "open311:requests": Public(
        "Open311 requests: GET lists a commune's issues without personal data (public by the spec); "
        "POST needs the commune's own api_key"
    ),
    "open311:request": Public("Open311 request by id: its state, without personal data (public by the spec)"),
    "open311:token": Public("Open311 token → the request's id, which is public anyway"),
    # the API's own pages (its operations are walked from the OpenAPI document)
    "api:api-root": Public("the API's root"),
    "api:openapi-json": Public("the OpenAPI document"),
    "api:openapi-view": Public("the API's documentation page"),
}


@dataclass(frozen=True)
class Call:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class ApiScoped:
    """The call names objects of commune A: every outsider gets 401/403/404."""

    build: Callable[[World], list[Call]]


@dataclass(frozen=True)
class ApiOwn:
    reason: str
    build: Callable[[World], list[Call]]


@dataclass(frozen=True)
class ApiPublic:
    reason: str


def _counter_calls(w: World) -> list[Call]:
    """A's counter with A's tickets (the called one and the waiting one)."""
    return [Call(path={"counter_id": w["counter"].pk}, body={"ticket": t.pk}) for t in w["tickets"]]


def _action_body() -> dict[str, Any]:
    return {"reason": "x", "items": ["x"], "result_summary": "x"}


ENDPOINTS: dict[str, ApiScoped | ApiOwn | ApiPublic] = {
    "GET /api/procedures": ApiOwn("the public catalogue", lambda w: [Call(query={"q": "dat"})]),
    "GET /api/procedures/{code}": ApiOwn(
        "the public catalogue", lambda w: [Call(path={"code": w["land"].code})]
    ),
    "GET /api/procedures/imports": ApiOwn(
        "the shared catalogue's imports (installation admins)", lambda w: [Call()]
    ),
    "POST /api/procedures/imports": ApiOwn(
        "upload to the shared catalogue (installation admins)", lambda w: [Call()]
    ),
    "GET /api/procedures/imports/{import_id}": ApiScoped(
        lambda w: [Call(path={"import_id": w["catalogue_import"].pk})]
    ),
    "POST /api/procedures/imports/{import_id}/apply": ApiScoped(
        lambda w: [Call(path={"import_id": w["catalogue_import"].pk})]
    ),
    "GET /api/dossiers": ApiOwn(
        "the caller's own dossiers",
        lambda w: [Call()] + [Call(query={"q": d.code}) for d in w["dossiers"] if d.code],
    ),
    "GET /api/dossiers/{dossier_id}": ApiScoped(
        lambda w: [Call(path={"dossier_id": d.pk}) for d in [*w["dossiers"], w["draft"]]]
    ),
    "POST /api/dossiers/intake": ApiOwn(
        "receipt in the caller's own commune",
        lambda w: [
            Call(
                body={
                    "procedure_code": w["land"].code,
                    "applicant": {"name": "Người Ngoài", "phone": "0905000111"},
                    "outcome": "refuse",
                    "reason": "Sai thẩm quyền",
                }
            )
        ],
    ),
    "POST /api/dossiers/{dossier_id}/actions/{action}": ApiScoped(
        lambda w: [
            Call(path={"dossier_id": d.pk, "action": a}, body=_action_body())
            for d in [*w["dossiers"], w["draft"]]
            for a in ("transfer", "submit_draft", "receive", "withdraw")
        ]
    ),
    "GET /api/public/lookup": ApiPublic(
        "residents' lookup: answers only with the code and the phone's last digits"
    ),
    # the hall's queue
    "GET /api/queue/centers/{code}/events": ApiPublic(
        "the hall's event stream: what the board in the hall shows anyway (numbers, counters), no names"
    ),
    "POST /api/queue/appointments": ApiOwn(
        "booking is anonymous on purpose (limited per client): a new appointment of the center named",
        lambda w: [
            Call(
                body={
                    "center": str(w["commune"].code),
                    "group": "A",
                    "starts_at": "2099-01-01T09:00:00",
                    "name": "Người Ngoài",
                    "phone": "",
                }
            )
        ],
    ),
    "GET /api/queue/centers/{code}/slots": ApiPublic(
        "a group's free places per slot: no names, no appointments"
    ),
    "POST /api/queue/appointments/{appointment_id}/check-in": ApiScoped(
        lambda w: [
            Call(path={"appointment_id": a.pk}, query=q)
            for a in w["appointments"]
            for q in ({}, {"secret": "0" * 22}, {"secret": a.secret[:-1]})
        ]
    ),
    "POST /api/queue/tickets": ApiOwn(
        "taking a number is anonymous on purpose (limited per client): a new ticket of the center named",
        lambda w: [Call(body={"center": str(w["commune"].code), "group": "A", "priority": False})],
    ),
    "GET /api/queue/tickets/{ticket_id}": ApiScoped(
        lambda w: [
            Call(path={"ticket_id": t.pk}, query=q)
            for t in w["tickets"]
            for q in ({}, {"secret": "0" * 22}, {"secret": t.secret[:-1]})
        ]
    ),
    **{
        f"POST /api/queue/counters/{{counter_id}}/{step}": ApiScoped(_counter_calls)
        for step in ("call-next", "recall", "no-show", "finish", "start", "resume")
    },
    "POST /api/queue/counters/{counter_id}/hold": ApiScoped(
        lambda w: [
            Call(path={"counter_id": w["counter"].pk}, body={"ticket": t.pk, "reason": "x"})
            for t in w["tickets"]
        ]
    ),
    "POST /api/queue/counters/{counter_id}/transfer": ApiScoped(
        lambda w: [
            Call(path={"counter_id": w["counter"].pk}, body={"ticket": t.pk, "group": g})
            for t in w["tickets"]
            for g in ("B", "C")
        ]
    ),
}


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    is_api_operation: bool


def url_routes() -> list[Route]:
    """Every URL pattern of the project, with its namespaced name."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            else:
                assert isinstance(p, URLPattern)
                name = namespace + (p.name or f"<unnamed {prefix}{p.pattern}>")
                yield Route(
                    name, prefix + str(p.pattern), p.callback.__module__.startswith("ninja.operation")
                )

    return list(walk(get_resolver().url_patterns, "", ""))


def api_operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _as_openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_url_and_endpoint_is_in_the_registry():
    routes = url_routes()
    api_paths = {path for _, path, _ in api_operations()}
    problems = []
    for r in routes:
        if r.is_api_operation:
            # An API operation is walked from the OpenAPI document: it must be in it.
            if _as_openapi_path(r.route) not in api_paths:
                problems.append(
                    f"URL {r.name} ({r.route}) is not in the OpenAPI document, so not covered by the tenant walk"
                )
        elif r.name not in URLS:
            problems.append(f"URL {r.name} is not covered by the tenant walk")
    ops = {f"{m} {p}" for m, p, _ in api_operations()}
    problems += [f"URL {op} is not covered by the tenant walk" for op in sorted(ops - set(ENDPOINTS))]
    stale = (set(URLS) - {r.name for r in routes}) | (set(ENDPOINTS) - ops)
    if stale:
        problems.append(f"the tenant walk registers URLs that no longer exist: {sorted(stale)}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# the two communes
# --------------------------------------------------------------------------------------------


def build_world(settings: Any, tmp_path: Any) -> World:
    """Commune A (Thanh Khê): its staff, dossiers in several states, a document, an online
    draft, a merge job with a review pair."""
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.REGISTERS_ROOT = tmp_path / "registers"
    commune = make_commune()
    staff = make_staff(commune)
    staff["data"] = make_user(commune, Role.DATA_OFFICER, "dulieu")
    birth, land = make_procedure(), land_procedure()
    now = clock.now()
    dossiers = [
        dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name=SECRET_NAME, phone="0905999888"),
            form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome=outcome,
            missing_items=["Sơ đồ"], reason="Sai thẩm quyền", now=now,
        )
        for outcome in ("receive", "supplement", "refuse")
    ]  # fmt: skip
    dossiers[0] = dossier_apply(dossier=dossiers[0], action="transfer", actor=staff["counter"], now=now)
    dossier_attach_documents(
        dossier=dossiers[0], actor=staff["counter"], files=[(None, SimpleUploadedFile("a.pdf", PDF))],
        now=now,
    )  # fmt: skip
    # Further along the way: awaiting approval, approved (result to hand back), waiting for the
    # fee, in consultation, so that every action form of the dossier page exists somewhere.
    for steps in (
        [("submit_draft", "specialist_econ")],
        [("submit_draft", "specialist_econ"), ("approve", "leader")],
        [("await_fee", "specialist_econ")],
        [("consult", "specialist_econ")],
    ):
        d = dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name=SECRET_NAME, phone="0905999888"),
            form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome="receive", now=now,
        )  # fmt: skip
        d = dossier_apply(dossier=d, action="transfer", actor=staff["counter"], now=now)
        for action, who in steps:
            d = dossier_apply(dossier=d, action=action, actor=staff[who], reason="Ý kiến phối hợp", now=now)
        dossiers.append(d)
    draft = dossier_create_draft(
        commune=commune, procedure=birth, applicant=Applicant(name=SECRET_NAME, phone="0905999777"),
        form_data={}, channel=Channel.ONLINE, now=now,
    )  # fmt: skip
    job = MergeJob.objects.create(
        commune=commune, title=SECRET_JOB, created_by=staff["data"], status=JobStatus.DONE, runs=1
    )
    RegisterFile.objects.create(job=job, original_name="so-ho-khau-bi-mat.csv", stored_name="x.csv", size=1,
                                sha256="0" * 64, rows=2)  # fmt: skip
    person = {
        "raw": {"full_name": SECRET_PERSON, "birth_date": "01/01/1990", "source": "a", "record_id": "a:1",
                "file_name": "so-a.csv", "line_no": 2},
        "norm": {"birth_date": "1990-01-01", "birth_year": 1990},
    }  # fmt: skip
    pair = ReviewPair.objects.create(
        job=job, rank=1, record_id_l="a:1", record_id_r="b:1", match_probability=0.5, match_weight=0.0,
        same_person=False, left=person, right=person | {"raw": person["raw"] | {"source": "b", "record_id": "b:1"}},
    )  # fmt: skip
    # The hall's queue: quầy 1 (groups A, B) with the counter officer; one ticket called there,
    # one waiting.
    make_service_groups(commune)
    counter = make_counter(commune, 1, "AB", officer=staff["counter"])
    # Its hours for B and a kiosk: the set-up screens' objects (queueing_setup:*).
    CounterHours.objects.create(counter=counter, group=counter.groups.get(letter="B"), starts=dt.time(7, 30),
                                ends=dt.time(11, 30))  # fmt: skip
    kiosk_create(commune=commune, now=now, name="Máy Bí Mật")
    tickets = [ticket_issue(commune=commune, group_letter="A", priority=False, now=now) for _ in range(2)]
    called = counter_call_next(actor=staff["counter"], counter=counter, now=now)
    assert called is not None and called.pk == tickets[0].pk
    # An appointment of today (the walk's clock is real: created directly, its window open now).
    appointments = [
        Appointment.objects.create(commune=commune, group=counter.groups.get(letter="B"), starts_at=now,
                                   ends_at=now + dt.timedelta(minutes=30), name=SECRET_NAME, created_at=now)
    ]  # fmt: skip
    catalogue_import = CatalogueImport.objects.create(
        source=CatalogueImport.Source.WEB, actor_label="quantri", filename="danh-muc-bi-mat.xlsx",
        file_sha256="0" * 64, rows=[], base_fingerprint="0" * 64, previewed_at=now,
    )  # fmt: skip
    return {
        "commune": commune,
        "catalogue_import": catalogue_import,
        "staff": staff,
        "birth": birth,
        "land": land,
        "dossiers": dossiers,
        "document": DossierDocument.objects.get(),
        "draft": draft,
        "job": job,
        "pair": pair,
        "counter": counter,
        "tickets": tickets,
        "appointments": appointments,
        "secrets": [SECRET_NAME, SECRET_JOB, SECRET_PERSON, "so-ho-khau-bi-mat", "danh-muc-bi-mat"]
        + [d.code for d in dossiers if d.code]
        + [t.secret for t in tickets]
        + [a.secret for a in appointments],
    }


@pytest.fixture
def world(settings, tmp_path) -> World:
    return build_world(settings, tmp_path)


@pytest.fixture
def outsiders(db) -> dict[str, User | None]:
    """Every role of commune B (same province), a province officer of another province, anonymous."""
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    people: dict[str, User | None] = dict(make_staff(other, prefix="ak_"))
    for role in Role:
        if role not in {u.role for u in people.values() if u} and role != Role.PROVINCE_OFFICER:
            people[role.lower()] = make_user(other, role, f"ak_{role.lower()}", DepartmentKind.ECONOMIC)
    hn = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    Commune.objects.create(code=4, name="Phường Ba Đình", division_type="phường", codename="ba_dinh",
                           province=hn, name_folded="phuong ba dinh")  # fmt: skip
    people["province_other"] = make_user(None, Role.PROVINCE_OFFICER, "hn_sonoivu")
    people["province_other"].province = hn
    people["province_other"].save()
    people["anonymous"] = None
    return people


def _state(w: World) -> dict[str, Any]:
    """What an outsider must not change."""
    return {
        "dossiers": list(
            Dossier.objects.filter(commune=w["commune"]).order_by("pk").values_list("pk", "state")
        ),
        "documents": DossierDocument.objects.count(),
        "job": MergeJob.objects.filter(pk=w["job"].pk).values_list("status", "runs").get(),
        "decisions": ReviewDecision.objects.count(),
        "staff": sorted(
            User.objects.filter(commune=w["commune"]).values_list(
                "pk", "password", "is_active", "role", "full_name"
            )
        ),
        "departments": sorted(w["commune"].departments.values_list("pk", "name", "closed_at")),
        "catalogue_import": CatalogueImport.objects.filter(pk=w["catalogue_import"].pk)
        .values_list("status")
        .get(),
        "tickets": list(
            Ticket.objects.filter(pk__in=[t.pk for t in w["tickets"]])
            .order_by("pk")
            .values_list("pk", "state", "counter_id", "recalls", "queue_group_id")
        ),
        "appointments": list(
            Appointment.objects.filter(pk__in=[a.pk for a in w["appointments"]]).values_list(
                "pk", "state", "ticket_id"
            )
        ),
        "counter_officer": Counter.objects.filter(pk=w["counter"].pk).values_list("officer_id").get(),
        "queue_setup": (
            sorted(ServiceGroup.objects.filter(commune=w["commune"]).values_list("pk", "name", "active")),
            sorted(
                Counter.objects.filter(commune=w["commune"]).values_list("pk", "number", "name", "active")
            ),
            sorted(CounterHours.objects.filter(counter__commune=w["commune"]).values_list("pk", "starts")),
            sorted(KioskDevice.objects.filter(commune=w["commune"]).values_list("pk", "revoked_at")),
        ),
    }


def _leaks(body: bytes, secrets: list[str]) -> list[str]:
    """The secrets found in a body, as written or JSON-escaped (\\u1ef3…)."""
    text = body.decode("utf-8", errors="ignore")
    return [s for s in secrets if s in text or json.dumps(s)[1:-1] in text]


def _body(resp: Any) -> bytes:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content)
    return resp.content


# --------------------------------------------------------------------------------------------
# the walks
# --------------------------------------------------------------------------------------------

REFUSED = {401, 403, 404, 405, 429}


def test_every_url_refuses_other_communes_and_shows_none_of_their_data(world, outsiders):
    routes = [r for r in url_routes() if not r.is_api_operation]
    before = _state(world)
    login = reverse("core:login")
    failures: list[str] = []
    walked, requests = set(), 0
    for who, user in outsiders.items():
        client = Client(raise_request_exception=False)
        homes = {login, reverse("core:home")}
        if user is not None:
            client.force_login(user)
            start = client.get(reverse("core:home"))
            if start.status_code == 302:
                homes.add(start["Location"])
        for r in routes:
            entry = URLS.get(r.name)
            if entry is None:
                failures.append(f"URL {r.name} is not covered by the tenant walk")
                continue
            if isinstance(entry, Public):
                continue
            walked.add(r.name)
            for kwargs in entry.build(world):
                url = reverse(r.name, kwargs=kwargs)
                for method in ("get", "post"):
                    data = entry.post(world) if method == "post" else entry.query(world)
                    resp = getattr(client, method)(url, data)
                    requests += 1
                    where = f"{who} {method.upper()} {url} ({r.name}) → {resp.status_code}"
                    leaked = _leaks(_body(resp), world["secrets"])
                    if leaked:
                        failures.append(f"{where} shows commune A's data {leaked}")
                    if resp.status_code >= 500:
                        failures.append(f"{where}: server error")
                    elif isinstance(entry, Scoped):
                        redirect_ok = resp.status_code in (301, 302, 303) and (
                            resp["Location"].split("?")[0] in homes or resp["Location"].startswith(login)
                        )
                        if resp.status_code not in REFUSED and not redirect_ok:
                            failures.append(f"{where}: not refused ({resp.get('Location', '')})")
    public = {name for name, e in URLS.items() if isinstance(e, Public)}
    print(f"\ntenant walk: {len(walked)} URL patterns walked ({requests} requests by {len(outsiders)} outsiders), "
          f"{len(public)} public on purpose, {len(routes)} non-API patterns in the URL configuration")  # fmt: skip
    assert not failures, "\n".join(failures)
    assert len(walked) + len(public & {r.name for r in routes}) >= len(routes)
    assert _state(world) == before


def _fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def test_every_endpoint_refuses_other_communes_and_shows_none_of_their_data(world, outsiders):
    operations = api_operations()
    before = _state(world)
    tokens: dict[str, str] = {}
    for who, user in outsiders.items():
        if user is not None:
            raw = ApiToken.new_raw()
            ApiToken.objects.create(
                user=user, name="walk", key_hash=ApiToken.hash(raw), created_at=clock.now()
            )
            tokens[who] = raw
    failures: list[str] = []
    walked, requests = set(), 0
    for method, path, op in operations:
        key = f"{method} {path}"
        entry = ENDPOINTS.get(key)
        if entry is None:
            failures.append(f"URL {key} is not covered by the tenant walk")
            continue
        if isinstance(entry, ApiPublic):
            continue
        walked.add(key)
        for who in outsiders:
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            client = Client(headers=headers, raise_request_exception=False)
            for call in entry.build(world):
                url = _fill(path, call.path)
                if method == "GET":
                    resp = client.get(url, call.query)
                else:
                    resp = client.generic(method, url, json.dumps(call.body or {}),
                                          content_type="application/json")  # fmt: skip
                requests += 1
                where = f"{who} {method} {url} {call.query or ''} → {resp.status_code}"
                leaked = _leaks(resp.content, world["secrets"])
                if leaked:
                    failures.append(f"{where} shows commune A's data {leaked}")
                if resp.status_code >= 500:
                    failures.append(f"{where}: server error")
                elif isinstance(entry, ApiScoped) and resp.status_code not in REFUSED:
                    failures.append(f"{where}: not refused")
                elif who == "anonymous" and op.get("security") and resp.status_code != 401:
                    failures.append(f"{where}: an anonymous call to a staff endpoint must answer 401")
    public = {k for k, e in ENDPOINTS.items() if isinstance(e, ApiPublic)}
    print(f"\ntenant walk: {len(walked)} API endpoints walked ({requests} calls by {len(outsiders)} outsiders), "
          f"{len(public)} public on purpose, {len(operations)} operations in the OpenAPI document")  # fmt: skip
    assert not failures, "\n".join(failures)
    assert len(walked) + len(public) >= len(operations)
    assert _state(world) == before


def test_an_unregistered_url_fails_the_walk(monkeypatch):
    """The walk's own guard: a URL nobody registered is named in the failure."""
    monkeypatch.delitem(URLS, "dossiers:detail")
    with pytest.raises(AssertionError, match="URL dossiers:detail is not covered by the tenant walk"):
        test_every_url_and_endpoint_is_in_the_registry()
    monkeypatch.delitem(ENDPOINTS, "GET /api/dossiers/{dossier_id}")
    monkeypatch.setitem(URLS, "dossiers:detail", Scoped(_dossiers))
    with pytest.raises(AssertionError, match=r"URL GET /api/dossiers/\{dossier_id\} is not covered"):
        test_every_url_and_endpoint_is_in_the_registry()


# --------------------------------------------------------------------------------------------
# what the walk cannot tell: lists answer 200 but must hold none of A's rows; the province
# officer of A's own province reads but does not act
# --------------------------------------------------------------------------------------------


def test_lists_of_another_commune_show_none_of_our_dossiers(world, outsiders):
    for who, user in outsiders.items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        for name in ("inbox", "approvals", "book"):
            resp = client.get(reverse(f"dossiers:{name}"), {"pham_vi": "department", "tu": "01/01/2020"})
            assert resp.status_code in (200, 403), (who, name)
            assert not _leaks(resp.content, world["secrets"]), (who, name)
        if user.role == Role.COUNTER_OFFICER:
            assert not _leaks(client.get(reverse("dossiers:counter")).content, world["secrets"])


def test_province_officer_reads_own_province_only(world):
    reader = make_user(None, Role.PROVINCE_OFFICER, "dn_sonoivu")
    reader.province_id = 48
    reader.save()
    client = Client()
    client.force_login(reader)
    d = world["dossiers"][0]
    assert client.get(reverse("dossiers:detail", args=[d.pk])).status_code == 200
    resp = client.post(reverse("dossiers:act", args=[d.pk, "submit_draft"]))
    assert resp.status_code == 403, "a province officer reads but does not act"


def test_the_walks_searches_find_our_dossiers_for_our_own_staff(world):
    """The control: the queries the walk sends do find A's dossiers (so an outsider's empty
    answer means isolation, not a search that finds nothing)."""
    client = Client()
    client.force_login(world["staff"]["counter"])
    for name in ("dossiers:search", "dossiers:book"):
        entry = URLS[name]
        assert isinstance(entry, Own)
        resp = client.get(reverse(name), entry.query(world))
        assert resp.status_code == 200 and _leaks(resp.content, world["secrets"]), name
