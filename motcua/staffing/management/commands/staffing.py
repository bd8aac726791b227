"""`motcua staffing <subcommand>`: the staffing tools of issue 11 from the command line.

`motcua staffing erlang --arrivals-per-hour A --service-minutes S --target-wait-seconds T
--service-level L [--patience-minutes P] [--json]`: the fewest counters that call a share L of
ALL residents who come within T seconds (Erlang C; Erlang A when a patience is given, where a
resident who leaves before being called counts as not called — so the level plus the abandon rate
never exceeds 100 %; see motcua/staffing/erlang.py). `--json` prints
{"agents", "service_level", "average_wait_seconds"} and, with a patience, "abandon_rate" — a
contract: service_level (that share called within T) and abandon_rate are shares 0–1 (4 decimals), average_wait_seconds the
mean wait over all residents in seconds (2 decimals). L is a share (0.8) or a percent (80): a value
above 1 is read as a percent. Decimals take a point or a comma ("0,8"). A bad value: a Vietnamese
message, exit 2.
"""

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.staffing.erlang import (
    MAX_AGENTS,
    MAX_ARRIVALS_PER_HOUR,
    MAX_PATIENCE_MINUTES,
    MAX_SERVICE_MINUTES,
    MAX_TARGET_WAIT_SECONDS,
    agents_needed,
)

_MAX_INPUT = 32


def _number(raw: object, label: str, *, low: float, high: float, low_open: bool = False) -> float:
    """A number typed by a person: a point or a comma for decimals; else a message, exit 2."""
    text = str(raw).strip()
    if "\x00" in text or len(text) > _MAX_INPUT:
        raise CommandError(f"{label} phải là một số (tối đa {_MAX_INPUT} ký tự).", returncode=2)
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise CommandError(f"{label} phải là một số, không phải {text!r}.", returncode=2) from None
    if not math.isfinite(value):
        raise CommandError(f"{label} phải là một số hữu hạn, không phải {text!r}.", returncode=2)
    if value < low or (low_open and value == low) or value > high:
        bound = "lớn hơn" if low_open else "từ"
        raise CommandError(f"{label} phải {bound} {low:g} đến {high:g}, không phải {text!r}.", returncode=2)
    return value


def _level(raw: object) -> float:
    """0.8 or 80 → 0.8: above 1 it is a percent."""
    value = _number(raw, "Tỉ lệ phục vụ (--service-level)", low=0.0, high=100.0, low_open=True)
    share = value / 100.0 if value > 1.0 else value
    if share >= 1.0:
        raise CommandError(
            "Tỉ lệ phục vụ (--service-level) phải nhỏ hơn 100 %: không số quầy nào gọi được mọi người "
            "trong một thời gian chờ.",
            returncode=2,
        )
    return share


def _decimal(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace(".", ",")


class Command(BaseCommand):
    help = "Nhân sự: erlang — số quầy tối thiểu đạt tỉ lệ phục vụ (Erlang C, Erlang A khi có người bỏ về)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        erl = sub.add_parser("erlang", help="số quầy tối thiểu đạt tỉ lệ phục vụ (Erlang C / Erlang A)")
        erl.add_argument("--arrivals-per-hour", required=True, help="số người đến mỗi giờ")
        erl.add_argument("--service-minutes", required=True, help="thời gian phục vụ trung bình (phút)")
        erl.add_argument("--target-wait-seconds", required=True, help="thời gian chờ mục tiêu (giây)")
        erl.add_argument(
            "--service-level",
            required=True,
            help=(
                "tỉ lệ tối thiểu người dân được gọi trong thời gian chờ mục tiêu, tính trên mọi người "
                "đến (người bỏ về trước khi được gọi tính là không được gọi): 0.8 hoặc 80"
            ),
        )
        erl.add_argument(
            "--patience-minutes", default=None, help="thời gian kiên nhẫn trung bình (phút): dùng Erlang A"
        )
        erl.add_argument("--json", action="store_true", help="in JSON")
        tick = sub.add_parser("tick", help="phát hiện cảnh báo mất cân đối (một xã, phường hoặc --all)")
        tick.add_argument("commune", nargs="?", default=None, help="mã xã, phường")
        tick.add_argument("--all", action="store_true", help="mọi xã, phường có hàng chờ")
        adv = sub.add_parser("advise", help="dự báo, số quầy đề xuất và mô phỏng một ngày (S4)")
        adv.add_argument("commune", help="mã xã, phường")
        adv.add_argument("--day", required=True, help="ngày YYYY-MM-DD")
        adv.add_argument("--json", action="store_true", help="in JSON")

    def handle(self, *args: object, **options: Any) -> None:
        if options["sub"] == "erlang":
            self._erlang(options)
        elif options["sub"] == "tick":
            self._tick(options)
        elif options["sub"] == "advise":
            self._advise(options)

    def _advise(self, options: dict[str, Any]) -> None:
        """S4's advisor (motcua.staffing.advisor.advise_cli)."""
        from motcua.core import clock
        from motcua.core.errors import NotFound, ValidationFailed
        from motcua.staffing.advisor import advise_cli

        try:
            out = advise_cli(
                code=options["commune"], day=options["day"], as_json=options["json"], now=clock.now()
            )
        except (ValidationFailed, NotFound) as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(out)

    def _tick(self, options: dict[str, Any]) -> None:
        """S5's live alerts (motcua.staffing.alerts.alerts_tick)."""
        from motcua.core import clock
        from motcua.core.errors import ValidationFailed
        from motcua.staffing.alerts import alerts_tick

        if bool(options["all"]) == (options["commune"] is not None):
            raise CommandError("Cho một mã xã, phường hoặc --all.", returncode=2)
        try:
            done = alerts_tick(code=options["commune"], now=clock.now())
        except ValidationFailed as exc:
            raise CommandError(exc.message, returncode=2) from None
        for commune, open_alerts in done:
            self.stdout.write(f"{commune.code} {commune.name}: {open_alerts} cảnh báo đang mở")

    def _erlang(self, options: dict[str, Any]) -> None:
        arrivals = _number(
            options["arrivals_per_hour"],
            "Số người đến mỗi giờ (--arrivals-per-hour)",
            low=0.0,
            high=MAX_ARRIVALS_PER_HOUR,
        )
        service = _number(
            options["service_minutes"], "Thời gian phục vụ (--service-minutes)",
            low=0.0, high=MAX_SERVICE_MINUTES, low_open=True,
        )  # fmt: skip
        target = _number(
            options["target_wait_seconds"], "Thời gian chờ mục tiêu (--target-wait-seconds)",
            low=0.0, high=MAX_TARGET_WAIT_SECONDS,
        )  # fmt: skip
        level = _level(options["service_level"])
        patience = None
        if options["patience_minutes"] is not None:
            patience = _number(
                options["patience_minutes"], "Thời gian kiên nhẫn (--patience-minutes)",
                low=0.0, high=MAX_PATIENCE_MINUTES, low_open=True,
            )  # fmt: skip
        try:
            staffing = agents_needed(
                arrivals_per_hour=arrivals, service_minutes=service, target_wait_seconds=target,
                service_level=level, patience_minutes=patience, max_agents=MAX_AGENTS // 10,
            )  # fmt: skip
        except ValueError:
            raise CommandError(
                f"Không đạt được tỉ lệ phục vụ {_decimal(level * 100, 1)} % với tối đa {MAX_AGENTS // 10} quầy.",
                returncode=2,
            ) from None
        payload: dict[str, Any] = {
            "agents": staffing.agents,
            "service_level": round(staffing.service_level, 4),
            "average_wait_seconds": round(staffing.average_wait_seconds, 2),
        }
        if staffing.abandon_rate is not None:
            payload["abandon_rate"] = round(staffing.abandon_rate, 4)
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        model = "Erlang A" if patience is not None else "Erlang C"
        line = (
            f"Cần {staffing.agents} quầy ({model}): {_decimal(staffing.service_level * 100, 1)} % người dân "
            f"được gọi trong vòng {_decimal(target, 0)} giây, thời gian chờ trung bình "
            f"{_decimal(staffing.average_wait_seconds, 1)} giây"
        )
        if staffing.abandon_rate is not None:
            line += (
                f", {_decimal(staffing.abandon_rate * 100, 1)} % bỏ về trước khi được gọi "
                "(tính là không được gọi)"
            )
        self.stdout.write(line + ".")
