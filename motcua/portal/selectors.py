"""What a resident may see of a dossier, without an account: with its code plus a second
factor (the last 4 digits of the phone on file, or the secret printed in the receipt's QR)."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection

from motcua.catalog.models import Procedure
from motcua.core.errors import NotFound
from motcua.core.text import clean_text
from motcua.dossiers.models import ControlEntry, Dossier, State
from motcua.geo.models import Commune

_NOT_FOUND = "Không tìm thấy hồ sơ với mã và thông tin xác thực đã nhập. Hãy kiểm tra lại."


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    action: str
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
_STATUS_SQL = f"""
SELECT d.code, d.secret, d.applicant_phone, d.state, d.applicant_name, d.due_at, d.extended_due_at,
       CAST(d.supplement_items AS TEXT), p.name, c.name, e.at, e.action, e.note
FROM {_D} d JOIN {_P} p ON p.id = d.procedure_id JOIN {_C} c ON c.code = d.commune_id
LEFT JOIN {_E} e ON e.dossier_id = d.id
WHERE d.code = %s ORDER BY e.at, e.id
"""  # noqa: S608 - table names are ours, the value is a parameter


def _aware(value: object) -> dt.datetime:
    """A timestamp as the driver gives it: aware from PostgreSQL, UTC text from SQLite."""
    if isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def public_status(*, code: str, phone_last4: str = "", secret: str = "") -> PublicStatus:
    """The same answer for a wrong code and a wrong second factor, so codes cannot be probed.
    Rate limiting is the caller's job (it knows the client). `code` is upper-cased and codes are
    made upper-case (numbering.py), so the unique index on code finds the row."""
    code = clean_text(code).strip().upper()
    phone_last4 = "".join(ch for ch in (phone_last4 or "") if ch.isdigit())
    secret = clean_text(secret).strip()
    if not code or not (len(phone_last4) == 4 or secret):
        raise NotFound(_NOT_FOUND)
    with connection.cursor() as cur:
        cur.execute(_STATUS_SQL, [code])
        rows = cur.fetchall()
    if not rows:
        raise NotFound(_NOT_FOUND)
    code, dsecret, phone, state, name, due, ext, items, pname, cname = rows[0][:10]
    if secret:
        ok = hmac.compare_digest(secret, dsecret)
    else:
        ok = len(phone) >= 4 and hmac.compare_digest(phone_last4, phone[-4:])
    if not ok:
        raise NotFound(_NOT_FOUND)
    return PublicStatus(
        code=code, state=state, applicant_name=name,
        due_at=_aware(due) if due else None, extended_due_at=_aware(ext) if ext else None,
        supplement_items=json.loads(items) if items else [],
        procedure=SimpleNamespace(name=pname), commune=SimpleNamespace(name=cname),
        steps=[Step(at=_aware(r[10]), action=r[11], note=r[12]) for r in rows if r[10] is not None],
    )  # fmt: skip


def draft_lookup(*, pk: int, secret: str) -> Dossier:
    """An online submission before it has a code: reachable only with its secret."""
    dossier = Dossier.objects.select_related("procedure", "commune").filter(pk=pk).first()
    if dossier is None or not hmac.compare_digest(secret or "", dossier.secret):
        raise NotFound(_NOT_FOUND)
    return dossier
