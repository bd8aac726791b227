"""The queue's API (issue 8): residents take a number anonymously; counter officers call with
their bearer token. The paths and fields are the issue's contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from motcua.core import clock
from motcua.core.errors import NotAllowed
from motcua.core.ratelimit import client_key, hit
from motcua.dossiers.schemas import ErrorOut
from motcua.org.models import User

from .holders import address_of
from .kiosks import KioskUnauthorized, kiosk_by_token, kiosk_touch
from .models import KioskDevice, Ticket, TicketSource
from .selectors import (
    center_by_code,
    counter_get_for,
    estimated_wait_s,
    ticket_get_for,
    ticket_position,
    ticket_public,
)
from .services import (
    counter_call_next,
    local_day,
    ticket_finish,
    ticket_hold,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_resume,
    ticket_start,
    ticket_transfer,
    transfer_targets,
)

router = Router(tags=["Xếp hàng"])

_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TicketIn(Schema):
    # Checked by the services (a bad value is a 422 in the API's one error shape, in Vietnamese).
    center: str = Field(description="Mã xã, phường của trung tâm, ví dụ 20209")
    group: str = Field(description="Chữ cái của nhóm dịch vụ, ví dụ B")
    priority: bool = Field(
        False, description="Người cao tuổi, người khuyết tật, phụ nữ mang thai, có con nhỏ"
    )


class TicketOut(Schema):
    id: int
    number: str = Field(description="Số thứ tự, ví dụ B012")
    state: str
    state_label: str
    group: str
    priority: bool
    position: int | None = Field(description="Vị trí trong hàng của nhóm (1: số được gọi tiếp theo)")
    estimated_wait_s: int | None = Field(description="Thời gian chờ ước tính, giây")
    counter: int | None = Field(description="Số quầy đã gọi số này")
    issued_at: dt.datetime
    called_at: dt.datetime | None
    status_url: str = Field(description="Đường dẫn theo dõi số (có mã bí mật)")


class StaffTicketOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    group: str
    priority: bool
    recalls: int
    counter: int | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    served_at: dt.datetime | None
    finished_at: dt.datetime | None


class TicketStatusQuery(Schema):
    secret: str = Field("", description="Mã bí mật trong đường dẫn theo dõi số")


class TicketRef(Schema):
    ticket: int = Field(description="Mã (id) của số thứ tự")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _status_url(t: Ticket) -> str:
    # The phone's ticket page (the QR printed on a kiosk ticket opens it too).
    return f"{settings.MOTCUA_PUBLIC_URL}{reverse('queueing:ticket', args=[t.pk, t.secret])}"


def _kiosk(request: HttpRequest) -> KioskDevice | None:
    """The kiosk of `Authorization: Bearer <kiosk token>`, None without the header. Any other
    bearer token (unknown, revoked, or an officer's API token) is a 401: a program that sends a
    token means to be a kiosk, and silently taking a number as anonymous would hide its mistake."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        raise KioskUnauthorized("Chỉ nhận «Authorization: Bearer <mã máy lấy số>».")
    return kiosk_by_token(raw.strip())


def _public(t: Ticket) -> dict[str, Any]:
    now = clock.now()
    # A ticket of an earlier day has no place in today's line (its page says «hết hiệu lực»).
    expired = t.day < local_day(now)
    position = None if expired else ticket_position(t)
    return {
        "id": t.pk, "number": t.number, "state": t.state, "state_label": t.get_state_display(),
        "group": t.queue_group.letter, "priority": t.priority, "position": position,
        # The estimator that won on the simulated day (selectors.estimated_wait_s).
        "estimated_wait_s": None if expired else estimated_wait_s(t, position=position, now=now),
        "counter": t.counter.number if t.counter_id and t.counter else None,
        "issued_at": _local(t.issued_at), "called_at": _local(t.called_at), "status_url": _status_url(t),
    }  # fmt: skip


def _staff(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.pk, "number": t.number, "state": t.state, "state_label": t.get_state_display(),
        "group": t.queue_group.letter, "priority": t.priority, "recalls": t.recalls,
        "counter": t.counter.number if t.counter_id and t.counter else None,
        "issued_at": _local(t.issued_at), "called_at": _local(t.called_at),
        "served_at": _local(t.served_at), "finished_at": _local(t.finished_at),
    }  # fmt: skip


@router.post("/tickets", auth=None, response={201: TicketOut, **_ERRORS, 401: ErrorOut, 429: ErrorOut},
             summary="Lấy số thứ tự",
             description="Không cần tài khoản; giới hạn số lần lấy số theo địa chỉ (MOTCUA_TICKET_RATE). "
                         "Máy lấy số gửi «Authorization: Bearer <mã máy>» (motcua queue kiosk-token): không giới "
                         "hạn; mã sai hoặc đã thu hồi: 401; máy của trung tâm khác: 403. Mã API của cán bộ "
                         "không dùng ở đây (401).")  # fmt: skip
def issue_ticket(request: HttpRequest, payload: TicketIn) -> Status:
    now = clock.now()
    kiosk = _kiosk(request)
    if kiosk is None:
        hit(purpose="ticket", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
    commune = center_by_code(payload.center)
    if kiosk is None:
        ticket = ticket_issue(
            commune=commune, group_letter=payload.group, priority=payload.priority, now=now,
            source=TicketSource.API, address=address_of(request),
        )  # fmt: skip
    else:
        if kiosk.commune_id != commune.pk:  # before the group: another center's letters are not its business
            raise NotAllowed("Máy lấy số này thuộc trung tâm khác.", code="kiosk_other_center")
        ticket = ticket_issue(
            commune=commune, group_letter=payload.group, priority=payload.priority, now=now,
            source=TicketSource.KIOSK, kiosk=kiosk,
        )  # fmt: skip
        kiosk_touch(kiosk, now=now)
    return Status(201, _public(ticket))


@router.get("/tickets/{int:ticket_id}", auth=None, response={200: TicketOut, 404: ErrorOut, 422: ErrorOut},
            summary="Trạng thái một số thứ tự",
            description="Cần mã bí mật của đường dẫn theo dõi số (mã số dễ đoán).")  # fmt: skip
def ticket_status(request: HttpRequest, ticket_id: int, params: Query[TicketStatusQuery]) -> dict[str, Any]:
    return _public(ticket_public(pk=ticket_id, secret=params.secret))


def _step(
    request: HttpRequest, counter_id: int, payload: TicketRef, step: Callable[..., Ticket]
) -> dict[str, Any]:
    """One officer's step on a ticket at a counter: both fetched through the acting user's
    commune (another commune's is a 404), the step checked and recorded by the service."""
    user = _user(request)
    counter = counter_get_for(user=user, pk=counter_id)
    ticket = ticket_get_for(user=user, pk=payload.ticket)
    return _staff(step(actor=user, counter=counter, ticket=ticket, now=clock.now()))


@router.post("/counters/{int:counter_id}/call-next", response={200: StaffTicketOut, 204: None, **_ERRORS},
             summary="Gọi số tiếp theo", description="204 khi không còn ai chờ.")  # fmt: skip
def call_next(request: HttpRequest, counter_id: int) -> Any:
    user = _user(request)
    counter = counter_get_for(user=user, pk=counter_id)
    ticket = counter_call_next(actor=user, counter=counter, now=clock.now())
    if ticket is None:
        return Status(204, None)
    return _staff(ticket)


@router.post(
    "/counters/{int:counter_id}/recall", response={200: StaffTicketOut, **_ERRORS}, summary="Gọi lại"
)
def recall(request: HttpRequest, counter_id: int, payload: TicketRef) -> dict[str, Any]:
    return _step(request, counter_id, payload, ticket_recall)


@router.post(
    "/counters/{int:counter_id}/no-show", response={200: StaffTicketOut, **_ERRORS}, summary="Vắng mặt"
)
def no_show(request: HttpRequest, counter_id: int, payload: TicketRef) -> dict[str, Any]:
    return _step(request, counter_id, payload, ticket_no_show)


@router.post(
    "/counters/{int:counter_id}/finish", response={200: StaffTicketOut, **_ERRORS}, summary="Hoàn thành"
)
def finish(request: HttpRequest, counter_id: int, payload: TicketRef) -> dict[str, Any]:
    return _step(request, counter_id, payload, ticket_finish)


class HoldIn(TicketRef):
    reason: str = Field("", description="Lý do tạm hoãn (không bắt buộc, tối đa 200 ký tự)")


class TransferIn(TicketRef):
    group: str | None = Field(None, description="Chữ cái của nhóm dịch vụ chuyển đến, ví dụ C")
    counter: int | None = Field(None, description="Số của quầy chuyển đến (chỉ quầy đó gọi số này)")


@router.post(
    "/counters/{int:counter_id}/start", response={200: StaffTicketOut, **_ERRORS}, summary="Bắt đầu phục vụ"
)
def start(request: HttpRequest, counter_id: int, payload: TicketRef) -> dict[str, Any]:
    return _step(request, counter_id, payload, ticket_start)


@router.post("/counters/{int:counter_id}/hold", response={200: StaffTicketOut, **_ERRORS}, summary="Tạm hoãn",
             description="Số vẫn thuộc quầy này; quầy gọi số tiếp theo và tiếp tục số này sau.")  # fmt: skip
def hold(request: HttpRequest, counter_id: int, payload: HoldIn) -> dict[str, Any]:
    def step(**kw: Any) -> Ticket:
        return ticket_hold(**kw, reason=payload.reason)

    return _step(request, counter_id, payload, step)


@router.post(
    "/counters/{int:counter_id}/resume", response={200: StaffTicketOut, **_ERRORS}, summary="Tiếp tục phục vụ"
)
def resume(request: HttpRequest, counter_id: int, payload: TicketRef) -> dict[str, Any]:
    return _step(request, counter_id, payload, ticket_resume)


@router.post("/counters/{int:counter_id}/transfer", response={200: StaffTicketOut, **_ERRORS}, summary="Chuyển số",
             description="Sang nhóm dịch vụ khác (group) và/hoặc tới một quầy (counter: số quầy).")  # fmt: skip
def transfer(request: HttpRequest, counter_id: int, payload: TransferIn) -> dict[str, Any]:
    def step(**kw: Any) -> Ticket:
        group, to_counter = transfer_targets(
            commune_id=kw["counter"].commune_id, group_letter=payload.group, counter_number=payload.counter
        )
        return ticket_transfer(**kw, to_group=group, to_counter=to_counter)

    return _step(request, counter_id, payload, step)


# Appointments (issue 8 §7) in their own module, under the same prefix; imported last, since it
# uses this module's ticket schema.
from .api_appointments import router as _appointments_router  # noqa: E402

router.add_router("", _appointments_router)
