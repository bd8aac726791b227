"""`motcua queue kiosk-token <commune code> [--name NAME]`, `motcua queue kiosk-revoke <id>`,
`motcua queue kiosks <commune code>`: the kiosks (touch screens at the door) of a center."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.queueing.kiosks import kiosk_create, kiosk_revoke, kiosks_of
from motcua.queueing.selectors import center_by_code


def _when(moment: object) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"  # type: ignore[arg-type]


class Command(BaseCommand):
    help = "Máy lấy số của trung tâm: kiosk-token (cấp mã), kiosk-revoke (thu hồi), kiosks (danh sách)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        token = sub.add_parser("kiosk-token", help="cấp mã cho một máy lấy số (mã chỉ in ra một lần)")
        token.add_argument("code", help="mã xã, phường của trung tâm, ví dụ 20209")
        token.add_argument("--name", default="", help='tên máy, ví dụ "Máy lấy số cửa chính"')
        revoke = sub.add_parser("kiosk-revoke", help="thu hồi mã của một máy lấy số")
        revoke.add_argument("id", type=int)
        listing = sub.add_parser("kiosks", help="danh sách máy lấy số của trung tâm")
        listing.add_argument("code")

    def handle(self, *args: object, **options: object) -> None:
        now = clock.now()
        try:
            if options["sub"] == "kiosk-token":
                commune = center_by_code(str(options["code"]))
                device, raw = kiosk_create(commune=commune, name=str(options["name"]), now=now)
                self.stderr.write(
                    f"Đã cấp mã cho máy #{device.pk} «{device.name}» của {commune.name}. "
                    "Mã chỉ hiện một lần: dán vào trang /lay-so/may/ của máy, hoặc dùng làm "
                    "«Authorization: Bearer …» khi gọi POST /api/queue/tickets."
                )
                self.stdout.write(raw)
            elif options["sub"] == "kiosk-revoke":
                device = kiosk_revoke(pk=int(options["id"]), now=now)  # type: ignore[call-overload]
                self.stdout.write(
                    f"Đã thu hồi mã của máy #{device.pk} «{device.name}» ({_when(device.revoked_at)})."
                )
            else:
                commune = center_by_code(str(options["code"]))
                devices = kiosks_of(commune=commune)
                if not devices:
                    self.stdout.write(f"{commune.name} chưa có máy lấy số nào.")
                for d in devices:
                    state = f"đã thu hồi {_when(d.revoked_at)}" if d.revoked_at else "đang dùng"
                    self.stdout.write(
                        f"#{d.pk}\t{d.name}\tcấp {_when(d.created_at)}\tdùng lần cuối {_when(d.last_used_at)}\t{state}"
                    )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
