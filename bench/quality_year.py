"""A year of one ward's data on PostgreSQL, and the speed of the quality dashboards (issue 10).

    bash tools/pg.sh .venv/bin/python bench/quality_year.py [--runs 5] [--days 365] [--others 10]
        [--alternatives] [--indexes] [--jit-off] [--explain N] [--profile N]

1. Migrates the (throwaway) database, loads the starter catalogue and makes ONE ward (Phường
   Thanh Khê, Đà Nẵng) with a year of data ending yesterday, written in bulk — not through the
   services, which would take hours — but row for row what the services write:
   - queue: ~600 tickets a working day (the hall simulated by `queueing.simulate`, scaled), every
     ticket final (done, no-show, left) with its TicketEvents, numbers gap-free per group and day
     and a TicketSequence at the last one;
   - dossiers: ~150 received a working day (~30 % online, a few by post) on the 24 starter
     procedures, each living the one-stop lifecycle step by step (receive, transfer, assign,
     supplementation — once, some twice, the clock restarting —, consultation, fee wait moving
     the deadline, apology with one new date, draft, approval, return; stopped, refused,
     withdrawn, stuck past the deadline) up to now: the fields are set by the effects
     `dossiers.workflow` applies and every step has its control-sheet entry (the next step's
     deadline, whether the step that ended was on time); codes `<agency>-<YYMMDD>-<NNNN>`
     gap-free with their DossierSequence; scanned documents for every online dossier and half
     the others, result documents for most results (rows only: no file is written);
   - ~3,000 feedback items (categories, neighbourhoods, codes, deadlines in working days, their
     events), a few rejected, duplicated or still open, ratings 1–5 for a share of the resolved;
   - ratings (Circular 01/2018, `TT01-2018-v1`) for ~30 % of the dossiers returned and ~20 % of
     the tickets served, about the officer and department who did the work;
   plus --others (10) other wards of the same province with a smaller month each (the
   province's ranking). Then ANALYZE. Sizes and generation time are printed.
2. Times, with Django's test Client (the ward's leader; a province officer for the province
   pages), each URL of URLS that exists: one cold request, then --runs warm ones: median and max
   ms and the number of queries (a 404 is reported as "not built", a 403/500 as such). Then
   `motcua quality index` over the year.
3. Analysis (each optional): `--explain N` EXPLAIN (ANALYZE, BUFFERS) of each page's N slowest
   queries; `--profile N` cProfile's top N functions of one request of each page over 1 s;
   `--alternatives` times the slow reads as the code writes them and written in SQL, checking
   both give the same numbers; `--indexes` creates the indexes proposed in docs/performance.md
   with raw SQL (in this throwaway database only), ANALYZE, and times the pages again;
   `--jit-off` sets `jit = off` for the database and times them again.

Refuses to run on anything but PostgreSQL. The choices are seeded (`--seed`): two runs on the same
day make the same rows but for their random secrets. `generate()` is also what `motcua/quality/tests/test_bench_year.py` runs at a week.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WARD = (20209, "Phường Thanh Khê")
# The other wards of the province (codes made up, out of the way of real ones used by the tests).
OTHERS = (
    "Phường Hải Châu", "Phường Hòa Cường", "Phường Sơn Trà", "Phường An Hải", "Phường Ngũ Hành Sơn",
    "Phường Hòa Khánh", "Phường Liên Chiểu", "Phường Cẩm Lệ", "Phường Hòa Xuân", "Xã Hòa Vang",
    "Xã Bà Nà", "Xã Hòa Tiến",
)  # fmt: skip
OTHER_CODE_BASE = 29900
LEADER = "qy_chutich"
PROVINCE_OFFICER = "qy_tinh"

# The pages timed: (label, path, user); "{year}" is the year's ?tu=…&den=…, "{ward}" its code.
URLS: tuple[tuple[str, str, str], ...] = (
    ("leader dashboard, this month", "/chat-luong/", LEADER),
    ("leader dashboard, the year", "/chat-luong/?{year}", LEADER),
    ("indicator TD1, this month", "/chat-luong/chi-so/TD1/", LEADER),
    ("indicator TD1, the year", "/chat-luong/chi-so/TD1/?{year}", LEADER),
    ("Excel export, the year", "/chat-luong/xuat-excel/?{year}", LEADER),
    ("province ranking, this month", "/chat-luong/tinh/", PROVINCE_OFFICER),
    ("province ranking, the year", "/chat-luong/tinh/?{year}", PROVINCE_OFFICER),
    ("province Excel, the year", "/chat-luong/tinh/xuat-excel/?{year}", PROVINCE_OFFICER),
    ("province drill-down, the year", "/chat-luong/tinh/{ward}/?{year}", PROVINCE_OFFICER),
    ("officers' page (leader)", "/chat-luong/can-bo/", LEADER),
    ("officers' list, the year", "/chat-luong/can-bo/danh-sach/?{year}", LEADER),
    # Existing dashboards reading the same tables (for comparison).
    ("leader overview /ho-so/tong-quan/", "/ho-so/tong-quan/", LEADER),
    ("queue statistics /lay-so/thong-ke/", "/lay-so/thong-ke/", LEADER),
)

# Indexes proposed for the dashboards (docs/performance.md); `--indexes` creates them here only.
PROPOSED_INDEXES: tuple[tuple[str, str], ...] = (
    # Every period filter of the engine and the dashboards: commune = … AND first_received_at in […).
    ("dossiers_dossier", "(commune_id, first_received_at)"),
    # The officers' numbers: FINISHED events of a period (the only index on events is `at`).
    ("queueing_ticketevent", "(kind, at)"),
    # Feedback of a period (the existing ones lead with state or neighbourhood).
    ("feedback_feedbackitem", "(commune_id, received_at)"),
)

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức", "Thị", "Văn", "Xuân", "Thu"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Yến",
]
STREETS = ("Hà Huy Tập", "Điện Biên Phủ", "Lê Duẩn", "Hùng Vương", "Trần Cao Vân", "Nguyễn Tất Thành")
FEEDBACK_TITLES = (
    "Đèn đường không sáng", "Rác thải tập kết sai nơi quy định", "Nước ngập khi mưa lớn",
    "Lấn chiếm vỉa hè để buôn bán", "Tiếng ồn karaoke sau 22 giờ", "Ổ gà trên đường kiệt",
    "Cây xanh có nguy cơ gãy đổ", "Nắp cống bị vỡ", "Xây dựng không phép", "Chó thả rông",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Sizes and rates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    tickets_per_day: int = 600
    dossiers_per_day: int = 150
    feedback_per_day: float = 12.0  # ~3,000 a year of ~250 working days
    online_share: float = 0.38  # of the procedures sent online (not on-the-spot ones): ~30 % of all
    dossier_rating_share: float = 0.30
    ticket_rating_share: float = 0.20
    counters: int = 10


WARD_RATES = Rates()
OTHER_RATES = Rates(tickets_per_day=200, dossiers_per_day=45, feedback_per_day=3.0)


@dataclass
class Sizes:
    communes: int = 0
    working_days: int = 0
    users: int = 0
    dossiers: int = 0
    control_entries: int = 0
    documents: int = 0
    tickets: int = 0
    ticket_events: int = 0
    feedback_items: int = 0
    feedback_events: int = 0
    ratings_dossier: int = 0
    ratings_ticket: int = 0
    feedback_rated: int = 0
    online: int = 0
    finished_late: int = 0  # a result after the (extended) deadline
    supplemented_once: int = 0
    supplemented_twice: int = 0
    dossier_states: Tally[str] = field(default_factory=Tally)

    def add(self, other: Sizes) -> None:
        for name in self.__dataclass_fields__:
            if name == "dossier_states":
                self.dossier_states.update(other.dossier_states)
            elif name != "communes":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.communes += 1

    def lines(self) -> list[str]:
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(self.dossier_states.items()))
        return [
            f"communes {self.communes}, working days {self.working_days:,}, staff {self.users:,}",
            f"dossiers {self.dossiers:,} ({states})",
            f"  online {self.online:,}, result after the deadline {self.finished_late:,},"
            f" supplemented once {self.supplemented_once:,}, twice {self.supplemented_twice:,}",
            f"control entries {self.control_entries:,}, documents {self.documents:,}",
            f"tickets {self.tickets:,}, ticket events {self.ticket_events:,}",
            f"feedback items {self.feedback_items:,} (rated {self.feedback_rated:,}),"
            f" feedback events {self.feedback_events:,}",
            f"ratings {self.ratings_dossier + self.ratings_ticket:,}"
            f" (dossiers {self.ratings_dossier:,}, tickets {self.ratings_ticket:,})",
        ]


# ---------------------------------------------------------------------------------------------
# Bulk writing
# ---------------------------------------------------------------------------------------------


def _copy(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into the model's table (PostgreSQL: ~10× bulk_create for the big child tables)."""
    if not rows:
        return
    from django.db import connection

    table = model._meta.db_table
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


# ---------------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------------


def _at(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ) + dt.timedelta(seconds=seconds)


OFFICE = ((7 * 3600 + 1800, 11 * 3600 + 1800), (13 * 3600 + 1800, 17 * 3600))


def _office_time(rng: random.Random, day: dt.date, *, until: float = 17 * 3600) -> dt.datetime:
    """A moment in office hours of `day` (weighted to the morning), before `until` seconds."""
    windows = [(a, min(b, until)) for a, b in OFFICE if a < until]
    a, b = windows[0] if len(windows) == 1 or rng.random() < 0.6 else windows[1]
    return _at(day, rng.uniform(a, b))


def _working_days(cal: Any, start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if cal.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# ---------------------------------------------------------------------------------------------
# The dossier lifecycle, in memory, mirroring dossiers.workflow's effects
# ---------------------------------------------------------------------------------------------


class _Life:
    """One dossier's steps applied as `workflow.dossier_apply` would, until `now`."""

    def __init__(self, d: Any, cal: Any, now: dt.datetime, labels: dict[int, str], names: dict[int, str]):
        self.d, self.cal, self.now = d, cal, now
        self.entries: list[dict[str, Any]] = []
        self.stopped = False
        self.labels, self.names = labels, names
        self.last_at: dt.datetime | None = None

    def step(
        self,
        action: str,
        at: dt.datetime,
        actor: Any,
        to_state: str | None,
        *,
        reason: str = "",
        **data: Any,
    ) -> bool:
        from motcua.calendar.workdays import due_at
        from motcua.dossiers.models import State as S

        if self.stopped:
            return False
        if self.last_at is not None and at <= self.last_at:
            at = self.last_at + dt.timedelta(minutes=1)
        if at > self.now:
            self.stopped = True
            return False
        d, cal = self.d, self.cal
        from_state = d.state
        step_due: dt.datetime | None = None
        handed_to, handed_label = None, ""
        note = reason
        if action == "receive":
            local = at.astimezone(LOCAL_TZ)
            d.received_at = at
            d.first_received_at = d.first_received_at or at
            d.due_at = due_at(
                received_at=local, unit=d.procedure.time_unit, value=d.procedure.time_value, calendar=cal
            )
            d.extended_due_at = None
            d.received_by = actor
            d.supplement_items = []
            if local.time() >= cal.same_day_cutoff or not cal.is_working_day(local.date()):
                nxt = cal.next_working_day(local.date())
                step_due = dt.datetime.combine(nxt, cal.office_windows[0][1], tzinfo=LOCAL_TZ)
            else:
                step_due = cal.end_of_day(local.date(), LOCAL_TZ)
        elif action == "request_supplement":
            d.supplement_items = data["items"]
            d.supplement_count += 1
            d.received_at = d.due_at = d.extended_due_at = None
            note = "Cần bổ sung: " + "; ".join(d.supplement_items)
        elif action == "transfer":
            d.department = data["department"]
            handed_to, handed_label = d.assignee, d.department.name
            step_due = d.extended_due_at or d.due_at
        elif action == "assign":
            d.assignee = handed_to = data["assignee"]
            step_due = d.extended_due_at or d.due_at
        elif action in ("resolve_on_spot", "approve"):
            d.finished_at = at
            d.result_summary = data.get("summary", "")
            step_due = d.extended_due_at or d.due_at
        elif action in ("stop", "refuse", "withdraw"):
            d.finished_at = at
            d.decision_reason = reason
        elif action == "await_fee":
            d.paused_at = at
        elif action == "fee_paid":
            waited = cal.working_days_between(
                d.paused_at.astimezone(LOCAL_TZ).date(), at.astimezone(LOCAL_TZ).date()
            )
            if waited and d.due_at:
                local_due = d.due_at.astimezone(LOCAL_TZ)
                d.due_at = dt.datetime.combine(
                    cal.add_working_days(local_due.date(), waited), local_due.timetz()
                )
                if d.extended_due_at:
                    ext = d.extended_due_at.astimezone(LOCAL_TZ)
                    d.extended_due_at = dt.datetime.combine(
                        cal.add_working_days(ext.date(), waited), ext.timetz()
                    )
            d.paused_at = None
            step_due = d.extended_due_at or d.due_at
        elif action == "extend":
            d.extended_due_at = cal.end_of_day(data["new_date"], LOCAL_TZ)
            d.extension_reason = reason
            step_due = d.extended_due_at
            note = f"{reason} — Hẹn lại: {data['new_date']:%d/%m/%Y}"
        elif action == "return_result":
            d.returned_at = at
            d.return_method = data.get("method", "IN_PERSON")
            note = (
                "Hình thức: "
                + {"IN_PERSON": "Trực tiếp", "ONLINE": "Trực tuyến", "POST": "Bưu chính"}[d.return_method]
            )
        if to_state is not None:
            d.state = to_state
        if step_due is None and d.state not in (S.DRAFT, S.SUPPLEMENT_REQUESTED, S.REFUSED):
            step_due = d.extended_due_at or d.due_at
        previous = self.entries[-1] if self.entries else None
        on_time = None
        if previous is not None and previous["step_due_at"] is not None:
            on_time = at <= previous["step_due_at"]
        self.entries.append(
            {
                "action": action,
                "from_state": from_state,
                "to_state": d.state,
                "actor_id": actor.pk,
                "actor_label": self.labels[actor.pk],
                "handed_to_id": handed_to.pk if handed_to else None,
                "handed_to_label": handed_label or (self.names[handed_to.pk] if handed_to else ""),
                "at": at,
                "step_due_at": step_due,
                "previous_step_on_time": on_time,
                "note": note,
            }
        )
        self.last_at = at
        return True


# ---------------------------------------------------------------------------------------------
# One commune
# ---------------------------------------------------------------------------------------------


@dataclass
class _Staff:
    leader: Any
    counter: list[Any]
    heads: dict[str, Any]
    specialists: dict[str, list[Any]]
    departments: dict[str, Any]
    labels: dict[int, str]
    names: dict[int, str]


def _make_staff(commune: Any, prefix: str, rates: Rates) -> _Staff:
    from motcua.org.models import Department, DepartmentKind, Role, User

    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    users: list[Any] = []

    def user(username: str, role: str, full_name: str, kind: str | None) -> Any:
        u = User(
            username=username, full_name=full_name, role=role, commune=commune, province=commune.province,
            department=departments.get(kind) if kind else None, password="!",
        )  # fmt: skip
        users.append(u)
        return u

    leader = user(
        LEADER if prefix == "" else f"{prefix}chutich", Role.COMMUNE_LEADER, "Lê Văn Lãnh Đạo", None
    )
    counter = [
        user(
            f"{prefix}qy_motcua{i}",
            Role.COUNTER_OFFICER,
            f"Cán Bộ Một Cửa {i}",
            DepartmentKind.SERVICE_CENTER,
        )
        for i in range(1, rates.counters + 1)
    ]
    heads: dict[str, Any] = {}
    specialists: dict[str, list[Any]] = {}
    for kind in (DepartmentKind.OFFICE, DepartmentKind.ECONOMIC, DepartmentKind.CULTURE_SOCIAL):
        short = kind.lower()[:4]
        heads[kind] = user(f"{prefix}qy_tp_{short}", Role.DEPARTMENT_HEAD, f"Trưởng Phòng {kind.label}", kind)
        specialists[kind] = [
            user(f"{prefix}qy_cv_{short}{i}", Role.SPECIALIST, f"Chuyên Viên {short.title()} {i}", kind)
            for i in range(1, 5)
        ]
    User.objects.bulk_create(users)
    labels = {u.pk: f"{u.full_name} ({u.get_role_display()})" for u in users}
    names = {u.pk: u.full_name for u in users}
    return _Staff(leader, counter, heads, specialists, departments, labels, names)


@dataclass
class _Plan:
    """What one dossier will live (decided up front, applied until now)."""

    supplements: int = 0
    consult: bool = False
    fee: bool = False
    extend: bool = False
    late: bool = False
    stuck: bool = False
    end: str = "return"  # return | stop | refuse | withdraw


def _plan(rng: random.Random, procedure: Any) -> _Plan:
    p = _Plan()
    r = rng.random()
    if r < 0.012:
        p.end = "stop"
    elif r < 0.022:
        p.end = "refuse"
    elif r < 0.027:
        p.end = "withdraw"
    p.supplements = 2 if rng.random() < 0.012 else (1 if rng.random() < 0.07 else 0)
    p.consult = rng.random() < 0.04
    p.fee = procedure.responsible_kind == "ECONOMIC" and rng.random() < 0.3
    p.late = rng.random() < 0.08
    p.extend = not p.late and rng.random() < 0.02
    p.stuck = rng.random() < 0.01
    return p


def _applicant(rng: random.Random) -> dict[str, str]:
    from motcua.core.text import fold

    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return {
        "applicant_name": name,
        "applicant_name_folded": fold(name),
        "applicant_phone": "09" + "".join(rng.choice("0123456789") for _ in range(8)),
        "applicant_citizen_id": "048" + "".join(rng.choice("0123456789") for _ in range(9)),
        "applicant_address": f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
    }


def _live(life: _Life, plan: _Plan, staff: _Staff, rng: random.Random, t0: dt.datetime) -> None:
    """The steps of one dossier from its receipt (t0), as the desk, departments and leader take them."""
    from motcua.dossiers.models import State as S

    d, cal = life.d, life.cal
    proc = d.procedure
    desk = rng.choice(staff.counter)

    def office(day: dt.date) -> dt.datetime:
        return _office_time(rng, day)

    def wd(at: dt.datetime, n: int) -> dt.datetime:
        return office(cal.add_working_days(at.astimezone(LOCAL_TZ).date(), n))

    if not life.step("receive", t0, desk, S.RECEIVED):
        return
    if proc.time_unit == "ON_THE_SPOT" and plan.end == "return":
        at = t0 + dt.timedelta(minutes=rng.uniform(5, 40))
        if life.step("resolve_on_spot", at, desk, S.RESULT_READY, summary="Đã cấp kết quả tại quầy"):
            life.step("return_result", at + dt.timedelta(minutes=2), desk, S.RETURNED, method="IN_PERSON")
        return
    kind = proc.responsible_kind
    head = staff.heads[kind]
    specialist = rng.choice(staff.specialists[kind])
    dept = staff.departments[kind]
    at = t0 + dt.timedelta(minutes=rng.uniform(20, 180))
    if not life.step("transfer", at, desk, S.IN_PROCESS, department=dept):
        return
    at += dt.timedelta(minutes=rng.uniform(30, 300))
    if not life.step("assign", at, head, None, assignee=specialist):
        return
    for k in range(plan.supplements):
        at = wd(at, rng.randint(0, 1))
        items = ["Bản sao giấy tờ tùy thân" if k == 0 else "Sơ đồ thửa đất có xác nhận"]
        if not life.step("request_supplement", at, specialist, S.SUPPLEMENT_REQUESTED, items=items):
            return
        at = wd(at, rng.randint(1, 8))
        if not life.step("receive", at, desk, S.RECEIVED):
            return
        at += dt.timedelta(minutes=rng.uniform(20, 120))
        if not life.step("transfer", at, desk, S.IN_PROCESS, department=dept):
            return
    if plan.end in ("stop", "refuse", "withdraw"):
        at = wd(at, rng.randint(0, 3))
        if plan.end == "stop":
            life.step("stop", at, head, S.STOPPED, reason="Người nộp đề nghị dừng để bổ sung giấy tờ gốc")
        elif plan.end == "refuse":
            life.step("refuse", at, specialist, S.REFUSED, reason="Không đủ điều kiện theo quy định")
        else:
            life.step("withdraw", at, desk, S.WITHDRAWN, reason="Người nộp rút hồ sơ")
        return
    if plan.consult:
        at = wd(at, rng.randint(0, 2))
        if not life.step("consult", at, specialist, S.CONSULTING, reason="Lấy ý kiến Chi cục Thuế"):
            return
        at = wd(at, rng.randint(1, 3))
        if not life.step("consult_done", at, specialist, S.IN_PROCESS):
            return
    if plan.fee:
        at = wd(at, rng.randint(0, 2))
        if not life.step("await_fee", at, specialist, S.PENDING_FEE):
            return
        at = wd(at, rng.randint(1, 5))
        if not life.step("fee_paid", at, desk, S.IN_PROCESS):
            return
    due = d.effective_due_at
    assert due is not None
    if plan.extend:
        due_day = due.astimezone(LOCAL_TZ).date()
        ask_day = max(at.astimezone(LOCAL_TZ).date(), due_day - dt.timedelta(days=10))
        if cal.working_days_between(ask_day, due_day) >= 1:
            at = max(at, office(ask_day))
            new_date = cal.add_working_days(due_day, rng.randint(3, 7))
            if not life.step(
                "extend", at, specialist, None, reason="Cần xác minh thực địa", new_date=new_date
            ):
                return
            due = d.effective_due_at
    if plan.stuck:
        return  # nobody takes the next step: overdue and still open
    due_local = due.astimezone(LOCAL_TZ)
    if plan.late:
        finish_day = cal.add_working_days(due_local.date(), rng.randint(1, 8))
    else:
        lo = max(at.astimezone(LOCAL_TZ).date(), t0.astimezone(LOCAL_TZ).date())
        span = max(0, cal.working_days_between(lo, due_local.date()) - 1)
        finish_day = cal.add_working_days(lo, rng.randint(0, span))
        if finish_day == due_local.date() and finish_day == lo:
            finish_day = lo
    finish = _office_time(rng, finish_day, until=16 * 3600)
    if not plan.late and finish > due:
        finish = due - dt.timedelta(minutes=30)
    submit = max(at + dt.timedelta(minutes=10), finish - dt.timedelta(hours=rng.uniform(1, 20)))
    if not life.step("submit_draft", submit, specialist, S.AWAITING_APPROVAL):
        return
    if not life.step("approve", max(finish, submit + dt.timedelta(minutes=15)), staff.leader, S.RESULT_READY,
                     summary="Đã ký kết quả"):  # fmt: skip
        return
    ret = wd(d.finished_at, rng.choice((0, 0, 1, 1, 2, 3)))
    life.step(
        "return_result", ret, desk, S.RETURNED, method="ONLINE" if d.channel == "ONLINE" else "IN_PERSON"
    )


def _sim_days(rates: Rates, k: int, seed: int) -> list[Any]:
    """k simulated hall days scaled to about `rates.tickets_per_day` tickets."""
    from motcua.queueing.simulate import simulate_day, thanh_khe_day

    base = thanh_khe_day()
    expected = sum((a.end - a.start) / 3600 * a.per_hour for a in base.arrivals)
    factor = rates.tickets_per_day / expected
    spec = replace(base, arrivals=tuple(replace(a, per_hour=a.per_hour * factor) for a in base.arrivals))
    return [simulate_day(seed + i, spec) for i in range(k)]


def _fill(
    commune: Any, staff: _Staff, *, days: list[dt.date], now: dt.datetime, rates: Rates, seed: int
) -> Sizes:
    """Write one commune's data for its working days `days` (all before today)."""
    from motcua.calendar.selectors import calendar_for_province
    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import ControlEntry, Dossier, DossierDocument, DossierSequence
    from motcua.dossiers.models import State as S
    from motcua.feedback.models import FeedbackEvent, FeedbackItem, FeedbackSequence
    from motcua.feedback.models import State as FS
    from motcua.quality.definitions import tt01_2018_v1 as tt01
    from motcua.quality.models import Rating, RatingTablet
    from motcua.queueing.models import EventKind, Ticket, TicketEvent, TicketSequence, TicketState
    from motcua.testing import make_counter, make_feedback_setup, make_service_groups

    rng = random.Random(seed)
    cal = calendar_for_province(commune.province_id)
    sizes = Sizes(working_days=len(days), users=len(staff.labels))

    # ---- queue -------------------------------------------------------------------------------
    groups = make_service_groups(commune)
    sims = _sim_days(rates, 12, seed)
    sim_counters = sims[0].spec.counters
    counters = {}
    for i, c in enumerate(sim_counters):
        officer = staff.counter[i % len(staff.counter)]
        counters[c.number] = make_counter(
            commune, c.number, "".join(c.groups), officer if i < len(staff.counter) else None
        )
    officer_at = {n: c.officer_id for n, c in counters.items()}
    tablets = {
        n: RatingTablet.objects.create(
            commune=commune, counter=c, name=f"Máy đánh giá quầy {n}", created_at=_at(days[0], 7 * 3600),
            token_sha256=hashlib.sha256(f"{commune.pk}-{n}".encode()).hexdigest(),
        )
        for n, c in counters.items()
    }  # fmt: skip
    tickets: list[Any] = []
    plans: list[list[tuple[str, float, int | None]]] = []
    seqs: list[Any] = []
    for di, day in enumerate(days):
        sim = sims[di % len(sims)]
        no_shows = 0
        last: dict[str, int] = {}
        for t in sim.tickets:
            assert t.called is not None and t.finished is not None
            events: list[tuple[str, float, int | None]] = [(EventKind.ISSUED, t.issued, None)]
            left = False
            if t.no_show:
                left = no_shows % 3 == 0
                no_shows += 1
            if left:
                gone = t.issued + 0.7 * (t.called - t.issued)
                events.append((EventKind.LEFT, gone, None))
                state, end = TicketState.LEFT, gone
            else:
                events.append((EventKind.CALLED, t.called, t.counter))
                if t.shows_up:
                    assert t.served is not None
                    events.append((EventKind.STARTED, t.served, t.counter))
                    events.append((EventKind.FINISHED, t.finished, t.counter))
                    state, end = TicketState.DONE, t.finished
                else:
                    events.extend((EventKind.RECALLED, r, t.counter) for r in t.recalls)
                    events.append((EventKind.NO_SHOW, t.finished, t.counter))
                    state, end = TicketState.NO_SHOW, t.finished
            group = groups[t.group]
            seq = int(t.number[1:])
            last[t.group] = max(last.get(t.group, 0), seq)
            times = {k: s for k, s, _ in events}
            tickets.append(
                Ticket(
                    commune=commune, group=group, queue_group=group, day=day, seq=seq, number=t.number,
                    priority=t.priority, state=state, counter=None if left else counters[t.counter],
                    recalls=len(t.recalls) if state == TicketState.NO_SHOW else 0,
                    source="KIOSK" if rng.random() < 0.45 else "PHONE", issued_at=_at(day, t.issued),
                    called_at=None if left else _at(day, times[EventKind.CALLED]),
                    served_at=_at(day, times[EventKind.STARTED]) if EventKind.STARTED in times else None,
                    finished_at=_at(day, end),
                )
            )  # fmt: skip
            plans.append(events)
        seqs.extend(
            TicketSequence(commune=commune, group=groups[x], day=day, last=n) for x, n in last.items()
        )
    Ticket.objects.bulk_create(tickets, batch_size=5000)
    TicketSequence.objects.bulk_create(seqs, batch_size=5000)
    event_rows = []
    for ticket, events in zip(tickets, plans, strict=True):
        recalls = 0
        for kind, s, counter in events:
            note = ""
            if kind == EventKind.ISSUED and ticket.priority:
                note = "Ưu tiên"
            elif kind == EventKind.RECALLED:
                recalls += 1
                note = f"Lần gọi lại thứ {recalls}"
            event_rows.append(
                (ticket.pk, kind, _at(ticket.day, s), officer_at[counter] if counter else None,
                 counters[counter].pk if counter else None, note)
            )  # fmt: skip
    _copy(TicketEvent, ["ticket_id", "kind", "at", "officer_id", "counter_id", "note"], event_rows)
    sizes.tickets, sizes.ticket_events = len(tickets), len(event_rows)

    # ---- dossiers ----------------------------------------------------------------------------
    procedures = list(Procedure.objects.filter(is_active=True).prefetch_related("checklist").order_by("code"))
    weights = [
        {"ON_THE_SPOT": 4, "SAME_DAY": 3}.get(p.time_unit, 3 if (p.time_value or 0) <= 5 else 1)
        for p in procedures
    ]
    agency = commune.agency_code
    numbers: dict[dt.date, int] = defaultdict(int)
    lives: list[_Life] = []
    for day in days:
        for _ in range(max(0, round(rng.gauss(rates.dossiers_per_day, rates.dossiers_per_day * 0.15)))):
            proc = rng.choices(procedures, weights)[0]
            r = rng.random()
            channel = (
                "ONLINE"
                if r < rates.online_share
                else ("POST" if r < rates.online_share + 0.02 else "IN_PERSON")
            )
            if proc.time_unit == "ON_THE_SPOT":
                channel = "IN_PERSON"
            t0 = _office_time(rng, day, until=16 * 3600 + 1800)
            created = (
                t0 - dt.timedelta(hours=rng.uniform(2, 40))
                if channel == "ONLINE"
                else t0 - dt.timedelta(minutes=rng.uniform(2, 10))
            )
            d = Dossier(
                commune=commune, procedure=proc, channel=channel, state=S.DRAFT, created_at=created,
                checklist_ticked=[i.id for i in proc.checklist.all()], form_data={},
                notify_phone="", **_applicant(rng),
            )  # fmt: skip
            # The code: an online dossier takes it when sent, a walk-in at its receipt.
            code_day = (created if channel == "ONLINE" else t0).astimezone(LOCAL_TZ).date()
            numbers[code_day] += 1
            d.code = f"{agency}-{code_day:%y%m%d}-{numbers[code_day]:04d}"
            life = _Life(d, cal, now, staff.labels, staff.names)
            _live(life, _plan(rng, proc), staff, rng, t0)
            lives.append(life)
    Dossier.objects.bulk_create([life.d for life in lives], batch_size=2000)
    DossierSequence.objects.bulk_create(
        [DossierSequence(agency_code=agency, day=k, last=v) for k, v in numbers.items()], batch_size=5000
    )
    entry_cols = ["dossier_id", "action", "from_state", "to_state", "actor_id", "actor_label", "handed_to_id",
                  "handed_to_label", "at", "step_due_at", "previous_step_on_time", "note"]  # fmt: skip
    entries = [(life.d.pk, *(e[c] for c in entry_cols[1:])) for life in lives for e in life.entries]
    _copy(ControlEntry, entry_cols, entries)
    docs = []
    for life in lives:
        d = life.d
        if d.channel == "ONLINE" or rng.random() < 0.5:
            for item in list(d.procedure.checklist.all())[: rng.randint(1, 2)]:
                docs.append(_doc(rng, d, item.pk, "INPUT", d.created_at if d.channel == "ONLINE" else d.first_received_at,
                                 d.received_by_id if d.channel != "ONLINE" else None))  # fmt: skip
        if d.finished_at and d.state in (S.RESULT_READY, S.RETURNED) and rng.random() < 0.75:
            docs.append(_doc(rng, d, None, "RESULT", d.finished_at, d.assignee_id or d.received_by_id))
    _copy(DossierDocument, ["dossier_id", "checklist_item_id", "kind", "original_name", "storage_path",
                            "content_type", "size", "sha256", "uploaded_by_id", "uploaded_at"], docs)  # fmt: skip
    sizes.dossiers, sizes.control_entries, sizes.documents = len(lives), len(entries), len(docs)
    sizes.dossier_states = Tally(life.d.state for life in lives)
    sizes.online = sum(life.d.channel == "ONLINE" for life in lives)
    sizes.finished_late = sum(
        life.d.state in (S.RESULT_READY, S.RETURNED) and life.d.finished_at > life.d.effective_due_at
        for life in lives
    )
    sizes.supplemented_once = sum(life.d.supplement_count == 1 for life in lives)
    sizes.supplemented_twice = sum(life.d.supplement_count >= 2 for life in lives)

    # ---- ratings -----------------------------------------------------------------------------
    dq = [q["code"] for q in tt01.questions_for("dossier")]
    tq = [q["code"] for q in tt01.questions_for("ticket")]
    rating_rows: list[tuple[Any, ...]] = []

    def answers(codes: list[str], mood: float) -> dict[str, int]:
        return {c: (2 if rng.random() < mood else (1 if rng.random() < 0.8 else 0)) for c in codes}

    def overall(mood: float) -> int:
        r = rng.random()
        return 2 if r < mood else (1 if r < mood + (1 - mood) * 0.85 else 0)

    for life in lives:
        d = life.d
        if d.state != S.RETURNED or rng.random() >= rates.dossier_rating_share:
            continue
        late = d.finished_at > (d.extended_due_at or d.due_at) or d.supplement_count >= 2
        mood = 0.25 if late else 0.6
        at = d.returned_at + dt.timedelta(hours=rng.uniform(0.05, 30))
        if at > now:
            continue
        source = rng.choice(
            ("RECEIPT", "NOTICE", "TRACKING", "TABLET") if d.channel != "ONLINE" else ("NOTICE", "TRACKING")
        )
        rating_rows.append(
            (commune.pk, "DOSSIER", d.pk, None, tt01.VERSION, _jsonb(answers(dq, mood)), overall(mood),
             "Cán bộ hướng dẫn tận tình" if rng.random() < 0.1 else "", source,
             d.assignee_id or d.received_by_id, d.department_id, None, at)
        )  # fmt: skip
    sizes.ratings_dossier = len(rating_rows)
    for ticket in tickets:
        if ticket.state != TicketState.DONE or rng.random() >= rates.ticket_rating_share:
            continue
        mood = 0.7 if (ticket.called_at - ticket.issued_at).total_seconds() < 1200 else 0.35
        rating_rows.append(
            (commune.pk, "TICKET", None, ticket.pk, tt01.VERSION, _jsonb(answers(tq, mood)), overall(mood), "",
             "TABLET", ticket.counter.officer_id, staff.counter[0].department_id, tablets[ticket.counter.number].pk,
             ticket.finished_at + dt.timedelta(seconds=rng.uniform(10, 90)))
        )  # fmt: skip
    sizes.ratings_ticket = len(rating_rows) - sizes.ratings_dossier
    _copy(Rating, ["commune_id", "subject", "dossier_id", "ticket_id", "questionnaire", "answers", "overall",
                   "comment", "source", "officer_id", "department_id", "tablet_id", "created_at"], rating_rows)  # fmt: skip

    # ---- feedback ----------------------------------------------------------------------------
    setup = make_feedback_setup(commune, neighbourhoods=12)
    categories = list(setup["categories"].values())
    places = setup["neighbourhoods"]
    items: list[Any] = []
    item_events: list[list[tuple[str, str, str, Any, dt.datetime, str]]] = []
    fseq: dict[dt.date, int] = defaultdict(int)
    dups: list[tuple[Any, Any]] = []
    channels = ("HOTLINE", "WALK_IN", "ONLINE", "ONLINE", "SESSION", "IMPORT")
    for day in days:
        n = int(rates.feedback_per_day) + (1 if rng.random() < rates.feedback_per_day % 1 else 0)
        for _ in range(max(0, round(rng.gauss(n, n * 0.3)))):
            cat = rng.choice(categories)
            received = _office_time(rng, day)
            fseq[day] += 1
            due = cal.end_of_day(cal.add_working_days(cal.receipt_day(received), cat.deadline_days), LOCAL_TZ)
            kind = cat.department.kind if cat.department else "OFFICE"
            kind = kind if kind in staff.heads else "OFFICE"
            head, handler = staff.heads[kind], rng.choice(staff.specialists[kind])
            item = FeedbackItem(
                commune=commune, code=f"PA-{commune.pk}-{day:%y%m%d}-{fseq[day]:04d}", channel=rng.choice(channels),
                category=cat, neighbourhood=rng.choice(places), title=rng.choice(FEEDBACK_TITLES),
                description="Người dân phản ánh, đề nghị phường kiểm tra xử lý.", state=FS.NEW,
                department=cat.department, received_at=received, due_at=due,
                reporter_name=f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}" if rng.random() < 0.6 else "",
            )  # fmt: skip
            evs: list[tuple[str, str, str, Any, dt.datetime, str]] = [
                ("create", "", FS.NEW, None, received, "")
            ]

            def go(
                action: str,
                to: str,
                actor: Any,
                at: dt.datetime,
                note: str = "",
                item: Any = item,
                evs: Any = evs,
            ) -> bool:
                if at > now:
                    return False
                evs.append((action, item.state, to, actor, at, note))
                item.state = to
                return True

            r = rng.random()
            at = received + dt.timedelta(hours=rng.uniform(0.5, 6))
            if r < 0.03:
                go("reject", FS.REJECTED, head, at, "Không thuộc thẩm quyền của phường")
            elif r < 0.06 and (earlier := [i for i in items[-20:] if i.received_at < received]):
                if go("duplicate", FS.DUPLICATE, head, at, "Trùng phản ánh đã tiếp nhận"):
                    dups.append((item, rng.choice(earlier)))  # an item received before this one
            elif go("assign", FS.ASSIGNED, head, at):
                item.assignee = handler
                at += dt.timedelta(hours=rng.uniform(1, 20))
                if go("start", FS.IN_PROGRESS, handler, at):
                    late = rng.random() < 0.12
                    span = max(
                        1,
                        cat.deadline_days
                        + (rng.randint(1, 6) if late else -rng.randint(0, cat.deadline_days - 1)),
                    )
                    done = _office_time(rng, cal.add_working_days(received.astimezone(LOCAL_TZ).date(), span))
                    done = max(done, at + dt.timedelta(hours=1))
                    if go("resolve", FS.RESOLVED, handler, done, "Đã kiểm tra, xử lý xong"):
                        item.resolved_at, item.resolution = done, "Đã kiểm tra, xử lý xong"
                        closed = done + dt.timedelta(days=rng.uniform(1, 5))
                        if go("close", FS.CLOSED, head, closed):
                            item.closed_at = closed
                        if rng.random() < 0.4 and done + dt.timedelta(days=1) <= now:
                            item.rating = 5 if rng.random() < 0.5 else rng.choice((1, 2, 3, 4, 4, 4))
                            evs.append(("rate", item.state, item.state, None, done + dt.timedelta(days=1),
                                        f"{item.rating}/5"))  # fmt: skip
            items.append(item)
            item_events.append(evs)
    FeedbackItem.objects.bulk_create(items, batch_size=2000)
    for item, original in dups:  # the original is saved now: link the duplicate to it
        item.duplicate_of = original
    FeedbackItem.objects.bulk_update([item for item, _ in dups], ["duplicate_of"], batch_size=2000)
    FeedbackSequence.objects.bulk_create(
        [FeedbackSequence(commune=commune, day=k, last=v) for k, v in fseq.items()], batch_size=5000
    )
    fe_rows = []
    for item, evs in zip(items, item_events, strict=True):
        for action, from_state, to_state, actor, at, note in evs:
            fe_rows.append(
                (item.pk, action, from_state, to_state, actor.pk if actor else None,
                 "" if actor else ("Người phản ánh" if action == "rate" else "Cán bộ tiếp nhận"), at, note,
                 item.department_id, item.assignee_id if action == "assign" else None)
            )  # fmt: skip
    FeedbackEvent.objects.bulk_create(
        [
            FeedbackEvent(item_id=r[0], action=r[1], from_state=r[2], to_state=r[3], actor_id=r[4], actor_label=r[5],
                          at=r[6], note=r[7], department_id=r[8], assignee_id=r[9])
            for r in fe_rows
        ],
        batch_size=5000,
    )  # fmt: skip
    sizes.feedback_items, sizes.feedback_events = len(items), len(fe_rows)
    sizes.feedback_rated = sum(1 for i in items if i.rating is not None)
    return sizes


def _doc(
    rng: random.Random, d: Any, item_id: int | None, kind: str, at: dt.datetime, by: int | None
) -> tuple[Any, ...]:
    digest = hashlib.sha256(f"{d.code}-{kind}-{item_id}-{rng.random()}".encode()).hexdigest()
    return (d.pk, item_id, kind, "ban-scan.pdf" if kind == "INPUT" else "ket-qua.pdf",
            f"dossiers/{at:%Y/%m}/{digest[:32]}.pdf", "application/pdf", rng.randint(80_000, 900_000), digest, by, at)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The whole data set
# ---------------------------------------------------------------------------------------------


@dataclass
class Generated:
    ward: Any
    others: list[Any]
    ward_sizes: Sizes
    others_sizes: Sizes
    start: dt.date
    end: dt.date  # the last day with data (yesterday)
    seconds: float


def generate(
    *,
    now: dt.datetime,
    days: int = 365,
    other_communes: int = 10,
    other_days: int = 30,
    ward_rates: Rates = WARD_RATES,
    other_rates: Rates = OTHER_RATES,
    seed: int = 2026,
) -> Generated:
    """Make the ward's `days` days (ending yesterday) and the other wards' `other_days`."""
    from django.db import transaction

    from motcua.calendar.selectors import calendar_for_province
    from motcua.catalog.models import Procedure
    from motcua.catalog.services import catalog_load_starter
    from motcua.org.models import Role, User
    from motcua.testing import make_commune

    t0 = time.monotonic()
    end = now.astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    with transaction.atomic():
        if not Procedure.objects.exists():
            catalog_load_starter()
        ward = make_commune(code=WARD[0], name=WARD[1], agency=f"H48.{WARD[0]}")
        cal = calendar_for_province(ward.province_id)
        staff = _make_staff(ward, "", ward_rates)
        User.objects.create(
            username=PROVINCE_OFFICER, full_name="Cán Bộ Sở Nội Vụ", role=Role.PROVINCE_OFFICER,
            province=ward.province, password="!",
        )  # fmt: skip
        ward_sizes = Sizes()
        ward_sizes.add(
            _fill(ward, staff, days=_working_days(cal, start, end), now=now, rates=ward_rates, seed=seed)
        )
        others, others_sizes = [], Sizes()
        other_start = end - dt.timedelta(days=other_days - 1)
        for i in range(other_communes):
            code = OTHER_CODE_BASE + i
            name = OTHERS[i % len(OTHERS)] + ("" if i < len(OTHERS) else f" {i}")
            commune = make_commune(code=code, name=name, agency=f"H48.{code}")
            s = _make_staff(commune, f"x{code}_", other_rates)
            # Each ward its own level of service, so the ranking has something to rank.
            r = replace(other_rates, dossiers_per_day=int(other_rates.dossiers_per_day * (0.6 + 0.08 * i)))
            others_sizes.add(
                _fill(
                    commune,
                    s,
                    days=_working_days(cal, other_start, end),
                    now=now,
                    rates=r,
                    seed=seed + 100 + i,
                )
            )
            others.append(commune)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return Generated(ward, others, ward_sizes, others_sizes, start, end, time.monotonic() - t0)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    path: str
    status: int
    median_ms: float = math.nan
    max_ms: float = math.nan
    cold_ms: float = math.nan
    queries: int = 0
    bytes: int = 0
    slowest: list[tuple[float, str]] = field(default_factory=list)


def time_pages(gen: Generated, runs: int) -> list[Timing]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from motcua.org.models import User

    clients = {}
    for username in (LEADER, PROVINCE_OFFICER):
        c = Client(raise_request_exception=False)  # a page half-built by its author is a 500, not a crash
        c.force_login(User.objects.get(username=username))
        clients[username] = c
    out = []
    for label, pattern, username in URLS:
        path = pattern.format(ward=gen.ward.pk, year=f"tu={gen.start.isoformat()}&den={gen.end.isoformat()}")
        c = clients[username]
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            resp = c.get(path)
            body = b"".join(resp.streaming_content) if resp.streaming else resp.content  # type: ignore[attr-defined]
        cold = (time.perf_counter() - t) * 1000
        res = Timing(
            label, path, resp.status_code, cold_ms=cold, queries=len(ctx.captured_queries), bytes=len(body)
        )
        if resp.status_code != 200:
            out.append(res)
            continue
        res.slowest = sorted(((float(q["time"]), q["sql"]) for q in ctx.captured_queries), reverse=True)[:5]
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            resp = c.get(path)
            if resp.streaming:
                b"".join(resp.streaming_content)  # type: ignore[attr-defined]
            samples.append((time.perf_counter() - t) * 1000)
        res.median_ms, res.max_ms = statistics.median(samples), max(samples)
        out.append(res)
    return out


def time_command(gen: Generated) -> float:
    from django.core.management import call_command

    t = time.perf_counter()
    call_command(
        "quality", "index", str(gen.ward.pk), "--from", gen.start.isoformat(), "--to", gen.end.isoformat(), "--json",
        stdout=io.StringIO(),
    )  # fmt: skip
    return (time.perf_counter() - t) * 1000


def machine_busy(wait_s: float = 0.0) -> str:
    """The share of the cores busy over 2 s while this process sleeps (other programs: the
    figures of a busy machine are slower), and the load average; waits up to `wait_s` for a
    quiet moment (< 0.10 of the cores busy) first."""

    def busy() -> tuple[int, int]:
        t = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(t) - t[3] - t[4], sum(t)

    deadline = time.monotonic() + wait_s
    while True:
        b0, a0 = busy()
        time.sleep(2)
        b1, a1 = busy()
        share = (b1 - b0) / max(1, a1 - a0)
        if share < 0.10 or time.monotonic() >= deadline:
            break
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"machine busy {share:.2f} of the cores before timing, load {' '.join(load)}"


def print_table(title: str, timings: list[Timing], command_ms: float, busy: str = "") -> None:
    print(f"\n{title}" + (f" ({busy})" if busy else ""))
    print("| page | URL | status | cold ms | median ms | max ms | queries | KB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for t in timings:
        if t.status != 200:
            what = "not built (404)" if t.status == 404 else f"HTTP {t.status}"
            print(f"| {t.label} | `{t.path}` | {what} | | | | | |")
            continue
        flag = "" if t.median_ms < 1000 else " ⚠"
        print(
            f"| {t.label} | `{t.path}` | 200 | {t.cold_ms:.0f} | {t.median_ms:.0f}{flag} | {t.max_ms:.0f} |"
            f" {t.queries} | {t.bytes / 1024:.0f} |"
        )
    print(
        f"| `motcua quality index {{ward}} --from … --to … --json` (the year) | | | | {command_ms:.0f} | | | |"
    )


def explain(timings: list[Timing], n: int) -> None:
    from django.db import connection

    for t in timings:
        for ms, sql in t.slowest[:n]:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n-- {t.label}: {ms * 1000:.0f} ms\n{sql[:600]}")
            try:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    for (line,) in cur.fetchall():
                        print("   ", line)
            except Exception as exc:
                print(f"    (EXPLAIN failed: {exc})")
                if not connection.get_autocommit():
                    connection.rollback()


def jit_off() -> None:
    """`jit = off` for this (throwaway) database: new connections get it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT current_database()")
        name = cur.fetchone()[0]
        cur.execute(f'ALTER DATABASE "{name}" SET jit = off')
    connection.close()


def profile(gen: Generated, timings: list[Timing], top: int) -> None:
    """cProfile of one warm request of each page slower than 1 s: where the Python time goes."""
    import cProfile
    import pstats

    from django.test import Client

    from motcua.org.models import User

    for t in timings:
        if t.status != 200 or not t.median_ms > 1000:
            continue
        c = Client(raise_request_exception=False)
        c.force_login(User.objects.get(username=PROVINCE_OFFICER if "/tinh/" in t.path else LEADER))
        prof = cProfile.Profile()
        prof.enable()
        c.get(t.path)
        prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(r"motcua/|psycopg/cursor|django/db/models/query.py", top)
        print(f"\n-- profile of {t.label} ({t.path})")
        for line in out.getvalue().splitlines():
            if line.strip() and ("/" in line or "ncalls" in line or "function calls" in line):
                print("   " + line.replace(str(ROOT) + "/", "").replace(sys.prefix, "venv"))


def _best_ms(fn: Any, runs: int = 3) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def alternatives(gen: Generated) -> None:
    """The slow pages' heavy reads as written today, and the same numbers read another way
    (measured here, proposed to the code's owners): same result, time of each (median of 3)."""
    from django.db.models import Avg, Count, Exists, F, OuterRef

    from motcua.dossiers.models import ControlEntry, DocumentKind, DossierDocument
    from motcua.org.models import User
    from motcua.quality import index766
    from motcua.queueing.models import TicketEvent

    since, until = index766.period(gen.start, gen.end)
    scope = index766.Scope(gen.ward, since, until)
    ids = list(User.objects.filter(commune=gen.ward).values_list("pk", flat=True))

    def digitised_sql() -> tuple[int, int, list[int]]:
        has = Exists(DossierDocument.objects.filter(dossier=OuterRef("pk"), kind=DocumentKind.INPUT))
        qs = index766._dossiers(scope).order_by()
        missing = sorted(qs.filter(~has).values_list("id", flat=True))
        total = qs.count()
        return total - len(missing), total, missing

    def digitised_now() -> tuple[int, int, list[int]]:
        m = index766._dossier_digitised(scope)
        return m.numerator, m.denominator, m.pulled_down

    steps = ControlEntry.objects.filter(
        dossier__commune=gen.ward, actor_id__in=ids, at__gte=since, at__lt=until
    )

    def steps_now() -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for officer_id in steps.values_list("actor_id", flat=True):
            out[officer_id] += 1
        return dict(out)

    def steps_sql() -> dict[int, int]:
        return dict(steps.order_by().values("actor_id").annotate(n=Count("id")).values_list("actor_id", "n"))

    served = TicketEvent.objects.filter(
        ticket__commune=gen.ward, kind="FINISHED", officer_id__in=ids, at__gte=since, at__lt=until
    )

    def served_now() -> dict[int, tuple[int, float]]:
        secs: dict[int, list[float]] = defaultdict(list)
        for officer_id, at, called in served.values_list("officer_id", "at", "ticket__called_at"):
            if called is not None:  # always, for a FINISHED event
                secs[officer_id].append((at - called).total_seconds())
        return {k: (len(v), round(sum(v) / len(v), 3)) for k, v in secs.items()}

    def served_sql() -> dict[int, tuple[int, float]]:
        rows = (
            served.order_by()
            .values("officer_id")
            .annotate(n=Count("id"), avg=Avg(F("at") - F("ticket__called_at")))
        )
        return {r["officer_id"]: (r["n"], round(r["avg"].total_seconds(), 3)) for r in rows}

    print("\nThe slow reads, as written and another way (median of 3, ms; same result checked):")
    print("| read (the year) | as written | ms | another way | ms | same |")
    print("|---|---|---:|---|---:|---|")
    cases = (
        ("TD4 dossiers digitised (index766)", "ids fetched, `dossier_id IN (37k ids)`", digitised_now,
         "`NOT EXISTS` subquery, count in SQL", digitised_sql),
        ("officers: control-sheet steps per officer", "every entry fetched, counted in Python", steps_now,
         "`GROUP BY actor_id`", steps_sql),
        ("officers: tickets served, mean service time", "every FINISHED event fetched", served_now,
         "`GROUP BY officer_id`, `AVG(at - called_at)`", served_sql),
    )  # fmt: skip
    for label, how_now, now_fn, how_alt, alt_fn in cases:
        ms_now, r_now = _best_ms(now_fn)
        ms_alt, r_alt = _best_ms(alt_fn)
        print(
            f"| {label} | {how_now} | {ms_now:.0f} | {how_alt} | {ms_alt:.0f} | {'yes' if r_now == r_alt else 'NO'} |"
        )


def create_indexes() -> float:
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        for i, (table, cols) in enumerate(PROPOSED_INDEXES):
            cur.execute(f"CREATE INDEX IF NOT EXISTS bench_proposed_{i} ON {table} {cols}")
        cur.execute("ANALYZE")
    return time.perf_counter() - t


def machine() -> str:
    import platform

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--others", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--indexes", action="store_true", help="then create the proposed indexes and time again"
    )
    parser.add_argument(
        "--explain", type=int, default=0, help="EXPLAIN ANALYZE the N slowest queries per page"
    )
    parser.add_argument("--quiet-wait", type=float, default=60, help="wait up to N s for an idle machine")
    parser.add_argument("--alternatives", action="store_true", help="time the slow reads written another way")
    parser.add_argument("--jit-off", action="store_true", help="then set jit = off and time again")
    parser.add_argument("--profile", type=int, default=0, help="cProfile: top N functions of pages over 1 s")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    os.environ.setdefault(
        "MOTCUA_SECRET_KEY", "bench-quality-year-" + hashlib.sha256(os.urandom(16)).hexdigest()
    )
    os.environ.setdefault("MOTCUA_SSL_REDIRECT", "0")
    os.environ.setdefault("MOTCUA_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("MOTCUA_LOG_LEVEL", "WARNING")
    var = Path(os.environ.setdefault("MOTCUA_VAR_DIR", tempfile.mkdtemp(prefix="motcua-quality-year-")))
    (var / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise's root (nothing collected)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        print(
            "quality_year: PostgreSQL only (run it with tools/pg.sh, which sets DATABASE_URL).",
            file=sys.stderr,
        )
        return 2
    from motcua.core import clock

    t_all = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    from motcua.dossiers.models import Dossier

    if Dossier.objects.exists():
        print("quality_year: the database already holds dossiers; run it on a throwaway one (tools/pg.sh).",
              file=sys.stderr)  # fmt: skip
        return 2
    now = clock.now()
    print(f"quality_year: {machine()}; now {now.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)")
    gen = generate(now=now, days=args.days, other_communes=args.others, seed=args.seed)
    print(
        f"generated in {gen.seconds:.0f} s — the ward {gen.ward.name} ({gen.ward.pk}), {gen.start} – {gen.end}:"
    )
    for line in gen.ward_sizes.lines():
        print("  " + line)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cur.fetchone()[0]
    print(f"and {len(gen.others)} other wards of the province, {gen.others_sizes.working_days // max(1, len(gen.others))}"
          " working days each:")  # fmt: skip
    for line in gen.others_sizes.lines():
        print("  " + line)
    print(f"database size (all communes, with indexes): {db_size}")

    from django.test.utils import override_settings

    # The static files' manifest exists only after collectstatic: plain storage for the timing
    # (a manifest lookup is a dict lookup; the pages' own work is what is measured).
    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=plain).enable()
    busy = machine_busy(args.quiet_wait)
    timings = time_pages(gen, args.runs)
    print_table(f"Pages, {args.runs} warm runs each after one cold (test Client, one process)", timings,
                time_command(gen), busy)  # fmt: skip
    if args.explain:
        explain(timings, args.explain)
    if args.profile:
        profile(gen, timings, args.profile)
    if args.alternatives:
        alternatives(gen)
    if args.indexes:
        took = create_indexes()
        print(
            f"\nproposed indexes created in {took:.1f} s: "
            + "; ".join(f"{t} {c}" for t, c in PROPOSED_INDEXES)
        )
        busy = machine_busy(args.quiet_wait)
        after = time_pages(gen, args.runs)
        print_table("Pages with the proposed indexes", after, time_command(gen), busy)
        if args.explain:
            explain(after, args.explain)
    if args.jit_off:
        jit_off()
        busy = machine_busy(args.quiet_wait)
        after = time_pages(gen, args.runs)
        with_indexes = " and the proposed indexes" if args.indexes else ""
        print_table(f"Pages with jit = off{with_indexes}", after, time_command(gen), busy)
        if args.explain:
            explain(after, args.explain)
        if args.profile:
            profile(gen, after, args.profile)
    print(f"\nquality_year: whole run {time.monotonic() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
