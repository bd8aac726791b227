"""The demo ward, loaded once for the module (inside a transaction rolled back at the end, so
no other test sees it) at a pinned moment: Wednesday 18/03/2026, 10:00 in Đà Nẵng. Its 30
working days reach back over Tết Bính Ngọ, so the loader is checked against the lunar holidays.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from vietnamadminunits import convert_address

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import VIETNAM_TZ
from motcua.catalog.models import Procedure, TimeUnit
from motcua.core import clock
from motcua.demo import ward as W
from motcua.demo.selectors import demo_is_loaded, demo_summary
from motcua.demo.services import demo_load
from motcua.dossiers.documents import stored_path
from motcua.dossiers.models import Channel, ControlEntry, Dossier, DossierDocument, State
from motcua.dossiers.services import dossier_attach_documents
from motcua.dossiers.workflow import Action
from motcua.geo.models import Commune, LegacyUnit, Province
from motcua.org.models import CommuneProfile, Department, DepartmentKind, Role, User
from motcua.queueing.models import Counter as QueueCounter
from motcua.queueing.models import ServiceGroup

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=VIETNAM_TZ)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def load_seconds(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.perf_counter()
        assert demo_load(now=NOW) is True
        yield time.perf_counter() - started
        transaction.set_rollback(True)


def _demo_dossiers():
    return Dossier.objects.filter(commune_id=W.COMMUNE_CODE)


def _row_counts() -> dict[str, int]:
    return {
        "provinces": Province.objects.count(),
        "communes": Commune.objects.count(),
        "legacy": LegacyUnit.objects.count(),
        "procedures": Procedure.objects.count(),
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "dossiers": Dossier.objects.count(),
        "entries": ControlEntry.objects.count(),
        "queue_groups": ServiceGroup.objects.count(),
        "counters": QueueCounter.objects.count(),
    }


def test_loads_quickly(load_seconds):
    assert load_seconds < 60
    assert demo_is_loaded()


def test_second_run_changes_nothing(load_seconds):
    before = _row_counts()
    states = list(_demo_dossiers().order_by("id").values_list("id", "state", "code"))
    assert demo_load(now=NOW + dt.timedelta(days=3)) is False
    assert _row_counts() == before
    assert list(_demo_dossiers().order_by("id").values_list("id", "state", "code")) == states


def test_command_when_loaded_prints_the_logins_and_changes_nothing(load_seconds, settings):
    settings.DEBUG = True
    settings.MOTCUA_PUBLIC_URL = "http://127.0.0.1:8765"  # what tools/run passes for MOTCUA_BIND
    before = _row_counts()
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert _row_counts() == before
    assert "không thay đổi gì" in text
    assert W.PASSWORD in text
    assert "http://127.0.0.1:8765/dang-nhap/" in text and "8000" not in text
    assert "Quản trị cài đặt" in text
    for username in (
        "motcua1",
        "tuphap1",
        "diachinh1",
        "tp.kinhte",
        "chutich",
        "quantri",
        "sonoivu",
        "hethong",
    ):
        assert username in text
    assert "/quan-tri/" in text
    assert "Hàng đợi hôm nay" in text and "người đang chờ" in text
    assert "/lay-so/20209/bang/" in text and "/lay-so/quay/" in text


def test_command_refuses_outside_debug_unless_forced(load_seconds, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="không ở chế độ phát triển"):
        call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo", "--force", stdout=out)
    assert "không thay đổi gì" in out.getvalue()


def test_command_refuses_beside_a_real_commune_unless_forced(load_seconds, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("MOTCUA_ADMIN_PASSWORD", "Bon-mua-hoa-phuong-2026")
    # Liên Chiểu: not one of the demo's neighbouring wards (province_wards.py)
    call_command("setup-commune", "20197", "--admin", "quantri.lienchieu", stdout=io.StringIO())
    with pytest.raises(
        CommandError, match=r"đã có dữ liệu không do phường mẫu tạo.*Phường Liên Chiểu.*1 tài khoản"
    ):
        call_command("demo", stdout=io.StringIO())
    call_command("demo", "--force", stdout=io.StringIO())


def test_setup_commune_on_the_demo_ward_makes_it_real(load_seconds, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("MOTCUA_ADMIN_PASSWORD", "Bon-mua-hoa-phuong-2026")
    call_command("setup-commune", "20209", "--admin", "quantri.that", stdout=io.StringIO())
    assert not CommuneProfile.objects.get(commune_id=W.COMMUNE_CODE).created_by_demo
    with pytest.raises(CommandError, match="thông tin đơn vị của Phường Thanh Khê"):
        call_command("demo", stdout=io.StringIO())


def test_profile_and_installation_admin(load_seconds):
    profile = CommuneProfile.objects.get(commune_id=W.COMMUNE_CODE)
    assert profile.unit_name == "Trung tâm Phục vụ hành chính công phường Thanh Khê"
    assert "Thanh Khê" in profile.address and "Đà Nẵng" in profile.address
    assert profile.opening_hours == "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00; sáng Thứ Bảy 7:30–11:30"
    assert profile.hotline and profile.created_by_demo
    hethong = User.objects.get(username="hethong")
    assert hethong.is_superuser and hethong.role == Role.ADMIN and hethong.commune_id == W.COMMUNE_CODE
    assert hethong.check_password(W.PASSWORD)
    assert not User.objects.get(username="quantri").is_superuser


def test_the_published_password_is_only_in_the_demo():
    root = Path(__file__).resolve().parents[2]
    users = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "demo" not in path.relative_to(root).parts and W.PASSWORD in path.read_text(encoding="utf-8")
    ]
    assert users == []


def test_reset_tells_the_same_stories_again(load_seconds, settings):
    settings.DEBUG = True
    snapshot = list(
        _demo_dossiers().order_by("code", "created_at").values_list("code", "state", "applicant_name")
    )
    users = dict(User.objects.values_list("username", "pk"))
    out = io.StringIO()
    with clock.pinned(NOW):
        call_command("demo", "--reset", stdout=out)
    assert "Đã nạp phường mẫu" in out.getvalue()
    again = list(
        _demo_dossiers().order_by("code", "created_at").values_list("code", "state", "applicant_name")
    )
    assert again == snapshot
    assert dict(User.objects.values_list("username", "pk")) == users


def test_reset_removes_the_files_uploaded_to_demo_dossiers(
    load_seconds, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.UPLOAD_ROOT = tmp_path
    dossier = _demo_dossiers().filter(state=State.IN_PROCESS).first()
    scan = SimpleUploadedFile("don-de-nghi.pdf", b"%PDF-1.4\n%demo\n%%EOF\n", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # files move into place on commit
        dossier_attach_documents(
            dossier=dossier, actor=User.objects.get(username="motcua1"), files=[(None, scan)], now=clock.now()
        )
    path = stored_path(dossier.documents.get().storage_path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load(now=NOW, reset=True) is True
    assert not path.exists()
    assert not DossierDocument.objects.exists()


# ----------------------------------------------------------------------------- reference data


def test_geography_catalogue_and_agency_code(load_seconds):
    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    ward = Commune.objects.get(code=W.COMMUNE_CODE)
    assert ward.name == "Phường Thanh Khê" and ward.province_id == 48
    assert ward.agency_code == "H48.20209"
    birth = Procedure.objects.get(code="1.001193")
    assert birth.time_unit == TimeUnit.ON_THE_SPOT
    assert Procedure.objects.filter(
        time_unit=TimeUnit.WORKING_DAYS, time_value=20, field__code="dat-dai"
    ).exists()
    assert Procedure.objects.count() >= 18


def test_legacy_units_all_convert_to_the_ward(load_seconds):
    units = list(LegacyUnit.objects.filter(commune_id=W.COMMUNE_CODE))
    assert {u.name for u in units} == set(W.LEGACY_WARDS)
    for u in units:
        # Ward, district and province only: with a street the library geocodes online.
        converted = convert_address(f"{u.name}, {u.district}, {u.province}")
        assert converted.ward_code == "20209", u.name
    assert convert_address("Phường An Khê, Quận Thanh Khê, Thành phố Đà Nẵng").ward_code != "20209"


def test_departments_and_staff_per_role(load_seconds):
    departments = {d.kind: d for d in Department.objects.filter(commune_id=W.COMMUNE_CODE)}
    assert set(departments) == set(DepartmentKind)
    assert (
        departments[DepartmentKind.SERVICE_CENTER].name
        == "Trung tâm Phục vụ hành chính công phường Thanh Khê"
    )
    staff = list(User.objects.filter(username__in=[s.username for s in W.STAFF]))
    assert len(staff) == 21
    roles = Counter(u.role for u in staff)
    assert roles == {
        Role.COUNTER_OFFICER: 5,
        Role.SPECIALIST: 8,
        Role.DEPARTMENT_HEAD: 3,
        Role.COMMUNE_LEADER: 2,
        Role.ADMIN: 1,
        Role.PROVINCE_OFFICER: 1,
        Role.DATA_OFFICER: 1,
    }
    working = {DepartmentKind.OFFICE, DepartmentKind.ECONOMIC, DepartmentKind.CULTURE_SOCIAL}
    for u in staff:
        if u.role == Role.COUNTER_OFFICER:
            assert u.department.kind == DepartmentKind.SERVICE_CENTER
        if u.role == Role.SPECIALIST:
            assert u.department.kind in working
        if u.role == Role.PROVINCE_OFFICER:
            assert u.commune_id is None and u.province_id == 48
        else:
            assert u.commune_id == W.COMMUNE_CODE
        assert u.full_name and u.position
    heads = [u.department.kind for u in staff if u.role == Role.DEPARTMENT_HEAD]
    assert sorted(heads) == sorted(working)
    assert {u.department.kind for u in staff if u.role == Role.SPECIALIST} == working


def test_every_demo_login_works(load_seconds):
    for s in W.STAFF:
        assert authenticate(username=s.username, password=W.PASSWORD) is not None, s.username


# ----------------------------------------------------------------------------- the dossiers


def test_about_300_dossiers_in_every_state(load_seconds):
    summary = demo_summary(now=NOW)
    assert 280 <= summary.total <= 320
    empty = [state for state, _, count in summary.by_state if count == 0]
    assert not empty
    counts = {state: count for state, _, count in summary.by_state}
    assert set(counts) == set(State)
    assert counts[State.RETURNED] > summary.total / 2
    assert counts[State.DRAFT] == 10


def test_overdue_extended_returned_and_assisted(load_seconds):
    dossiers = list(_demo_dossiers().select_related("procedure"))
    overdue = [d for d in dossiers if d.is_overdue(NOW)]
    assert 5 <= len(overdue) <= 40
    assert any(d.state == State.IN_PROCESS for d in overdue), "some are still open and late"
    extended = [d for d in dossiers if d.extended_due_at is not None]
    assert extended
    for d in extended:
        assert d.extension_reason
        assert d.extended_due_at > d.due_at
        assert d.control_entries.filter(action=Action.EXTEND).count() == 1
    assert sum(d.state == State.RETURNED and d.returned_at is not None for d in dossiers) > 150
    assisted = [d for d in dossiers if d.assisted_by_volunteer]
    assert len(assisted) >= 10 and all(d.volunteer_name for d in assisted)
    drafts = [d for d in dossiers if d.state == State.DRAFT]
    assert all(d.channel == Channel.ONLINE and d.code for d in drafts)  # online: the code when sent


def test_birth_registrations_are_mostly_done_the_same_day(load_seconds):
    births = list(_demo_dossiers().filter(procedure__code="1.001193", state=State.RETURNED))
    assert len(births) >= 30
    same_day = [
        d
        for d in births
        if d.returned_at.astimezone(VIETNAM_TZ).date() == d.received_at.astimezone(VIETNAM_TZ).date()
    ]
    assert len(same_day) >= 0.8 * len(births)
    assert not [d for d in births if d.is_overdue(NOW)]


def test_every_step_is_in_the_past_in_order_and_in_office_hours(load_seconds):
    calendar = calendar_for_province(48)
    by_dossier: dict[int, list[ControlEntry]] = defaultdict(list)
    for e in ControlEntry.objects.filter(dossier__commune_id=W.COMMUNE_CODE).order_by("id"):
        by_dossier[e.dossier_id].append(e)
    created = dict(_demo_dossiers().values_list("id", "created_at"))
    assert max(created.values()) < NOW
    for dossier_id, entries in by_dossier.items():
        assert created[dossier_id] <= entries[0].at
        for before, after in itertools.pairwise(entries):
            assert before.at < after.at
        for e in entries:
            local = e.at.astimezone(VIETNAM_TZ)
            assert local < NOW
            assert calendar.is_working_day(local.date()), e.at
            assert dt.time(7, 30) <= local.time() <= dt.time(17, 15), e.at


def test_dossier_codes_are_consecutive_each_day_in_order_of_receipt(load_seconds):
    """A walk-in is numbered at its first receipt, an online dossier when it was sent."""
    codes: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for d in _demo_dossiers().exclude(code=None):
        match = re.fullmatch(r"H48\.20209-(\d{6})-(\d{4})", d.code)
        assert match, d.code
        if d.channel == Channel.ONLINE:
            numbered_at = d.created_at
        else:
            first_receipt = d.control_entries.filter(action=Action.RECEIVE).order_by("at").first()
            assert first_receipt is not None
            numbered_at = first_receipt.at
        assert numbered_at.astimezone(VIETNAM_TZ).strftime("%y%m%d") == match.group(1)
        codes[match.group(1)].append((numbered_at, int(match.group(2))))
    for day, numbers in codes.items():
        in_time_order = [n for _, n in sorted(numbers)]
        assert in_time_order == list(range(1, len(numbers) + 1)), day


def test_residents_look_like_thanh_khe(load_seconds):
    dossiers = list(_demo_dossiers())
    for d in dossiers:
        assert re.fullmatch(r"09\d{8}", d.applicant_phone)
        assert re.fullmatch(r"048[0-3]\d{8}", d.applicant_citizen_id)
        assert "tổ dân phố" in d.applicant_address and "Thanh Khê" in d.applicant_address
    surnames = Counter(d.applicant_name.split()[0] for d in dossiers)
    assert surnames.most_common(1)[0][0] == "Nguyễn"
    assert 0.2 <= surnames["Nguyễn"] / len(dossiers) <= 0.45
    assert len(surnames) >= 12


def test_the_data_officer_finds_a_finished_register_merge(load_seconds):
    from motcua.registers.models import JobStatus, MergeJob, ReviewPair
    from motcua.registers.storage import workbook_path

    job = MergeJob.objects.get(commune_id=W.COMMUNE_CODE)
    assert job.status == JobStatus.DONE, job.error
    assert job.created_by.username == W.DATA_OFFICER
    assert job.files.count() == 5
    assert job.stats["records"] > 2000 > job.stats["persons"] * 0.9
    assert ReviewPair.objects.filter(job=job).exists()
    assert workbook_path(job) is not None
    # Her first decisions are applied without a rerun, and the files follow them.
    from motcua.registers.recluster import files_ready
    from motcua.registers.selectors import pending_decisions
    from motcua.registers.storage import run_dir

    assert job.decisions.count() == 3 and pending_decisions(job) == 0
    assert job.runs == 1 and job.stats["applied"]
    assert files_ready(run_dir(job))


def test_the_hall_takes_numbers_on_first_run(load_seconds, client):
    """The demo's center has its service groups and counters: a newcomer opening the QR
    poster's page can take a number and an officer's counter serves it."""
    page = client.get(reverse("queueing:take", args=[W.COMMUNE_CODE])).content.decode()
    for _, name in W.QUEUE_GROUPS:
        assert name in page
    counter = QueueCounter.objects.get(commune_id=W.COMMUNE_CODE, number=3)
    assert sorted(g.letter for g in counter.groups.all()) == ["B"]
    assert QueueCounter.objects.filter(commune_id=W.COMMUNE_CODE).count() == len(W.QUEUE_COUNTERS)


def test_the_hall_is_alive_mid_morning(load_seconds):
    """`motcua demo` brings today's queue (queue_day.py): tickets done, at the counters and waiting."""
    from motcua.demo.selectors import demo_queue_today

    tickets, waiting = demo_queue_today(now=NOW)
    assert tickets > 200 and waiting > 10
    assert QueueCounter.objects.filter(commune_id=W.COMMUNE_CODE, officer__isnull=False).count() == 10


def test_the_province_compares_the_ward_with_four_neighbours(load_seconds, client):
    """The province officer's quality ranking: Thanh Khê and four neighbouring wards with a month
    of dossiers and ratings, their staff and skills; the struggling An Khê is flagged; the wards
    without data come after them."""
    from motcua.demo.province_wards import NEIGHBOURS
    from motcua.quality.models import Rating
    from motcua.staffing.models import Skill

    for n in NEIGHBOURS:
        assert Dossier.objects.filter(commune_id=n.code).count() > 50
        assert Rating.objects.filter(commune_id=n.code).exists()
        assert Skill.objects.filter(user__commune_id=n.code).exists()
    client.force_login(User.objects.get(username="sonoivu"))
    html = client.get("/chat-luong/tinh/").content.decode()
    rows = re.findall(r'<tr data-commune="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    assert {int(code) for code, _ in rows[:5]} == {W.COMMUNE_CODE, *(n.code for n in NEIGHBOURS)}
    an_khe = next(row for code, row in rows if int(code) == 20224)
    assert "tiêu chí:" in an_khe
    assert all("Chưa có dữ liệu trong kỳ" in row for _, row in rows[5:])
