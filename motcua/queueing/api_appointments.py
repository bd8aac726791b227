"""The appointments' API (issue 8 §7): a group's free slots, booking, check-in. Anonymous,
limited per client like taking a number (the check-in gives a ticket: the same counter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from motcua.core import clock
from motcua.core.ratelimit import client_key, hit
from motcua.dossiers.schemas import ErrorOut

from .api import TicketOut, _public
from .appointment_views import appointment_url
from .appointments import appointment_book, appointment_check_in, appointment_public, group_slots
from .holders import address_of
from .selectors import center_by_code
from .services import active_group

router = Router(tags=["Xếp hàng"])

_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class AppointmentIn(Schema):
    center: str = Field(description="Mã xã, phường của trung tâm, ví dụ 20209")
    group: str = Field(description="Chữ cái của nhóm dịch vụ, ví dụ B")
    starts_at: dt.datetime = Field(
        description="Giờ bắt đầu của khung giờ (giờ Việt Nam nếu không ghi múi giờ)"
    )
    name: str = Field(description="Họ và tên (tối đa 100 ký tự)")
    phone: str = Field("", description="Số điện thoại di động (không bắt buộc), ví dụ 0905123456")


class AppointmentOut(Schema):
    id: int
    status_url: str = Field(description="Trang lịch hẹn (có mã bí mật): mã QR, nhận số khi đến, huỷ")
    starts_at: dt.datetime
    ends_at: dt.datetime


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    free: int = Field(description="Số chỗ còn trống")


class SlotsOut(Schema):
    group: str
    day: dt.date
    slots: list[SlotOut]


class SlotsQuery(Schema):
    group: str = Field(description="Chữ cái của nhóm dịch vụ, ví dụ B")
    day: dt.date = Field(description="Ngày, ví dụ 2026-12-01")


class SecretQuery(Schema):
    secret: str = Field("", description="Mã bí mật trong đường dẫn của lịch hẹn")


@router.post("/appointments", auth=None, response={201: AppointmentOut, **_ERRORS}, summary="Đặt lịch hẹn",
             description="Không cần tài khoản; giới hạn theo địa chỉ (MOTCUA_TICKET_RATE). "
                         "409 khi khung giờ đã hết chỗ.")  # fmt: skip
def book(request: HttpRequest, payload: AppointmentIn) -> Status:
    now = clock.now()
    hit(purpose="appointment", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
    a = appointment_book(
        commune=center_by_code(payload.center), group_letter=payload.group, starts_at=payload.starts_at,
        name=payload.name, phone=payload.phone, now=now, address=address_of(request),
    )  # fmt: skip
    return Status(
        201,
        {
            "id": a.pk, "status_url": appointment_url(a),
            "starts_at": timezone.localtime(a.starts_at), "ends_at": timezone.localtime(a.ends_at),
        },
    )  # fmt: skip


@router.get("/centers/{code}/slots", auth=None, response={200: SlotsOut, **_ERRORS},
            summary="Khung giờ đặt lịch còn trống",
            description="Các khung giờ của một ngày làm việc trong thời hạn đặt lịch; ngày nghỉ: danh sách rỗng.")  # fmt: skip
def slots(request: HttpRequest, code: str, params: Query[SlotsQuery]) -> dict[str, Any]:
    group = active_group(commune=center_by_code(code), letter=params.group)
    return {
        "group": group.letter,
        "day": params.day,
        "slots": [
            {"starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity, "free": s.free}
            for s in group_slots(group=group, day=params.day, now=clock.now())
        ],
    }


@router.post("/appointments/{int:appointment_id}/check-in", auth=None, response={201: TicketOut, **_ERRORS},
             summary="Nhận số theo lịch hẹn",
             description="Trong khung giờ hẹn (từ 15 phút trước giờ hẹn đến hết khung giờ); "
                         "nhận lại lần nữa trả về cùng số. 409: chưa đến giờ, quá giờ hoặc đã huỷ.")  # fmt: skip
def check_in(request: HttpRequest, appointment_id: int, params: Query[SecretQuery]) -> Status:
    now = clock.now()
    a = appointment_public(pk=appointment_id, secret=params.secret)
    hit(purpose="ticket", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
    return Status(201, _public(appointment_check_in(appointment=a, now=now)))
