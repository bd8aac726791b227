"""On PostgreSQL: two administrators creating the same thing at the same moment both pass the
check-then-insert; the database refuses the second, who gets a clear Conflict (409), not a 500.

A barrier inside `save` makes the race certain: both requests have passed their check before
either inserts."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from motcua.core.errors import Conflict
from motcua.org.models import Department, DepartmentKind, Role, User
from motcua.org.services import ImportRow, StaffInput, department_create, staff_create, staff_import
from motcua.testing import make_commune, make_user

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _race(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs in threads at once; each result is the job's value or the exception it raised."""

    def run(job: Callable[[], object]) -> object:
        try:
            return job()
        except Exception as exc:  # the test looks at what each side got
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _meet_before_insert(monkeypatch: pytest.MonkeyPatch, model: Any, parties: int) -> None:
    barrier = threading.Barrier(parties)
    original = model.save

    def save(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.pk is None:
            barrier.wait(timeout=30)
        original(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save)


@pytest.fixture
def admins(transactional_db):
    ward = make_commune()
    return make_user(ward, Role.ADMIN, "quantri"), make_user(ward, Role.ADMIN, "quantri2")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_creating_one_username_in_two_cases(admins, monkeypatch):
    first, second = admins
    _meet_before_insert(monkeypatch, User, 2)
    results = _race(
        [
            lambda: staff_create(
                actor=first, data=StaffInput("Lan", "Trần Thị Lan", Role.COUNTER_OFFICER), now=NOW
            ),
            lambda: staff_import(
                actor=second,
                rows=[ImportRow(2, "lan", "Nguyễn Thị Lan", "Cán bộ một cửa", "", "", "", "")],
                now=NOW,
            ),
        ]
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1, results
    assert "đã có người dùng" in conflicts[0].message and conflicts[0].status == 409
    assert User.objects.filter(username__iexact="lan").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_opening_the_same_kind_of_department(admins, monkeypatch):
    first, second = admins
    Department.objects.filter(commune_id=first.commune_id, kind=DepartmentKind.CULTURE_SOCIAL).delete()
    _meet_before_insert(monkeypatch, Department, 2)
    results = _race(
        [
            partial(
                department_create,
                actor=admin,
                kind=DepartmentKind.CULTURE_SOCIAL,
                name="Phòng Văn hóa - Xã hội",
                now=NOW,
            )
            for admin in (first, second)
        ]
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1, results
    assert "đang hoạt động" in conflicts[0].message and conflicts[0].status == 409
    assert (
        Department.objects.filter(
            commune_id=first.commune_id, kind=DepartmentKind.CULTURE_SOCIAL, closed_at__isnull=True
        ).count()
        == 1
    )
