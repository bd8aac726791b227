"""What a resident may see of a dossier, without an account: with its code plus a second
factor (the last 4 digits of the phone on file, or the secret printed in the receipt's QR)."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection

from motcua.catalog.models import Procedure
from motcua.core import ratelimit
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.dossiers.models import ControlEntry, Dossier, State
from motcua.dossiers.workflow import resident_step
from motcua.geo.models import Commune

_NOT_FOUND = "Không tìm thấy hồ sơ với mã và thông tin xác thực đã nhập. Hãy kiểm tra lại."


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    action: str
    note: str
    from_state: str = ""


@dataclass(frozen=True)
class ResidentStep:
    """A step as a resident reads it, the same on the status page and in the public API: the
    label its transition carries for residents, and its note only where the transition shows it
    (the reason, the missing papers, the new date; never internal notes)."""

    at: dt.datetime
    action: str
    label: str
    note: str


@dataclass(frozen=True)
class PublicStatus:
    """What the status page and the public API show of a dossier: read with one query,
    without the ORM (the page is the most requested one; see docs/performance.md)."""

    code: str
    state: str
    applicant_name: str
    due_at: dt.datetime | None
    extended_due_at: dt.datetime | None
    supplement_items: list[str]
    procedure: SimpleNamespace  # .name
    commune: SimpleNamespace  # .name
    steps: list[Step]

    @property
    def effective_due_at(self) -> dt.datetime | None:
        return self.extended_due_at or self.due_at

    def get_state_display(self) -> str:
        return str(State(self.state).label)


_D, _E = Dossier._meta.db_table, ControlEntry._meta.db_table
_P, _C = Procedure._meta.db_table, Commune._meta.db_table
# The dossier with its control sheet, one row per entry (NULL entry columns when it has none).
_ROWS_SQL = f"""
SELECT d.code AS dcode, d.secret AS dsecret, d.applicant_phone AS phone, d.state AS dstate,
       d.applicant_name AS aname, d.due_at AS due, d.extended_due_at AS ext,
       CAST(d.supplement_items AS TEXT) AS items, p.name AS pname, c.name AS cname,
       e.at AS eat, e.action AS eaction, e.note AS enote, e.id AS eid, e.from_state AS efrom
FROM {_D} d JOIN {_P} p ON p.id = d.procedure_id JOIN {_C} c ON c.code = d.commune_id
LEFT JOIN {_E} e ON e.dossier_id = d.id
WHERE d.code = %s
"""  # noqa: S608 - table names are ours, the value is a parameter
_STATUS_SQL = _ROWS_SQL + " ORDER BY eat, eid"
# The resident's lookup by code + phone digits in one round trip on PostgreSQL: count the client's
# attempt (a data-modifying CTE runs exactly once), read the code's lockout counter and the
# dossier. Columns: the client's count, the code's failures (or NULL), then _ROWS_SQL's.
# Params: ratelimit.upsert(...), lock key, now, code.
_LOOKUP_PG_SQL = f"""
WITH hit AS ({ratelimit.UPSERT_SQL})
SELECT hit.count, ({ratelimit.LOCK_SQL}), s.* FROM hit LEFT JOIN ({_ROWS_SQL}) s ON TRUE
ORDER BY s.eat, s.eid
"""  # noqa: S608
# SQLite has no data-modifying CTE: the count is its own statement, then this one.
# Params: lock key, now, code.
_LOOKUP_SQL = f"""
SELECT NULL, ({ratelimit.LOCK_SQL}), s.* FROM (SELECT 1) one LEFT JOIN ({_ROWS_SQL}) s ON 1 = 1
ORDER BY s.eat, s.eid
"""  # noqa: S608

_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,59}")
_PHONE4 = re.compile(r"[0-9]{4}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BAD_CODE = (
    "Mã hồ sơ không hợp lệ: chỉ gồm chữ cái không dấu, chữ số, dấu chấm và dấu gạch ngang (tối đa 60 ký tự)."
)
_BAD_PHONE = "Hãy nhập đúng 4 chữ số cuối của số điện thoại đã đăng ký (ví dụ 3456)."


def _aware(value: object) -> dt.datetime:
    """A timestamp as the driver gives it: aware from PostgreSQL; from SQLite a naive datetime
    (Django's converter) or text, both in UTC."""
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def valid_code(code: str | None) -> str:
    """The dossier code as typed (any case, spaces around): upper-cased, or ValidationFailed."""
    code = str(code or "").strip().upper()  # no cleaning: a control character is refused
    if not code:
        raise ValidationFailed("Hãy nhập mã hồ sơ (in trên giấy hẹn trả kết quả).", details=["code"])
    if not _CODE.fullmatch(code):
        raise ValidationFailed(_BAD_CODE, details=["code"])
    return code


def valid_phone_last4(phone_last4: str | None) -> str:
    """Exactly 4 ASCII digits (spaces around ignored), or ValidationFailed."""
    phone = str(phone_last4 or "").strip()
    if not _PHONE4.fullmatch(phone):
        raise ValidationFailed(_BAD_PHONE, details=["phone_last4"])
    return phone


def _status_from(rows: list[tuple[object, ...]]) -> PublicStatus:
    code, _, _, state, name, due, ext, items, pname, cname = rows[0][:10]
    return PublicStatus(
        code=str(code), state=str(state), applicant_name=str(name),
        due_at=_aware(due) if due else None, extended_due_at=_aware(ext) if ext else None,
        supplement_items=json.loads(str(items)) if items else [],
        procedure=SimpleNamespace(name=pname), commune=SimpleNamespace(name=cname),
        steps=[Step(at=_aware(r[10]), action=str(r[11]), note=str(r[12] or ""), from_state=str(r[14] or ""))
               for r in rows if r[10] is not None],
    )  # fmt: skip


def resident_lookup(*, code: str, phone_last4: str, client: str, now: dt.datetime) -> PublicStatus:
    """A resident's lookup by code + the last 4 digits of the phone on file, with its defences:
    the client's attempt is counted (MOTCUA_LOOKUP_RATE, RateLimited past it); a code locked after
    wrong digits from any address is refused even with the right ones (RateLimited, code
    "code_locked"); a wrong code or wrong digits give the same NotFound and count against the code
    typed, whether it exists or not, so the lock cannot tell codes apart either. Invalid input is
    ValidationFailed. One round trip on PostgreSQL when the digits are right, two on SQLite."""
    code, phone_last4 = valid_code(code), valid_phone_last4(phone_last4)
    rate = ratelimit.parse_rate()
    now_s = ratelimit.seconds(now)
    counter = ratelimit.upsert(ratelimit.key_for("lookup", client), now_s=now_s, window=rate.window)
    lock: list[str | int] = [ratelimit.code_lock_key(code), now_s]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(_LOOKUP_PG_SQL, [*counter, *lock, code])
            rows = cur.fetchall()
            count = int(rows[0][0])
        else:
            cur.execute(ratelimit.UPSERT_SQL, counter)
            count = int(cur.fetchone()[0])
            cur.execute(_LOOKUP_SQL, [*lock, code])
            rows = cur.fetchall()
    ratelimit.tick(now_s=now_s)
    if ratelimit.is_locked(rows[0][1]):
        raise ratelimit.code_locked_error()
    ratelimit.check(count, rate, purpose="lookup")
    data = [r[2:] for r in rows]
    phone = str(data[0][2] or "")
    if data[0][0] is None or not (len(phone) >= 4 and hmac.compare_digest(phone_last4, phone[-4:])):
        ratelimit.count_failure(code=code, now=now)
        raise NotFound(_NOT_FOUND)
    return _status_from(data)


def public_status(*, code: str, secret: str) -> PublicStatus:
    """The status by code + the QR secret (96 bits): no lockout applies, so the link on the
    receipt works while the code is locked for phone digits. Rate limiting is the caller's job.
    The same answer for a wrong code, a wrong secret and a malformed one."""
    code = clean_text(code).strip().upper()
    secret = clean_text(secret).strip()
    if not _CODE.fullmatch(code) or not _SECRET.fullmatch(secret):
        raise NotFound(_NOT_FOUND)
    with connection.cursor() as cur:
        cur.execute(_STATUS_SQL, [code])
        rows = cur.fetchall()
    if not rows or not hmac.compare_digest(secret, str(rows[0][1])):
        raise NotFound(_NOT_FOUND)
    return _status_from(rows)


def resident_steps(dossier: Dossier | PublicStatus) -> list[ResidentStep]:
    """The dossier's steps as residents read them (workflow.TRANSITIONS' resident labels)."""
    if isinstance(dossier, PublicStatus):
        rows = [(s.at, s.action, s.from_state, s.note) for s in dossier.steps]
    else:
        rows = list(
            dossier.control_entries.order_by("at", "id").values_list("at", "action", "from_state", "note")
        )
    steps = []
    for at, action, from_state, note in rows:
        label, show_note = resident_step(action, from_state or None)
        steps.append(ResidentStep(at=at, action=action, label=label, note=note if show_note else ""))
    return steps


def draft_lookup(*, pk: int, secret: str) -> Dossier:
    """An online submission before it has a code: reachable only with its secret."""
    secret = clean_text(secret).strip()
    if not _SECRET.fullmatch(secret):
        raise NotFound(_NOT_FOUND)
    dossier = Dossier.objects.select_related("procedure", "commune").filter(pk=pk).first()
    if dossier is None or not hmac.compare_digest(secret, dossier.secret):
        raise NotFound(_NOT_FOUND)
    return dossier
