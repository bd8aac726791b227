"""Vietnamese text helpers used by every search box.

Residents and officers type without diacritics ("nguyen van a", "chung thuc"), in any case,
sometimes in decomposed Unicode. Everything searchable is stored with a folded copy and the
query is folded the same way, so the comparison is a plain substring test in the database.
"""

import re
import unicodedata

from unidecode import unidecode

# C0 controls except tab and newline, DEL, and C1 controls: never meaningful in a name or a
# reason, and PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional controls (LRM/RLM, LRE…RLO, LRI…PDI), the byte-order mark and the noncharacters
# U+FFFE/U+FFFF: invisible, they make "gnp.exe" read as "exe.png" on a public page, and XML 1.0
# refuses the last two. Vietnamese text never needs them.
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")


def clean_text(text: str | None) -> str:
    """NFC-normalised text without control, bidirectional-control or BOM characters (input from
    forms, API, files)."""
    if not text:
        return ""
    return _INVISIBLE.sub("", _CONTROL.sub("", unicodedata.normalize("NFC", str(text))))


def fold(text: str | None) -> str:
    """Lower-case ASCII form of a Vietnamese string: "Đăng ký khai sinh" → "dang ky khai sinh".

    unidecode maps đ/Đ to d (NFD + ASCII-ignore would delete it) and handles NFC and NFD
    input alike; whitespace runs collapse to one space.
    """
    if not text:
        return ""
    return " ".join(_CONTROL.sub("", unidecode(clean_text(text))).lower().split())


MASK_KEEP = 2


def mask_digits(value: str | None, keep: int = MASK_KEEP) -> str:
    """Mask a personal number (phone, CCCD) for lists, logs and printed registers: at most
    the last 2 digits stay, 048095001234 → **********34. The one rule, used everywhere."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def form_text(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    """A one-line form value: NFC, runs of white space as one space; a control character
    (a NUL…) or bidirectional control is refused, not silently dropped (the person meant
    something else), as is an over-long value. Raises ValidationFailed with a Vietnamese message
    naming the field (`label`, lower case)."""
    from motcua.core.errors import ValidationFailed

    raw = "" if value is None else str(value)
    spaced = raw.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    if _CONTROL.search(spaced) or _INVISIBLE.search(spaced):
        raise ValidationFailed(f"{label.capitalize()} có ký tự không hợp lệ.", code="bad_text")
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if required and not text:
        raise ValidationFailed(f"Chưa nhập {label}.", code="required")
    if len(text) > max_length:
        raise ValidationFailed(f"{label.capitalize()} dài quá {max_length} ký tự.", code="too_long")
    return text


def form_int(value: object, *, label: str, low: int, high: int) -> int:
    """A whole number typed in a form, within [low, high]; else a Vietnamese ValidationFailed."""
    from motcua.core.errors import ValidationFailed

    raw = ("" if value is None else str(value)).strip()
    if not raw:
        raise ValidationFailed(f"Chưa nhập {label}.", code="required")
    if len(raw) > 6 or not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(
            f"{label.capitalize()} phải là số nguyên từ {low} đến {high}.", code="out_of_range"
        )
    return int(raw)
