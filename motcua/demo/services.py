"""Loading the demo ward (`motcua demo`): Phường Thanh Khê, Thành phố Đà Nẵng, alive.

Everything goes through the project's own services — the official geography, the starter
catalogue, and about 300 dossiers received and moved through `dossier_intake` /
`dossier_apply` over the last 30 working days — so the demo shows exactly what the software
does, control sheets included. One fixed seed gives the same ward every time for a given day.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from motcua.calendar.selectors import calendar_for_province
from motcua.catalog.models import Procedure
from motcua.catalog.services import catalog_load_starter
from motcua.core.errors import Conflict
from motcua.dossiers.documents import stored_path
from motcua.dossiers.models import Dossier, DossierDocument, DossierSequence
from motcua.geo.models import Commune, LegacyUnit
from motcua.geo.services import geo_load_official_units
from motcua.org.models import CommuneProfile, Department, Role, User
from motcua.queueing.models import Counter, ServiceGroup

from . import ward as W
from .feedback_day import feedback_load
from .province_wards import neighbours_load
from .queue_day import queue_load_today
from .ratings_day import ratings_load
from .selectors import demo_is_loaded
from .staffing_day import staffing_load
from .stories import DRAFT_MIX, PROCEDURE_MIX, Teller, Ward, plan_dossiers, tell
from .timeline import Timeline

SEED = 2026


@transaction.atomic
def demo_load(*, now: dt.datetime, reset: bool = False) -> bool:
    """Load the demo ward; `now` anchors the 30 working days of dossiers before it, and the
    hall's day: today's queue as it is mid-morning, added once per day (queue_day.py).

    Idempotent: when the demo staff already exist nothing changes and False is returned.
    With `reset`, the demo ward's dossiers (and its dossier numbering) are wiped and told
    again; staff, catalogue and geography stay as they are.
    """
    if demo_is_loaded():
        _setup_profile_and_installation_admin()
        _setup_queue_hall()
        queue_load_today(now=now)
        feedback_load(now=now)
        ratings_load(now=now)
        staffing_load(now=now)
        if not reset:
            return False
        _wipe_dossiers()
    else:
        geo_load_official_units()
        catalog_load_starter()
        commune = _setup_commune()
        _setup_staff(commune)
        _setup_profile_and_installation_admin()
        _setup_queue_hall()
        queue_load_today(now=now)
        _load_merge_job(now=now)
        feedback_load(now=now)
    _load_dossiers(now=now)
    ratings_load(now=now)
    neighbours_load(now=now)
    staffing_load(now=now)
    return True


def _load_merge_job(*, now: dt.datetime) -> None:
    """A finished register merge for the data officer: five old wards' registers of 2,000
    invented persons (the evaluation generator: Vietnamese names, households, clerks' typos),
    uploaded and merged as the web app does, with its review queue and Excel."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from motcua.registers.evaluation.generator import generate_registers
    from motcua.registers.services import merge_job_create
    from motcua.registers.worker import merge_job_run

    officer = User.objects.get(username=W.DATA_OFFICER)
    with tempfile.TemporaryDirectory(prefix="motcua-demo-registers-") as tmp:
        generated = generate_registers(persons=2000, wards=5, seed=2026, out_dir=Path(tmp))
        uploads = [
            SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
            for path in generated.files
        ]
        with generated.truth.open(encoding="utf-8") as f:
            truth = {row["record_id"]: row["person_id"] for row in csv.DictReader(f)}
        job = merge_job_create(
            user=officer,
            title="Hợp nhất danh sách dân cư 5 phường cũ (dữ liệu mẫu)",
            uploads=uploads,
            now=now,
            enqueue=False,
        )
    merge_job_run(job_id=job.pk, now=now)
    _review_and_apply(job_id=job.pk, officer=officer, truth=truth, now=now)


def _review_and_apply(*, job_id: int, officer: User, truth: dict[str, str], now: dt.datetime) -> None:
    """The data officer's first morning on the merge (issue 12 §4): three uncertain pairs decided
    (as the invented registers' truth says: the run got some wrong), applied without a rerun, the
    files written as the background task writes them."""
    from motcua.registers.models import MergeJob, ReviewPair
    from motcua.registers.services import merge_job_apply_decisions, review_decide
    from motcua.registers.tasks import merge_job_files

    job = MergeJob.objects.get(pk=job_id)
    pairs = list(ReviewPair.objects.filter(job=job).order_by("rank")[:200])
    wrong = [p for p in pairs if (truth.get(p.record_id_l) == truth.get(p.record_id_r)) != p.same_person]
    chosen = (wrong + [p for p in pairs if p not in wrong])[:3]
    for pair in chosen:
        same = truth.get(pair.record_id_l) == truth.get(pair.record_id_r)
        reason = (
            "Cùng hộ, cùng cha mẹ; tổ trưởng xác nhận là một người"
            if same
            else "Khác năm sinh và khác hộ; hai người trùng họ tên"
        )
        review_decide(user=officer, job=job, pair_id=pair.pk, is_match=same, reason=reason)
    if chosen:
        merge_job_apply_decisions(user=officer, job=job, now=now)
        merge_job_files(job_id=job.pk, run_no=job.runs)


def _wipe_dossiers() -> None:
    """Delete the demo ward's dossiers, their numbering and the files staff uploaded to them.

    The files go only once the deletion is committed: a rolled-back reset keeps both.
    """
    paths = [
        stored_path(p)
        for p in DossierDocument.objects.filter(dossier__commune_id=W.COMMUNE_CODE).values_list(
            "storage_path", flat=True
        )
    ]
    Dossier.objects.filter(commune_id=W.COMMUNE_CODE).delete()
    DossierSequence.objects.filter(agency_code=W.AGENCY_CODE).delete()

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove_files)


def _setup_commune() -> Commune:
    commune = Commune.objects.get(code=W.COMMUNE_CODE)
    commune.agency_code = W.AGENCY_CODE
    commune.save(update_fields=["agency_code"])
    for name in W.LEGACY_WARDS:
        LegacyUnit.objects.get_or_create(
            commune=commune, name=name, district=W.OLD_DISTRICT, defaults={"province": W.OLD_PROVINCE}
        )
    for kind, name in W.DEPARTMENTS.items():
        Department.objects.update_or_create(commune=commune, kind=kind, defaults={"name": name})
    return commune


def _setup_staff(commune: Commune) -> None:
    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    # One hash for the one shared demo password: hashing it twenty times with the production
    # hasher would take most of the load time and buy nothing.
    password = make_password(W.PASSWORD)
    for s in W.STAFF:
        existing = User.objects.filter(username=s.username).first()
        if existing is not None:
            if existing.commune_id not in (None, W.COMMUNE_CODE):
                raise Conflict(
                    f"Tên đăng nhập «{s.username}» đã có ở đơn vị khác; không thể nạp phường mẫu.",
                    code="demo_username_taken",
                )
            continue
        province_only = s.role == Role.PROVINCE_OFFICER
        user = User.objects.create_user(
            username=s.username,
            password=None,
            full_name=s.full_name,
            role=s.role,
            commune=None if province_only else commune,
            province_id=W.PROVINCE_CODE,
            department=departments[s.department] if s.department else None,
            position=s.position,
        )
        user.password = password
        user.save(update_fields=["password"])


def _setup_profile_and_installation_admin() -> None:
    """The ward's profile, marked as the demo's own, and the installation administrator.
    Both are added on any run, so a demo loaded before they existed gets them too."""
    CommuneProfile.objects.update_or_create(
        commune_id=W.COMMUNE_CODE,
        defaults={
            "unit_name": W.UNIT_NAME,
            "address": W.ADDRESS,
            "opening_hours": W.OPENING_HOURS,
            "hotline": W.HOTLINE,
            "created_by_demo": True,
        },
    )
    s = W.INSTALLATION_ADMIN
    existing = User.objects.filter(username=s.username).first()
    if existing is not None:
        if existing.commune_id not in (None, W.COMMUNE_CODE):
            raise Conflict(
                f"Tên đăng nhập «{s.username}» đã có ở đơn vị khác; không thể nạp phường mẫu.",
                code="demo_username_taken",
            )
        return
    user = User(
        username=s.username,
        full_name=s.full_name,
        role=s.role,
        commune_id=W.COMMUNE_CODE,
        province_id=W.PROVINCE_CODE,
        position=s.position,
        is_superuser=s.superuser,
        password=make_password(W.PASSWORD),
    )
    user.save()


def _setup_queue_hall() -> None:
    """The center's service groups and counters (idempotent, added on any run); the counters'
    hours and officers come with today's queue (queue_day.py)."""
    groups = {
        letter: ServiceGroup.objects.get_or_create(
            commune_id=W.COMMUNE_CODE, letter=letter, defaults={"name": name}
        )[0]
        for letter, name in W.QUEUE_GROUPS
    }
    for number, letters in W.QUEUE_COUNTERS:
        counter, created = Counter.objects.get_or_create(
            commune_id=W.COMMUNE_CODE, number=number, defaults={"name": f"Quầy {number}"}
        )
        if created:
            counter.groups.set([groups[letter] for letter in letters])


def _ward(commune: Commune) -> Ward:
    staff = {u.username: u for u in User.objects.filter(username__in=[s.username for s in W.STAFF])}
    people = [(s, staff[s.username]) for s in W.STAFF]
    specialists: dict[str, list[tuple[User, tuple[str, ...]]]] = {}
    for s, u in people:
        if s.role == Role.SPECIALIST and s.department:
            specialists.setdefault(s.department, []).append((u, s.fields))
    return Ward(
        commune=commune,
        calendar=calendar_for_province(W.PROVINCE_CODE),
        counters=[u for s, u in people if s.role == Role.COUNTER_OFFICER],
        heads={s.department: u for s, u in people if s.role == Role.DEPARTMENT_HEAD and s.department},
        specialists=specialists,
        chair=staff["chutich"],
        vice_chair=staff["phochutich"],
    )


def _load_dossiers(*, now: dt.datetime) -> None:
    commune = Commune.objects.select_related("province").get(code=W.COMMUNE_CODE)
    ward = _ward(commune)
    rng = random.Random(SEED)
    today = now.astimezone(ward.calendar.tz).date()
    timeline = Timeline(rng=rng, calendar=ward.calendar, today=today)
    procedures = list(
        Procedure.objects.filter(is_active=True, code__in=set(PROCEDURE_MIX) | set(DRAFT_MIX))
        .select_related("field")
        .prefetch_related("form_fields", "checklist")
        .order_by("code")
    )
    plans = plan_dossiers(rng, procedures, timeline)
    teller = Teller(rng=rng, ward=ward, timeline=timeline)
    tell([teller.story(plan) for plan in plans], cutoff=timeline.at(today, 0))
