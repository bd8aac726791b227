"""`motcua quality index … --department/--officer` and `motcua quality officers` (issue 10 §5)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from motcua.core import clock
from motcua.org.models import Department, DepartmentKind
from motcua.testing import make_commune, make_staff

from .test_officers import NOW, office  # noqa: F401  (the hand-worked fixture)

pytestmark = pytest.mark.django_db
PERIOD = ["--from", "2026-03-01", "--to", "2026-03-31"]
OLD_KEYS = {"version", "commune", "from", "to", "indicators", "total"}


def run(*args: str) -> str:
    out = StringIO()
    with clock.pinned(NOW):
        call_command("quality", *args, stdout=out)
    return out.getvalue()


def td1(payload: dict) -> dict:
    return next(i for i in payload["indicators"] if i["code"] == "TD1")


def test_index_for_an_officer_and_a_department(office):  # noqa: F811
    ward, _, _, _ = office
    whole = json.loads(run("index", str(ward.code), *PERIOD, "--json"))
    assert set(whole) == OLD_KEYS  # no new key unless asked
    # The commune: P, Q, S on time; R, U late: 3/5.
    assert (td1(whole)["numerator"], td1(whole)["denominator"]) == (3, 5)
    mine = json.loads(run("index", str(ward.code), *PERIOD, "--json", "--officer", "CV_KINHTE"))
    assert set(mine) == OLD_KEYS | {"officer"} and mine["officer"] == "cv_kinhte"
    assert (td1(mine)["numerator"], td1(mine)["denominator"], td1(mine)["points"]) == (3, 4, 15.0)
    econ = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    dept = json.loads(run("index", str(ward.code), *PERIOD, "--json", "--department", str(econ.pk)))
    assert set(dept) == OLD_KEYS | {"department"} and dept["department"] == econ.pk
    assert (td1(dept)["numerator"], td1(dept)["denominator"]) == (3, 5)
    office_dept = Department.objects.get(commune=ward, kind=DepartmentKind.OFFICE)
    both = json.loads(
        run(
            "index",
            str(ward.code),
            *PERIOD,
            "--json",
            "--department",
            str(office_dept.pk),
            "--officer",
            "cv_kinhte",
        )
    )
    assert set(both) == OLD_KEYS | {"department", "officer"} and td1(both)["denominator"] == 0
    text = run("index", str(ward.code), *PERIOD, "--officer", "cv_kinhte")
    assert "cán bộ cv_kinhte" in text and "15.00 điểm" in text and "3/4" in text


def test_unknown_or_foreign_department_or_officer_exit_2(office):  # noqa: F811
    ward, _, _, _ = office
    elsewhere = make_commune(code=20212, name="Phường An Khê", agency="H48.20212")
    make_staff(elsewhere, prefix="ak_")
    foreign_dept = Department.objects.filter(commune=elsewhere).first()
    assert foreign_dept is not None
    for option, value, words in (
        ("--department", str(foreign_dept.pk), "không có phòng"),
        ("--department", "999999", "không có phòng"),
        ("--department", "abc", "không có phòng"),
        ("--officer", "ak_cv_kinhte", "không có cán bộ"),
        ("--officer", "khongco", "không có cán bộ"),
        ("--officer", "a\x00b", "không có cán bộ"),
    ):
        with pytest.raises(CommandError) as exc:
            run("index", str(ward.code), *PERIOD, option, value)
        assert exc.value.returncode == 2 and words in str(exc.value), (option, value)


def test_officers_json_contract(office):  # noqa: F811
    ward, _, _, _ = office
    payload = json.loads(run("officers", str(ward.code), *PERIOD, "--json"))
    assert set(payload) == {"commune", "from", "to", "now", "officers"}
    assert (payload["commune"], payload["from"], payload["to"]) == (ward.code, "2026-03-01", "2026-03-31")
    by = {o["username"]: o for o in payload["officers"]}
    spec = by["cv_kinhte"]
    assert set(spec) == {
        "id", "username", "full_name", "role", "department", "received", "handled", "on_time", "late",
        "on_time_ratio", "finished", "avg_processing_hours", "avg_processing_days", "backlog", "overdue",
        "control_steps", "tickets_served", "avg_service_minutes", "ratings", "satisfied", "satisfied_ratio",
    }  # fmt: skip
    assert (spec["handled"], spec["on_time"], spec["late"], spec["on_time_ratio"]) == (4, 3, 1, 0.75)
    assert (spec["finished"], spec["avg_processing_hours"], spec["avg_processing_days"]) == (2, 17.25, 2.3)
    assert (spec["backlog"], spec["overdue"], spec["ratings"], spec["satisfied_ratio"]) == (2, 1, 2, 0.5)
    assert spec["department"] == "Phòng Kinh tế, Hạ tầng và Đô thị"
    desk = by["motcua"]
    assert (desk["received"], desk["tickets_served"], desk["avg_service_minutes"]) == (5, 2, 8.0)
    assert desk["on_time_ratio"] is None and desk["avg_processing_hours"] is None
    assert "ak_motcua" not in by
    text = run("officers", str(ward.code), *PERIOD)
    assert "cv_kinhte: tiếp nhận 0, được giao 4, đúng hạn 75.0 %" in text


def test_officers_bad_input_exit_2(office):  # noqa: F811
    ward, _, _, _ = office
    for args in (["99999999999", *PERIOD], [str(ward.code), "--from", "2026-13-01", "--to", "2026-03-31"],
                 [str(ward.code), "--from", "2026-03-31", "--to", "2026-03-01"]):  # fmt: skip
        with pytest.raises(CommandError) as exc:
            run("officers", *args, "--json")
        assert exc.value.returncode == 2
