"""`motcua quality index <commune code> --from YYYY-MM-DD --to YYYY-MM-DD [--json]`: the Decision
766 index of a commune over a period. `--json` prints {"version", "commune", "from", "to",
"indicators": [{code, name, maximum, points, numerator, denominator, ratio}], "total"} — a
contract; not measurable indicators have points null («chưa đo được»).
`--department <id>` (a department of the commune) and `--officer <username>` (a staff member of
the commune) narrow it to their dossiers and feedback items; the JSON then also has
"department" (the id) / "officer" (the username) — only when given. An unknown department or
officer, or one of another commune: a Vietnamese error, exit 2.

`motcua quality officers <commune code> --from YYYY-MM-DD --to YYYY-MM-DD [--json]`: each active
staff member's numbers (quality.officers, where each number is defined). `--json` prints
{"commune", "from", "to", "now", "officers": [{id, username, full_name, role, department,
received, handled, on_time, late, on_time_ratio, finished, avg_processing_hours,
avg_processing_days, backlog, overdue, control_steps, tickets_served, avg_service_minutes,
ratings, satisfied, satisfied_ratio}]} — a contract; ratios are 0–1 (4 decimals), averages
rounded to 2 decimals, null when there is nothing to average; backlog and overdue are at "now"."""

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


def _narrow(commune: Commune, department: str | None, officer: str | None) -> tuple[int | None, Any]:
    """`--department <id>` and `--officer <username>`, each of this commune, else exit 2."""
    from motcua.org.models import Department, Role, User

    department_id = None
    if department is not None:
        raw = department.strip()
        found = None
        if raw.isascii() and raw.isdigit() and len(raw) <= 9:
            found = Department.objects.filter(pk=int(raw), commune=commune).first()
        if found is None:
            raise CommandError(f"{commune.name} không có phòng số {raw!r}.", returncode=2)
        department_id = found.pk
    user = None
    if officer is not None:
        raw = officer.strip()
        user = (
            User.objects.filter(username__iexact=raw, commune=commune).exclude(role=Role.RESIDENT).first()
            if raw and "\x00" not in raw and len(raw) <= 150
            else None
        )
        if user is None:
            raise CommandError(f"{commune.name} không có cán bộ có tên đăng nhập {raw!r}.", returncode=2)
    return department_id, user


class Command(BaseCommand):
    help = "Chất lượng phục vụ: index — Bộ chỉ số 766 của một xã/phường trong một khoảng thời gian."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        idx = sub.add_parser("index", help="tính Bộ chỉ số 766 của một xã/phường")
        idx.add_argument("commune", help="mã xã/phường")
        idx.add_argument("--from", dest="start", required=True, help="từ ngày YYYY-MM-DD")
        idx.add_argument("--to", dest="end", required=True, help="đến ngày YYYY-MM-DD")
        idx.add_argument("--json", action="store_true", help="in JSON")
        idx.add_argument("--department", default=None, help="chỉ tính cho một phòng (số phòng)")
        idx.add_argument("--officer", default=None, help="chỉ tính cho một cán bộ (tên đăng nhập)")
        off = sub.add_parser("officers", help="số liệu của từng cán bộ của một xã/phường")
        off.add_argument("commune", help="mã xã/phường")
        off.add_argument("--from", dest="start", required=True, help="từ ngày YYYY-MM-DD")
        off.add_argument("--to", dest="end", required=True, help="đến ngày YYYY-MM-DD")
        off.add_argument("--json", action="store_true", help="in JSON")
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
        commune = (
            Commune.objects.filter(code=int(raw)).first()
            if raw.isascii() and raw.isdigit() and len(raw) < 10
            else None
        )
        if commune is None:
            raise CommandError(f"Không có xã/phường mã {raw!r}.", returncode=2)
        if options["sub"] == "officers":
            self._officers(commune, start, end, as_json=options["json"])
            return
        department_id, officer = _narrow(commune, options.get("department"), options.get("officer"))
        result = index_compute(
            commune=commune, start=start, end=end, department_id=department_id,
            officer_id=officer.pk if officer else None,
        )  # fmt: skip
        if options["json"]:
            payload: dict[str, Any] = {
                "version": result.version,
                "commune": commune.code,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "indicators": [i.as_dict() for i in result.indicators],
                "total": round(result.total, 2),
            }
            if department_id is not None:
                payload["department"] = department_id
            if officer is not None:
                payload["officer"] = officer.username
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Bộ chỉ số 766 ({result.version}) — {commune.name}, {start:%d/%m/%Y}–{end:%d/%m/%Y}"
            + (f" — phòng số {department_id}" if department_id is not None else "")
            + (f" — cán bộ {officer.username}" if officer is not None else "")
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
        commune = (
            Commune.objects.filter(code=int(raw)).first()
            if raw.isascii() and raw.isdigit() and len(raw) < 10
            else None
        )
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

    def _officers(self, commune: Commune, start: dt.date, end: dt.date, *, as_json: bool) -> None:
        """`motcua quality officers`: every active staff member's numbers (see the docstring)."""
        from motcua.core import clock
        from motcua.quality.officers import commune_staff, officers_numbers

        now = clock.now()
        rows = officers_numbers(
            commune=commune, officers=list(commune_staff(commune)), start=start, end=end, now=now
        )
        if as_json:
            payload = {
                "commune": commune.code,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "now": now.isoformat(),
                "officers": [r.as_dict() for r in rows],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Kết quả của cán bộ — {commune.name}, {start:%d/%m/%Y}–{end:%d/%m/%Y}")
        for r in rows:
            d = r.as_dict()
            on_time = "—" if r.on_time_percent is None else f"{r.on_time_percent:.1f} %"
            self.stdout.write(
                f"{d['username']}: tiếp nhận {d['received']}, được giao {d['handled']}, đúng hạn {on_time},"
                f" đang giải quyết {d['backlog']} (quá hạn {d['overdue']}), phục vụ {d['tickets_served']} lượt,"
                f" {d['ratings']} lượt đánh giá"
            )
