"""`motcua catalog load-starter | import FILE [--by USERNAME] [--dry-run] | export FILE`:
thin wrappers on the services."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.diff import CatalogueDiff
from motcua.catalog.models import CatalogueImport
from motcua.catalog.services import (
    catalog_export_excel,
    catalog_import_apply,
    catalog_import_plan,
    catalog_import_preview,
    catalog_starter_preview,
)
from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import User


class Command(BaseCommand):
    help = "Danh mục thủ tục: nạp danh mục khởi tạo, nhập hoặc xuất Excel."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        starter = sub.add_parser(
            "load-starter", help="Nạp (hoặc đưa về) danh mục thủ tục khởi tạo (ghi vào lịch sử nhập)"
        )
        starter.add_argument(
            "--by", metavar="USERNAME", help="Quản trị viên hệ thống (superuser) chịu trách nhiệm lần nạp"
        )
        imp = sub.add_parser("import", help="Nhập danh mục từ tệp Excel .xlsx (ghi vào lịch sử nhập)")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--by", metavar="USERNAME", help="Quản trị viên hệ thống (superuser) chịu trách nhiệm lần nhập"
        )
        imp.add_argument("--dry-run", action="store_true", help="Chỉ in các thay đổi, không ghi gì")
        exp = sub.add_parser("export", help="Xuất danh mục ra tệp Excel .xlsx")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "load-starter":
                actor = self._actor(options.get("by"))
                pending, diff = catalog_starter_preview(actor=actor, now=clock.now())
                self._print_diff(diff)
                applied = catalog_import_apply(actor=actor, import_id=pending.pk, now=clock.now())
                self.stdout.write(f"Đã áp dụng: {applied.summary()} Lịch sử nhập: {applied.pk}")
            elif action == "import":
                self._import(options["file"], by=options.get("by"), dry_run=options.get("dry_run", False))
            else:
                out: Path = options["file"]
                out.write_bytes(catalog_export_excel())
                self.stdout.write(f"Đã xuất danh mục ra {out}")
        except DomainError as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc

    def _import(self, path: Path, *, by: str | None, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}")
        if dry_run:
            self._print_diff(catalog_import_plan(file=path).diff)
            self.stdout.write("Chạy thử (--dry-run): chưa ghi gì vào danh mục.")
            return
        actor = self._actor(by)
        source = CatalogueImport.Source.COMMAND_LINE
        pending, diff = catalog_import_preview(
            actor=actor, file=path, filename=path.name, source=source, now=clock.now()
        )
        self._print_diff(diff)
        applied = catalog_import_apply(actor=actor, import_id=pending.pk, now=clock.now())
        self.stdout.write(f"Đã áp dụng: {applied.summary()} Lịch sử nhập: {applied.pk}")

    def _actor(self, username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"Không có tài khoản '{username}'.")
        return actor

    def _print_diff(self, diff: CatalogueDiff) -> None:
        for entry in diff.added:
            self.stdout.write(f"+ {entry.code} {entry.name}")
        for entry in diff.changed:
            self.stdout.write(f"~ {entry.code} {entry.name}")
            for change in entry.changes:
                self.stdout.write(
                    f"    {change.field}: {change.before or '(trống)'} → {change.after or '(trống)'}"
                )
        self.stdout.write(
            f"{len(diff.added)} thêm mới, {len(diff.changed)} thay đổi, {len(diff.unchanged)} không đổi, "
            f"{len(diff.missing)} không có trong tệp (giữ nguyên)."
        )
