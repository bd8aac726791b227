"""`motcua feedback tick [--enqueue]`: the feedback deadline timer.

`tick` flags the open items near their deadline and escalates the overdue ones (each once) and
prints what it did — for a cron job or a systemd timer. `tick --enqueue` instead starts the hourly
task in the task worker (`motcua db_worker`), which then re-enqueues itself."""

from django.core.management.base import BaseCommand, CommandParser

from motcua.core import clock
from motcua.feedback.deadlines import feedback_tick
from motcua.feedback.tasks import enqueue_tick


class Command(BaseCommand):
    help = (
        "Phản ánh: tick — đánh dấu sắp đến hạn, báo quá hạn (--enqueue: chạy mỗi giờ trong tiến trình nền)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        tick = sub.add_parser("tick", help="đánh dấu phản ánh sắp đến hạn, báo trưởng phòng phản ánh quá hạn")
        tick.add_argument("--enqueue", action="store_true", help="xếp việc chạy mỗi giờ cho tiến trình nền")

    def handle(self, *args: object, **options: object) -> None:
        if options.get("enqueue"):
            queued = enqueue_tick()
            self.stdout.write(
                "Đã xếp việc kiểm tra hạn phản ánh mỗi giờ."
                if queued
                else "Việc kiểm tra hạn đã được xếp từ trước."
            )
            return
        report = feedback_tick(clock.now())
        self.stdout.write(
            f"Sắp đến hạn: {len(report.flagged)}; quá hạn, đã báo: {len(report.escalated)} ({report.notices} tin)."
        )
        for code in report.escalated:
            self.stdout.write(f"  quá hạn: {code}")
