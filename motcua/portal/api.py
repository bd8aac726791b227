"""Public API: what a resident's app may ask without an account."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from motcua.core import clock
from motcua.core.ratelimit import client_key, hit
from motcua.dossiers.schemas import ErrorOut

from .selectors import PublicStatus, public_status, resident_lookup, resident_steps, valid_code

router = Router(tags=["Công khai"])


class LookupIn(Schema):
    # Checked by the selectors (so a bad value is a 422 in the API's one error shape, with a
    # Vietnamese message), not by the schema: exactly 4 ASCII digits, a code of at most 60
    # characters among A-Z 0-9 . - _.
    code: str = Field("", description="Mã hồ sơ, ví dụ H48.20209-260210-0001 (tối đa 60 ký tự)")
    phone_last4: str = Field("", description="4 chữ số cuối của số điện thoại đã đăng ký")
    secret: str = Field("", description="Mã bí mật in trong mã QR của giấy hẹn (thay cho 4 số cuối)")


class StepOut(Schema):
    at: dt.datetime
    step: str = Field(description="Mã bước xử lý (receive, request_supplement…)")
    label: str = Field(description="Tên bước như trang tra cứu của người dân hiển thị")
    note: str = Field(
        description="Lý do, giấy tờ cần bổ sung hoặc ngày hẹn mới (chỉ ở các bước có ghi chú cho dân)"
    )


class PublicStatusOut(Schema):
    code: str
    state: str
    state_label: str
    procedure_name: str
    due_at: dt.datetime | None
    steps: list[StepOut]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """ISO 8601 with the commune's offset (+07:00), not a bare UTC time."""
    return timezone.localtime(moment) if moment is not None else None


@router.get("/lookup", auth=None, response={200: PublicStatusOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
            summary="Tra cứu hồ sơ bằng mã và 4 số cuối điện thoại",
            description="Giới hạn số lần tra cứu theo địa chỉ; mã hồ sơ bị tạm khóa tra cứu bằng số điện "
                        "thoại sau nhiều lần nhập sai (429, code_locked). Tra cứu bằng mã bí mật QR không bị khóa.")  # fmt: skip
def lookup(request: HttpRequest, params: Query[LookupIn]) -> dict[str, object]:
    now = clock.now()
    d: PublicStatus
    if params.secret:
        valid_code(params.code)
        hit(purpose="qr", key=client_key(request), now=now)
        d = public_status(code=params.code, secret=params.secret)
    else:
        d = resident_lookup(
            code=params.code, phone_last4=params.phone_last4, client=client_key(request), now=now
        )
    return {
        "code": d.code,
        "state": d.state,
        "state_label": d.get_state_display(),
        "procedure_name": d.procedure.name,
        "due_at": _local(d.effective_due_at),
        "steps": [
            {"at": _local(s.at), "step": s.action, "label": s.label, "note": s.note}
            for s in resident_steps(d)
        ],
    }
