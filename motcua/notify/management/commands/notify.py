"""`motcua notify send-due [--limit N]`: send the due notices now (what the task does), e.g. from
cron when no task worker runs; prints what happened."""

from django.core.management.base import BaseCommand, CommandParser

from motcua.core import clock
from motcua.notify.sending import send_due


class Command(BaseCommand):
    help = "Thông báo: send-due (gửi các thông báo đến hạn)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        due = sub.add_parser("send-due", help="gửi các thông báo đến hạn")
        due.add_argument("--limit", type=int, default=500)

    def handle(self, *args: object, **options: object) -> None:
        report = send_due(now=clock.now(), limit=int(options["limit"]))  # type: ignore[call-overload]
        self.stdout.write(
            f"Đã gửi {report.sent}, thử lại sau {report.retried}, chuyển SMS {report.fell_back}, "
            f"không gửi được {report.failed}, bỏ qua (từ chối) {report.skipped}."
        )
