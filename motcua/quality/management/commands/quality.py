"""`motcua quality index <commune code> --from YYYY-MM-DD --to YYYY-MM-DD [--json]`: the Decision
766 index of a commune over a period. `--json` prints {"version", "commune", "from", "to",
"indicators": [{code, name, maximum, points, numerator, denominator, ratio}], "total"} — a
contract; not measurable indicators have points null («chưa đo được»)."""

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.geo.models import Commune
from motcua.quality.index766 import NOT_MEASURABLE, index_compute


def _date(raw: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Ngày {label} phải có dạng YYYY-MM-DD: {raw!r}.", returncode=2) from None


class Command(BaseCommand):
    help = "Chất lượng phục vụ: index — Bộ chỉ số 766 của một xã/phường trong một khoảng thời gian."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        idx = sub.add_parser("index", help="tính Bộ chỉ số 766 của một xã/phường")
        idx.add_argument("commune", help="mã xã/phường")
        idx.add_argument("--from", dest="start", required=True, help="từ ngày YYYY-MM-DD")
        idx.add_argument("--to", dest="end", required=True, help="đến ngày YYYY-MM-DD")
        idx.add_argument("--json", action="store_true", help="in JSON")
        tab = sub.add_parser(
            "tablet-token", help="tạo máy đánh giá tại một quầy và in mã kích hoạt (một lần)"
        )
        tab.add_argument("commune", help="mã xã/phường")
        tab.add_argument("--counter", required=True, help="số quầy")
        tab.add_argument("--name", default="", help="tên máy (mặc định: Máy đánh giá quầy N)")

    def handle(self, *args: object, **options: Any) -> None:
        if options["sub"] == "tablet-token":
            self._tablet_token(options)
            return
        start, end = _date(options["start"], "bắt đầu"), _date(options["end"], "kết thúc")
        if end < start:
            raise CommandError("Ngày kết thúc phải từ ngày bắt đầu trở đi.", returncode=2)
        raw = str(options["commune"]).strip()
        commune = Commune.objects.filter(code=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
        if commune is None:
            raise CommandError(f"Không có xã/phường mã {raw!r}.", returncode=2)
        result = index_compute(commune=commune, start=start, end=end)
        if options["json"]:
            payload = {
                "version": result.version,
                "commune": commune.code,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "indicators": [i.as_dict() for i in result.indicators],
                "total": round(result.total, 2),
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Bộ chỉ số 766 ({result.version}) — {commune.name}, {start:%d/%m/%Y}–{end:%d/%m/%Y}"
        )
        for i in result.indicators:
            if i.points is None:
                self.stdout.write(f"{i.code:5} {i.name} (tối đa {i.maximum}): {NOT_MEASURABLE}")
                continue
            ratio = "—" if i.ratio is None else f"{i.ratio * 100:.2f} %"
            self.stdout.write(
                f"{i.code:5} {i.name} (tối đa {i.maximum}): {i.points:.2f} điểm"
                f" — {i.numerator}/{i.denominator} = {ratio}"
            )
        self.stdout.write(f"Tổng: {result.total:.2f} điểm (trên {result.measurable_maximum} điểm đo được)")

    def _tablet_token(self, options: dict[str, Any]) -> None:
        """`motcua quality tablet-token <commune> --counter N [--name …]`: prints the token once
        (only its SHA-256 is stored); the tablet is activated at /danh-gia/may/kich-hoat/."""
        from motcua.core import clock
        from motcua.core.errors import DomainError
        from motcua.quality.ratings import tablet_create

        raw = str(options["commune"]).strip()
        commune = Commune.objects.filter(code=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
        if commune is None:
            raise CommandError(f"Không có xã/phường mã {raw!r}.", returncode=2)
        number = str(options["counter"]).strip()
        if not (number.isascii() and number.isdigit() and len(number) <= 5):
            raise CommandError(f"Số quầy phải là số nguyên dương: {number!r}.", returncode=2)
        try:
            tablet, token = tablet_create(
                commune=commune, counter_number=int(number), now=clock.now(), name=options["name"]
            )
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(
            f"Đã tạo «{tablet.name}» (số {tablet.pk}) tại quầy số {tablet.counter.number}, {commune.name}.\n"
            f"Mã kích hoạt (chỉ in một lần, nhập tại /danh-gia/may/kich-hoat/):\n{token}"
        )
