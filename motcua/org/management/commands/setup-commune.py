"""`motcua setup-commune <commune code> --admin <username>`: the first start of a commune.

The password comes from MOTCUA_ADMIN_PASSWORD or is asked twice on the terminal; Django's
password validators apply. On an empty database the official geography and the starter
catalogue are loaded first. Running it again updates the commune's profile.
"""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import User
from motcua.org.services import commune_setup

PASSWORD_ENV = "MOTCUA_ADMIN_PASSWORD"  # noqa: S105 - the name of the variable, not a password


class Command(BaseCommand):
    help = (
        "Khởi tạo một xã, phường: tài khoản quản trị đầu tiên và thông tin đơn vị hiển thị cho người dân, "
        f"in trên biểu mẫu. Mật khẩu lấy từ biến môi trường {PASSWORD_ENV} hoặc nhập trên màn hình."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "commune_code", type=int, help="Mã xã, phường (danh mục đơn vị hành chính), ví dụ 20209."
        )
        parser.add_argument("--admin", required=True, help="Tên đăng nhập của quản trị xã, phường.")
        parser.add_argument("--admin-name", default="", help="Họ và tên của quản trị.")
        parser.add_argument(
            "--installation-admin",
            action="store_true",
            help="Quản trị cả hệ thống (được sửa danh mục thủ tục dùng chung cho mọi xã, phường).",
        )
        parser.add_argument(
            "--agency-code",
            help=(
                "Mã cơ quan tiếp nhận (in trong mã hồ sơ), ví dụ H48.20209: chữ cái không dấu, chữ số, "
                "dấu chấm, gạch nối; lưu chữ hoa; không trùng với xã, phường khác. Chỉ đổi được bằng lệnh này."
            ),
        )
        parser.add_argument(
            "--unit-name", help="Tên đơn vị, ví dụ «Trung tâm Phục vụ hành chính công phường Thanh Khê»."
        )
        parser.add_argument("--address", help="Địa chỉ nơi tiếp nhận hồ sơ.")
        parser.add_argument("--opening-hours", help="Giờ làm việc.")
        parser.add_argument("--hotline", help="Số điện thoại đường dây nóng.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["admin"]
        existing = User.objects.filter(username=username).first()
        password = os.environ.get(PASSWORD_ENV, "")
        if not password and existing is None:
            password = self._ask_password()
        try:
            result = commune_setup(
                commune_code=options["commune_code"],
                username=username,
                password=password,
                now=clock.now(),
                full_name=options["admin_name"],
                installation_admin=options["installation_admin"],
                agency_code=options["agency_code"],
                unit_name=options["unit_name"],
                address=options["address"],
                opening_hours=options["opening_hours"],
                hotline=options["hotline"],
            )
        except DomainError as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc
        out = self.stdout
        if result.loaded_geography:
            out.write("Đã nạp danh mục tỉnh, xã, phường.")
        if result.loaded_catalogue:
            out.write("Đã nạp danh mục thủ tục ban đầu.")
        commune = result.commune
        profile = commune.profile
        out.write(f"{commune.name} (mã {commune.code}), mã cơ quan: {commune.agency_code or '(chưa có)'}")
        out.write(f"  Tên đơn vị: {profile.unit_name}")
        out.write(f"  Địa chỉ: {profile.address or '(chưa có)'}")
        out.write(f"  Giờ làm việc: {profile.opening_hours or '(chưa có)'}")
        out.write(f"  Đường dây nóng: {profile.hotline or '(chưa có)'}")
        kind = "quản trị hệ thống và " if result.admin.is_superuser else ""
        verb = "Đã tạo" if result.created_admin else "Đã cập nhật"
        out.write(f"{verb} tài khoản {kind}quản trị xã, phường: {result.admin.username}")

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                f"Chưa có mật khẩu: đặt biến môi trường {PASSWORD_ENV} hoặc chạy lệnh trên màn hình."
            )
        first = getpass.getpass("Mật khẩu của quản trị: ")
        second = getpass.getpass("Nhập lại mật khẩu: ")
        if first != second:
            raise CommandError("Hai lần nhập mật khẩu không giống nhau.")
        if not first:
            raise CommandError("Mật khẩu không được để trống.")
        return first
