"""`motcua staffing advise <commune code> --day YYYY-MM-DD [--json]` (issue 11 §4)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from motcua.core import clock
from motcua.staffing.tests.test_advisor_views import MONDAY, NOW, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_advise_prints_forecast_recommendation_and_simulations_as_json(world: dict) -> None:  # noqa: F811
    out = StringIO()
    with clock.pinned(NOW):
        call_command(
            "staffing",
            "advise",
            str(world["commune"].code),
            "--day",
            MONDAY.isoformat(),
            "--json",
            stdout=out,
        )
    data = json.loads(out.getvalue())
    assert data["day"] == "2026-03-16" and data["runs"] == 20
    b = next(g for g in data["groups"] if g["letter"] == "B")
    assert b["forecast_total"] == pytest.approx(12 * 4 * 1.0)  # 12 a half hour, 08:00–10:00, every week
    half = next(h for h in b["half_hours"] if h["at"] == "08:00")
    # nobody left in this history: no patience, no Erlang A, the plan follows Erlang C
    assert b["patience_minutes"] is None and half["erlang_a"] is None
    assert half["advised"] == half["erlang_c"] >= 2 and half["counters_now"] == 3
    assert set(half["simulated"]) == {"current", "advised", "plan"}
    assert set(b["simulated_day"]["advised"]) == {"within_target", "mean_wait_minutes", "left_share"}
    assert data["plan"] and all(p["group"] == "B" for p in data["plan"])


def test_advise_as_text(world: dict) -> None:  # noqa: F811
    out = StringIO()
    with clock.pinned(NOW):
        call_command(
            "staffing", "advise", str(world["commune"].code), "--day", MONDAY.isoformat(), stdout=out
        )
    text = out.getvalue()
    assert "Ngày 16/03/2026" in text and "Lịch đề xuất:" in text and "Quầy 1 (nhóm B)" in text


@pytest.mark.parametrize(
    ("code", "day", "message"),
    [
        ("２０２０９", "2026-03-16", "Mã xã/phường phải là số"),
        ("99999", "2026-03-16", "Không có xã/phường mã 99999"),
        ("20209", "16/03/2026", "Ngày phải có dạng YYYY-MM-DD"),
        ("20209", "2026-03-16\x00", "Ngày phải có dạng YYYY-MM-DD"),
    ],
)
@pytest.mark.usefixtures("world")
def test_advise_refuses_bad_input_with_a_vietnamese_message(code: str, day: str, message: str) -> None:
    with pytest.raises(CommandError, match=message) as info:
        call_command("staffing", "advise", code, "--day", day)
    assert info.value.returncode == 2


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (
            "0001-01-01",
            "xem lại trong một năm qua: ngày từ 12/03/2025 đến 27/03/2026",
        ),  # was an OverflowError
        ("9999-12-31", "Chỉ dự báo được đến 14 ngày tới"),  # was accepted
        ("2026-03-28", "Chỉ dự báo được đến 14 ngày tới"),  # 15 days after Friday 13/03
        ("2025-03-11", "Chỉ dự báo được đến 14 ngày tới"),  # more than 366 days back
        ("20260316", "Ngày phải có dạng YYYY-MM-DD"),  # fromisoformat would take it
        ("2026-W12-1", "Ngày phải có dạng YYYY-MM-DD"),
    ],
)
@pytest.mark.usefixtures("world")
def test_advise_takes_only_the_web_pages_window_of_days(day: str, message: str) -> None:
    with clock.pinned(NOW), pytest.raises(CommandError, match=message) as info:
        call_command("staffing", "advise", "20209", "--day", day)
    assert info.value.returncode == 2
