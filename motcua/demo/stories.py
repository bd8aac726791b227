"""The demo's dossiers, each told as a story of the steps a real dossier goes through.

A story is a generator: it yields the moment of its next step, and when resumed it takes that
step through the project's own services (`dossier_intake`, `dossier_create_draft`,
`dossier_apply`). `tell` resumes all stories in the order of their moments, across dossiers,
so dossier numbers are handed out in the order of receipt and every control-sheet entry is
later than the one before it. A story whose next step would fall today or later is left
where it stands: that is what makes land dossiers "in process" and yesterday's late receipts
"received, waiting to be transferred".

The mix (how many of each procedure, and what happens to them) is in PROCEDURE_MIX and the
QUOTAS: most birth registrations and certified copies are done while the resident waits;
land and construction dossiers take weeks, some overdue, some extended with an apology.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from motcua.calendar.workdays import WorkCalendar
from motcua.catalog.models import OnlineLevel, Procedure, TimeUnit
from motcua.dossiers.models import Channel, Dossier
from motcua.dossiers.services import INTAKE_OUTCOMES, dossier_create_draft, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.geo.models import Commune
from motcua.org.models import User

from . import residents
from .timeline import Timeline

Story = Generator[dt.datetime, None, None]

# How many dossiers of each procedure over the 30 working days (about 300 in all): copies and
# civil status make up most of a ward's counter, land and construction most of its backlog.
PROCEDURE_MIX = {
    "1.001193": 50,  # birth registration
    "1.000894": 12,  # marriage
    "1.000656": 10,  # death
    "1.000689": 3,
    "1.004873": 18,  # marital status confirmation
    "2.000635": 15,  # copies of civil status extracts
    "1.004837": 2,
    "1.004859": 5,
    "1.004884": 3,
    "2.000815": 70,  # certified copies
    "2.000884": 15,  # signature certification
    "2.001035": 10,  # certification of contracts
    "1.013978": 15,  # first land-use right certificate
    "1.013949": 8,
    "1.012786": 5,
    "1.013225": 12,  # construction permit for a private house
    "1.001612": 10,  # business household registration
    "2.000720": 4,
    "1.001570": 3,
    "1.001266": 3,
    "1.001776": 8,  # monthly social allowance
    "1.001731": 3,
    "1.001699": 4,
    "1.011607": 5,  # poor / near-poor household
}
# Online submissions the desk has not opened yet.
DRAFT_MIX = {"1.001193": 3, "1.004873": 2, "1.001612": 2, "2.000635": 1, "1.011607": 1, "1.012786": 1}

# Applicants' ages by procedure: parents register births, the elderly ask for allowances.
AGES = {
    "1.001193": (21, 40), "1.000689": (21, 40), "1.000894": (21, 36), "1.000656": (30, 65),
    "1.001776": (60, 90), "1.001699": (40, 80), "1.001731": (30, 65),
}  # fmt: skip
DEFAULT_AGES = (20, 75)


@dataclass(frozen=True)
class Fate:
    """What happens to one dossier, step by step (as far as the days up to today allow)."""

    name: str
    intake: str = "receive"  # receive | supplement | refuse
    comes_back: bool = True  # after a supplementation at intake
    online: bool = False
    draft_only: bool = False
    late_receipt: bool = False  # received on the last working day after 15:00
    consult: str = ""  # "" | done | open
    fee: str = ""  # "" | paid | open
    supplement: str = ""  # on appraisal: "" | back | open
    extend: bool = False
    slow: bool = False
    return_draft: bool = False
    end: str = "returned"  # returned | uncollected | awaiting | refuse | stop | withdraw


FATES = {
    f.name: f
    for f in (
        Fate("done"),
        Fate("online_done", online=True),
        Fate("online_supplement", online=True, intake="supplement", comes_back=False),
        Fate("draft", online=True, draft_only=True),
        Fate("uncollected", end="uncollected"),
        Fate("supplement_back", intake="supplement"),
        Fate("supplement_open", intake="supplement", comes_back=False),
        Fate("refuse_intake", intake="refuse"),
        Fate("late_receipt", late_receipt=True),
        Fate("withdraw", end="withdraw"),
        Fate("slow", slow=True),
        Fate("extended", extend=True),
        Fate("consult", consult="done"),
        Fate("consult_open", consult="open"),
        Fate("fee", fee="paid"),
        Fate("fee_open", fee="open"),
        Fate("appraisal_supplement", supplement="back"),
        Fate("appraisal_supplement_open", supplement="open"),
        Fate("return_draft", return_draft=True),
        Fate("refuse", end="refuse"),
        Fate("stop", end="stop"),
        Fate("awaiting", end="awaiting"),
    )
}

# Group → fates and how many; the rest of a group is "done". Constrained fates come first so
# that they find a procedure they fit (a fee needs land or construction, online needs a
# procedure that can be submitted online).
QUOTAS: dict[str, tuple[tuple[str, int], ...]] = {
    "on_the_spot": (
        ("online_done", 5), ("uncollected", 2), ("supplement_back", 4), ("supplement_open", 3),
        ("refuse_intake", 1), ("withdraw", 1),
    ),
    "same_day": (
        ("online_done", 1), ("uncollected", 4), ("supplement_back", 2), ("supplement_open", 2),
        ("refuse_intake", 3), ("late_receipt", 2),
    ),
    "short": (
        ("online_done", 2), ("online_supplement", 1), ("slow", 4), ("awaiting", 4), ("uncollected", 2),
        ("appraisal_supplement", 2), ("supplement_back", 2), ("supplement_open", 2), ("refuse_intake", 1),
        ("withdraw", 1), ("return_draft", 2), ("late_receipt", 1),
    ),
    "long": (
        ("fee", 3), ("fee_open", 2), ("extended", 5), ("slow", 7), ("consult", 3), ("consult_open", 2),
        ("appraisal_supplement", 2), ("appraisal_supplement_open", 2), ("return_draft", 2), ("refuse", 1),
        ("stop", 2), ("withdraw", 1), ("awaiting", 4), ("uncollected", 1), ("supplement_open", 1),
        ("late_receipt", 1),
    ),
}  # fmt: skip
_FEE_FIELDS = ("dat-dai", "xay-dung")

_REASONS: dict[str, dict[str, tuple[str, ...]]] = {
    "refuse_intake": {
        "chung-thuc": (
            "Bản chính giấy tờ có dấu hiệu tẩy xóa, sửa chữa nội dung không hợp lệ: không được chứng thực bản sao.",
            "Giấy tờ do cơ quan nước ngoài cấp chưa được hợp pháp hóa lãnh sự.",
        ),
        "ho-tich": (
            "Người yêu cầu không cư trú tại phường Thanh Khê: hướng dẫn nộp tại UBND xã, phường nơi cư trú.",
        ),
        "": ("Yêu cầu không thuộc thẩm quyền giải quyết của UBND phường; đã hướng dẫn nơi nộp.",),
    },
    "refuse": {
        "dat-dai": (
            "Thửa đất nằm trong hành lang an toàn giao thông theo quy hoạch được duyệt: không đủ điều kiện "
            "cấp Giấy chứng nhận.",
        ),
        "xay-dung": ("Công trình vi phạm chỉ giới xây dựng tuyến đường theo quy hoạch chi tiết được duyệt.",),
        "": ("Hồ sơ không đủ điều kiện giải quyết theo quy định.",),
    },
    "consult": {
        "dat-dai": ("Lấy ý kiến Chi nhánh Văn phòng đăng ký đất đai về ranh giới và nguồn gốc thửa đất.",),
        "xay-dung": ("Lấy ý kiến Sở Xây dựng về chỉ giới xây dựng tuyến đường.",),
        "": ("Xác minh hoàn cảnh hộ gia đình với Ban công tác Mặt trận tổ dân phố.",),
    },
    "supplement": {
        "dat-dai": (
            "Mảnh trích đo bản đồ địa chính thửa đất có xác nhận của Chi nhánh Văn phòng đăng ký đất đai",
            "Giấy tờ chứng minh thời điểm bắt đầu sử dụng đất ổn định",
        ),
        "xay-dung": (
            "Bản vẽ mặt bằng móng và sơ đồ đấu nối hạ tầng có chữ ký của người thiết kế",
            "Văn bản cam kết bảo đảm an toàn đối với công trình liền kề",
        ),
        "": ("Bản sao giấy tờ chứng minh thuộc đối tượng được hưởng chính sách", "Xác nhận của tổ dân phố"),
    },
    "stop": {
        "dat-dai": (
            "Phát sinh tranh chấp ranh giới thửa đất với hộ liền kề; dừng giải quyết, hướng dẫn hòa giải tại "
            "tổ dân phố.",
        ),
        "": ("Người yêu cầu có đơn đề nghị dừng giải quyết hồ sơ.",),
    },
    "withdraw": {"": ("Người nộp có đơn đề nghị rút hồ sơ để hoàn thiện lại giấy tờ.",)},
    "extend": {
        "dat-dai": (
            "Phải xác minh thêm nguồn gốc sử dụng đất với Chi nhánh Văn phòng đăng ký đất đai. UBND phường "
            "xin lỗi ông/bà vì sự chậm trễ và hẹn lại ngày trả kết quả.",
        ),
        "": ("Hồ sơ cần xác minh thêm thông tin. UBND phường xin lỗi ông/bà và hẹn lại ngày trả kết quả.",),
    },
    "return_draft": {
        "dat-dai": ("Dự thảo ghi diện tích chưa khớp mảnh trích đo; đề nghị kiểm tra lại.",),
        "": ("Dự thảo còn sai sót về thông tin người yêu cầu; đề nghị chỉnh sửa.",),
    },
}


def _reason(rng: random.Random, kind: str, field_code: str) -> str:
    options = _REASONS[kind]
    return rng.choice(options.get(field_code) or options[""])


@dataclass
class Ward:
    """The people and calendar a story needs, loaded once."""

    commune: Commune
    calendar: WorkCalendar
    counters: list[User]
    heads: dict[str, User]
    specialists: dict[str, list[tuple[User, tuple[str, ...]]]]
    chair: User
    vice_chair: User

    def specialist_for(self, rng: random.Random, procedure: Procedure) -> User:
        people = self.specialists[procedure.responsible_kind]
        skilled = [u for u, fields in people if procedure.field.code in fields] or [u for u, _ in people]
        return rng.choice(skilled)

    def leader_for(self, rng: random.Random, procedure: Procedure) -> User:
        # The chair signs land and construction; the vice-chair most of the rest.
        if procedure.field.code in _FEE_FIELDS or rng.random() < 0.2:
            return self.chair
        return self.vice_chair


@dataclass(frozen=True)
class Plan:
    procedure: Procedure
    fate: Fate
    start: dt.datetime
    volunteer: str = ""


def group_of(procedure: Procedure) -> str:
    if procedure.time_unit == TimeUnit.ON_THE_SPOT:
        return "on_the_spot"
    if procedure.time_unit in (TimeUnit.SAME_DAY, TimeUnit.HOURS):
        return "same_day"
    return "long" if (procedure.time_value or 0) >= 10 else "short"


def _fits(fate: Fate, procedure: Procedure) -> bool:
    if fate.online and procedure.online_level == OnlineLevel.NONE:
        return False
    if fate.fee and procedure.field.code not in _FEE_FIELDS:
        return False
    return not (fate.extend and (procedure.time_value or 0) < 5)


def plan_dossiers(rng: random.Random, procedures: Sequence[Procedure], timeline: Timeline) -> list[Plan]:
    """Which procedure, what fate and when, for every demo dossier."""
    by_code = {p.code: p for p in procedures}
    groups: dict[str, list[Procedure]] = {g: [] for g in QUOTAS}
    for p in procedures:
        groups[group_of(p)].extend([p] * PROCEDURE_MIX.get(p.code, 0))
    chosen: list[tuple[Procedure, Fate]] = []
    for group, members in groups.items():
        rng.shuffle(members)
        fates: list[Fate | None] = [None] * len(members)
        for name, count in QUOTAS[group]:
            fate = FATES[name]
            for _ in range(count):
                free = [i for i, p in enumerate(members) if fates[i] is None and _fits(fate, p)]
                if free:
                    fates[free[0]] = fate
        chosen += [(p, f or FATES["done"]) for p, f in zip(members, fates, strict=True)]
    for code, count in DRAFT_MIX.items():
        if code in by_code and by_code[code].online_level != OnlineLevel.NONE:
            chosen += [(by_code[code], FATES["draft"])] * count
    plans = []
    for procedure, fate in chosen:
        start = _start(rng, procedure, fate, timeline)
        # Volunteers help most with online applications (product.md: youth volunteer teams).
        share = (0.6 if fate.draft_only else 0.3) if fate.online else 0.08
        volunteer = residents.volunteer_name(rng) if rng.random() < share else ""
        plans.append(Plan(procedure, fate, start, volunteer))
    return plans


def _age_range(fate: Fate, days: int) -> tuple[int, int]:
    """How many working days ago the dossier came in, so that its story can get where it must."""
    if fate.late_receipt:
        return 1, 1
    if fate.draft_only:
        return 1, 3
    if fate.slow:
        return min(days + 2, 30), 30
    if fate.extend:
        return min(days + 1, 30), 30
    if fate.end == "awaiting":
        return 2, max(2, min(30, days + 2))
    if fate.consult or fate.fee or fate.supplement or fate.end in ("refuse", "stop", "withdraw"):
        return 4, 30
    if fate.intake == "supplement" and fate.comes_back:
        return 3, 30
    return 1, 30


def _start(rng: random.Random, p: Procedure, fate: Fate, timeline: Timeline) -> dt.datetime:
    lo, hi = _age_range(fate, p.time_value or 0)
    day = timeline.day_ago(rng.randint(lo, hi))
    if fate.draft_only:
        return timeline.any_time(timeline.today - dt.timedelta(days=rng.randint(1, 3)))
    if fate.online:
        return timeline.any_time(day)
    if fate.late_receipt:
        return timeline.office_time(day, earliest=15 * 60 + 5)
    # Solved while the resident waits: come early enough to be done before closing time.
    latest = 16 * 60 if p.time_unit == TimeUnit.ON_THE_SPOT else 16 * 60 + 30
    return timeline.office_time(day, latest=latest)


# ---------------------------------------------------------------------------------------------
# Telling the stories
# ---------------------------------------------------------------------------------------------


def tell(stories: Sequence[Story], *, cutoff: dt.datetime) -> None:
    """Run every story's steps in time order; a step at or after `cutoff` is not taken."""
    queue: list[tuple[dt.datetime, int, Story]] = []

    def advance(index: int, story: Story, previous: dt.datetime | None) -> None:
        at = next(story, None)
        if at is None:
            return
        if previous is not None and at <= previous:
            raise AssertionError(f"story {index}: step at {at} is not after {previous}")
        if at >= cutoff:
            story.close()
            return
        heapq.heappush(queue, (at, index, story))

    for index, story in enumerate(stories):
        advance(index, story, None)
    while queue:
        at, index, story = heapq.heappop(queue)
        advance(index, story, at)


class Teller:
    """Writes one plan's story with the ward's people and calendar."""

    def __init__(self, *, rng: random.Random, ward: Ward, timeline: Timeline):
        self.rng = rng
        self.ward = ward
        self.tl = timeline

    def story(self, plan: Plan) -> Story:
        rng, w, tl = self.rng, self.ward, self.tl
        p, fate = plan.procedure, plan.fate
        t = plan.start
        yield t
        low, high = AGES.get(p.code, DEFAULT_AGES)
        applicant = residents.person(rng, today=t.date(), min_age=low, max_age=high)
        fields = list(p.form_fields.all())
        form_data = residents.Declaration(rng, applicant=applicant, field_keys=[f.key for f in fields],
                                          day=t.date()).fill(fields)  # fmt: skip
        checklist = list(p.checklist.all())
        required = [i.id for i in checklist if i.required]
        optional = [i.id for i in checklist if not i.required and rng.random() < 0.3]
        ticked = required + optional
        missing: list[str] = []
        if fate.intake == "supplement":
            # The declaration itself is filled at the desk; what is missing is a supporting paper.
            pool = [i for i in checklist[1:] if i.required] or checklist
            lacking = rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 2))))
            missing = [i.name for i in lacking]
            ticked = [i for i in ticked if i not in {x.id for x in lacking}]
        counter = rng.choice(w.counters)
        reason = _reason(rng, "refuse_intake", p.field.code) if fate.intake == "refuse" else ""
        outcome_action = INTAKE_OUTCOMES[fate.intake]
        intake_data: dict[str, Any] = {"checklist_ticked": ticked, "items": missing}

        if fate.online:
            d = dossier_create_draft(
                commune=w.commune, procedure=p, applicant=applicant.applicant(), form_data=form_data,
                channel=Channel.ONLINE, now=t, checklist_ticked=ticked,
                assisted_by_volunteer=bool(plan.volunteer), volunteer_name=plan.volunteer,
            )  # fmt: skip
            if fate.draft_only:
                return
            t = tl.desk_pickup(t)
            if p.time_unit == TimeUnit.ON_THE_SPOT and t.hour >= 16:
                t = tl.morning(tl.cal.next_working_day(t.date()))
            yield t
            d = dossier_apply(dossier=d, action=outcome_action, actor=counter, now=t, reason=reason,
                              data=intake_data)  # fmt: skip
        elif plan.volunteer:
            d = dossier_create_draft(
                commune=w.commune, procedure=p, applicant=applicant.applicant(), form_data=form_data,
                channel=Channel.IN_PERSON, now=t, checklist_ticked=ticked, actor=counter,
                assisted_by_volunteer=True, volunteer_name=plan.volunteer,
            )  # fmt: skip
            d = dossier_apply(dossier=d, action=outcome_action, actor=counter, now=t, reason=reason,
                              data=intake_data)  # fmt: skip
        else:
            d = dossier_intake(
                actor=counter, procedure=p, applicant=applicant.applicant(), form_data=form_data,
                checklist_ticked=ticked, outcome=fate.intake, now=t, missing_items=missing, reason=reason,
            )  # fmt: skip

        if fate.intake == "refuse" or (fate.intake == "supplement" and not fate.comes_back):
            return
        if fate.intake == "supplement":
            t = tl.days_later(t, rng.randint(1, 2))
            if p.time_unit == TimeUnit.ON_THE_SPOT and t.hour >= 16:
                t = tl.morning(tl.cal.next_working_day(t.date()))
            yield t
            d = dossier_apply(dossier=d, action=Action.RECEIVE, actor=rng.choice(w.counters), now=t,
                              data={"checklist_ticked": required + optional})  # fmt: skip
        if p.time_unit == TimeUnit.ON_THE_SPOT:
            yield from self._on_the_spot(d, t, plan)
        else:
            yield from self._department(d, t, plan)

    def _result(self, p: Procedure) -> dict[str, Any]:
        return {"result_summary": p.result_name} if p.result_name else {}

    def _return_method(self, plan: Plan) -> str:
        if plan.fate.online and plan.procedure.online_level == OnlineLevel.FULL:
            return Channel.ONLINE
        return Channel.POST if self.rng.random() < 0.06 else Channel.IN_PERSON

    def _on_the_spot(self, d: Dossier, t: dt.datetime, plan: Plan) -> Story:
        rng, w, tl, p = self.rng, self.ward, self.tl, plan.procedure
        counter = rng.choice(w.counters)
        if plan.fate.end == "withdraw":
            t = tl.soon(t, 5, 20)
            yield t
            dossier_apply(dossier=d, action=Action.WITHDRAW, actor=counter, now=t,
                          reason=_reason(rng, "withdraw", p.field.code))  # fmt: skip
            return
        t = tl.soon(t, 10, 35)
        yield t
        d = dossier_apply(
            dossier=d, action=Action.RESOLVE_ON_SPOT, actor=counter, now=t, data=self._result(p)
        )
        if plan.fate.end == "uncollected":
            return
        t = tl.soon(t, 3, 20)
        yield t
        dossier_apply(dossier=d, action=Action.RETURN_RESULT, actor=counter, now=t,
                      data={"method": self._return_method(plan)})  # fmt: skip

    def _department(self, d: Dossier, t: dt.datetime, plan: Plan) -> Story:
        rng, w, tl, p, fate = self.rng, self.ward, self.tl, plan.procedure, plan.fate
        field_code = p.field.code
        same_day = p.time_unit != TimeUnit.WORKING_DAYS
        # A certified copy is done within the hour; anything with a term waits its turn.
        t = tl.soon(t, 5, 20) if same_day and t.hour < 15 else tl.transfer(t)
        yield t
        d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=rng.choice(w.counters), now=t)
        head = w.heads[p.responsible_kind]
        officer = w.specialist_for(rng, p)
        t = tl.soon(t, 2, 15) if same_day else tl.days_later(t, rng.choice((0, 0, 1)))
        yield t
        d = dossier_apply(
            dossier=d, action=Action.ASSIGN, actor=head, now=t, data={"assignee_id": officer.pk}
        )

        if fate.end == "withdraw":
            t = tl.days_later(t, rng.randint(1, 3))
            yield t
            dossier_apply(dossier=d, action=Action.WITHDRAW, actor=rng.choice(w.counters), now=t,
                          reason=_reason(rng, "withdraw", field_code))  # fmt: skip
            return
        if fate.consult:
            t = tl.days_later(t, rng.randint(1, 2))
            yield t
            d = dossier_apply(dossier=d, action=Action.CONSULT, actor=officer, now=t,
                              reason=_reason(rng, "consult", field_code))  # fmt: skip
            if fate.consult == "open":
                return
            t = tl.days_later(t, rng.randint(2, 5))
            yield t
            d = dossier_apply(dossier=d, action=Action.CONSULT_DONE, actor=officer, now=t)
        if fate.fee:
            t = tl.days_later(t, rng.randint(1, 3))
            yield t
            d = dossier_apply(dossier=d, action=Action.AWAIT_FEE, actor=officer, now=t)
            if fate.fee == "open":
                return
            t = tl.days_later(t, rng.randint(1, 4))
            yield t
            d = dossier_apply(dossier=d, action=Action.FEE_PAID, actor=rng.choice(w.counters), now=t)
        if fate.supplement:
            t = tl.days_later(t, rng.randint(1, 2))
            yield t
            items = list(_REASONS["supplement"].get(field_code) or _REASONS["supplement"][""])
            d = dossier_apply(dossier=d, action=Action.REQUEST_SUPPLEMENT, actor=officer, now=t,
                              data={"items": items[: rng.randint(1, len(items))]})  # fmt: skip
            if fate.supplement == "open":
                return
            t = tl.days_later(t, rng.randint(2, 6))
            yield t
            d = dossier_apply(dossier=d, action=Action.RECEIVE, actor=rng.choice(w.counters), now=t)
            t = tl.transfer(t)
            yield t
            d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=rng.choice(w.counters), now=t)
        if fate.end in ("refuse", "stop"):
            t = tl.days_later(t, rng.randint(1, 3))
            yield t
            actor = officer if fate.end == "refuse" else (head if rng.random() < 0.7 else w.chair)
            dossier_apply(dossier=d, action=fate.end, actor=actor, now=t,
                          reason=_reason(rng, fate.end, field_code))  # fmt: skip
            return
        if fate.extend:
            due = d.effective_due_at
            assert due is not None
            left = tl.working_days_between(t, due)
            if left >= 1:
                t = tl.days_later(t, max(0, left - 1 - rng.randint(0, 1)))
                yield t
                new_date = tl.cal.add_working_days(due.astimezone(tl.tz).date(), rng.randint(3, 7))
                d = dossier_apply(dossier=d, action=Action.EXTEND, actor=officer, now=t,
                                  reason=_reason(rng, "extend", field_code),
                                  data={"new_due_date": f"{new_date:%d/%m/%Y}"})  # fmt: skip

        t = self._submit_time(d, t, plan)
        yield t
        d = dossier_apply(dossier=d, action=Action.SUBMIT_DRAFT, actor=officer, now=t)
        if fate.end == "awaiting":
            return
        leader = w.leader_for(rng, p)
        if fate.return_draft:
            t = tl.soon(t, 30, 240)
            yield t
            d = dossier_apply(dossier=d, action=Action.RETURN_DRAFT, actor=leader, now=t,
                              reason=_reason(rng, "return_draft", field_code))  # fmt: skip
            t = tl.days_later(t, 1)
            yield t
            d = dossier_apply(dossier=d, action=Action.SUBMIT_DRAFT, actor=officer, now=t)
        t = tl.soon(t, 5, 30) if same_day else self._approval_time(d, t)
        yield t
        d = dossier_apply(dossier=d, action=Action.APPROVE, actor=leader, now=t, data=self._result(p))
        if fate.end == "uncollected":
            return
        t = tl.soon(t, 10, 90) if same_day else tl.days_later(t, rng.choice((0, 1, 1, 2, 3)))
        yield t
        dossier_apply(dossier=d, action=Action.RETURN_RESULT, actor=rng.choice(w.counters), now=t,
                      data={"method": self._return_method(plan)})  # fmt: skip

    def _submit_time(self, d: Dossier, t: dt.datetime, plan: Plan) -> dt.datetime:
        rng, tl, fate = self.rng, self.tl, plan.fate
        if plan.procedure.time_unit != TimeUnit.WORKING_DAYS:
            return tl.soon(t, 10, 45)
        due = d.effective_due_at
        assert due is not None
        left = tl.working_days_between(t, due)
        if fate.end == "awaiting":
            # Submitted in the last day or two: the leader's queue of today.
            day = tl.day_ago(rng.randint(1, 2))
            return tl.office_time(day, after=t) if day >= t.astimezone(tl.tz).date() else tl.soon(t, 20, 90)
        if fate.slow:
            return tl.days_later(t, left + rng.randint(1, max(2, (plan.procedure.time_value or 0) // 3)))
        if left <= 1:
            return tl.days_later(t, 0) if left == 0 else tl.days_later(t, rng.randint(0, 1))
        # Long files (land, construction) are mostly finished in the second half of their term.
        earliest = left // 2 if (plan.procedure.time_value or 0) >= 10 else 1
        return tl.days_later(t, rng.randint(earliest, left - 1))

    def _approval_time(self, d: Dossier, t: dt.datetime) -> dt.datetime:
        due = d.effective_due_at
        assert due is not None
        if self.tl.working_days_between(t, due) == 0:
            return self.tl.days_later(t, 0)
        return self.tl.days_later(t, self.rng.choice((0, 0, 1)))
