"""What a resident may see of a dossier, without an account: with its code plus a second
factor (the last 4 digits of the phone on file, or the secret printed in the receipt's QR)."""

from __future__ import annotations

import hmac

from motcua.core.errors import NotFound
from motcua.core.text import clean_text
from motcua.dossiers.models import Dossier

_NOT_FOUND = "Không tìm thấy hồ sơ với mã và thông tin xác thực đã nhập. Hãy kiểm tra lại."


def public_lookup(*, code: str, phone_last4: str = "", secret: str = "") -> Dossier:
    """The same answer for a wrong code and a wrong second factor, so codes cannot be probed.
    Rate limiting is the caller's job (it knows the client)."""
    code = clean_text(code).strip().upper()
    phone_last4 = "".join(ch for ch in (phone_last4 or "") if ch.isdigit())
    secret = clean_text(secret).strip()
    if not code or not (len(phone_last4) == 4 or secret):
        raise NotFound(_NOT_FOUND)
    dossier = (
        Dossier.objects.select_related("procedure", "commune", "department").filter(code__iexact=code).first()
    )
    if dossier is None:
        raise NotFound(_NOT_FOUND)
    ok = False
    if secret:
        ok = hmac.compare_digest(secret, dossier.secret)
    elif len(dossier.applicant_phone) >= 4:
        ok = hmac.compare_digest(phone_last4, dossier.applicant_phone[-4:])
    if not ok:
        raise NotFound(_NOT_FOUND)
    return dossier


def draft_lookup(*, pk: int, secret: str) -> Dossier:
    """An online submission before it has a code: reachable only with its secret."""
    dossier = Dossier.objects.select_related("procedure", "commune").filter(pk=pk).first()
    if dossier is None or not hmac.compare_digest(secret or "", dossier.secret):
        raise NotFound(_NOT_FOUND)
    return dossier
