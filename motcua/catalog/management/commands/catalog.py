"""`motcua catalog load-starter | import FILE | export FILE`: thin wrappers on the services."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.services import catalog_export_excel, catalog_import_excel, catalog_load_starter
from motcua.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Danh mục thủ tục: nạp danh mục khởi tạo, nhập hoặc xuất Excel."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load-starter", help="Nạp (hoặc cập nhật) danh mục thủ tục khởi tạo")
        imp = sub.add_parser("import", help="Nhập danh mục từ tệp Excel .xlsx")
        imp.add_argument("file", type=Path)
        exp = sub.add_parser("export", help="Xuất danh mục ra tệp Excel .xlsx")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "load-starter":
                self.stdout.write(catalog_load_starter().summary())
            elif action == "import":
                path: Path = options["file"]
                if not path.is_file():
                    raise CommandError(f"Không tìm thấy tệp {path}")
                self.stdout.write(catalog_import_excel(file=path).summary())
            else:
                out: Path = options["file"]
                out.write_bytes(catalog_export_excel())
                self.stdout.write(f"Đã xuất danh mục ra {out}")
        except ValidationFailed as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc
