"""`motcua demo [--reset]`: load the living demo ward and print how to log in."""

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.demo import ward
from motcua.demo.feedback_day import feedback_summary
from motcua.demo.selectors import demo_foreign_data, demo_logins, demo_queue_today, demo_summary
from motcua.demo.services import demo_load


class Command(BaseCommand):
    help = "Nạp phường mẫu (Phường Thanh Khê, Đà Nẵng) với cán bộ và khoảng 300 hồ sơ; chạy lại không thay đổi gì."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Xóa hồ sơ của phường mẫu và tạo lại (giữ cán bộ, danh mục)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Nạp cả khi không ở chế độ phát triển (DEBUG) hoặc cơ sở dữ liệu đã có dữ liệu thật của xã, phường.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["force"]:
            self._refuse_outside_a_demo()
        now = clock.now()
        started = time.perf_counter()
        try:
            loaded = demo_load(now=now, reset=options["reset"])
        except DomainError as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc
        out = self.stdout
        if loaded:
            seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
            out.write(f"Đã nạp phường mẫu trong {seconds} giây.")
        else:
            out.write("Phường mẫu đã có sẵn: không thay đổi gì (dùng --reset để tạo lại hồ sơ mẫu).")
        self._summary(now)
        self._logins()

    def _refuse_outside_a_demo(self) -> None:
        """The demo publishes its password: never on a production server or beside real data."""
        if not settings.DEBUG:
            raise CommandError(
                "Không nạp phường mẫu: máy chủ không ở chế độ phát triển (DEBUG). Phường mẫu dùng một mật khẩu "
                "công khai; chỉ nạp trên máy thử (tools/run), hoặc thêm --force nếu thật sự muốn."
            )
        foreign = demo_foreign_data()
        if foreign:
            raise CommandError(
                "Không nạp phường mẫu: cơ sở dữ liệu đã có dữ liệu không do phường mẫu tạo ("
                + "; ".join(foreign)
                + "). Phường mẫu dùng một mật khẩu công khai; thêm --force nếu thật sự muốn."
            )

    def _summary(self, now: dt.datetime) -> None:
        s = demo_summary(now=now)
        out = self.stdout
        out.write(
            f"\nPhường Thanh Khê, Thành phố Đà Nẵng (mã {ward.COMMUNE_CODE}) — DỮ LIỆU MẪU, người và hồ sơ đều là hư cấu."
        )
        out.write(f"Hồ sơ: {s.total}")
        for state, label, count in s.by_state:
            out.write(f"  {label:<34} {state:<21} {count:>4}")
        out.write(
            f"  Quá hạn: {s.overdue} · Đã xin lỗi, hẹn lại (Mẫu 04): {s.extended} · "
            f"Có tình nguyện viên hỗ trợ: {s.assisted} · Nộp trực tuyến: {s.online}"
        )
        tickets, waiting = demo_queue_today(now=now)
        out.write(
            f"Hàng đợi hôm nay (quầy 1–10 có cán bộ motcua1–motcua10): {tickets} số, {waiting} người đang chờ"
        )
        code = ward.COMMUNE_CODE
        out.write(
            f"  Lấy số: /lay-so/{code}/ · Bảng gọi số (TV): /lay-so/{code}/bang/ · "
            f"Quầy làm việc: /lay-so/quay/ · Thống kê: /lay-so/thong-ke/ · Đặt lịch: /lay-so/{code}/dat-lich/"
        )
        items, open_items, overdue, coming = feedback_summary(now=now)
        out.write(
            f"Phản ánh, kiến nghị (90 ngày qua): {items}, đang mở {open_items}, quá hạn {overdue}; "
            f"{coming} buổi đối thoại sắp tới ở 20 tổ dân phố"
        )
        out.write(
            "  Phản ánh: /phan-anh/ · Đối thoại: /phan-anh/doi-thoai/ · Tổng hợp (chutich): /phan-anh/tong-hop/ · "
            f"Chuyển tỉnh (sonoivu): /phan-anh/tong-hop/tinh/ · Góp ý của người dân: /gop-y/{code}/ · "
            f"Danh sách công khai: /gop-y/{code}/danh-sach/ · Open311: /open311/v2/discovery.json"
        )

    def _logins(self) -> None:
        out = self.stdout
        logins = demo_logins()
        url = settings.MOTCUA_PUBLIC_URL.rstrip("/") + "/"
        login_url = url.rstrip("/") + reverse("core:login")
        out.write(f"\nĐăng nhập tại {login_url} — mật khẩu mẫu cho mọi tài khoản: {ward.PASSWORD}")
        out.write(f"  {'tên đăng nhập':<13} {'vai trò':<20} {'họ và tên':<22} màn hình")
        for x in logins:
            if x.featured:
                out.write(f"  {x.username:<13} {x.role:<20} {x.full_name:<22} {x.screen} ({x.path})")
        others: dict[str, list[str]] = {}
        for x in logins:
            if not x.featured:
                others.setdefault(x.role, []).append(x.username)
        out.write("  Các tài khoản khác, cùng mật khẩu:")
        for role, usernames in others.items():
            out.write(f"    {role}: {', '.join(usernames)}")
        out.write(f"\nMở {url}")
