"""Dates as Vietnamese people write them: dd/mm/yyyy (ISO yyyy-mm-dd accepted from programs)."""

import datetime as dt
import re

_VN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: str | None) -> dt.date | None:
    """`"10/02/2026"` or `"2026-02-10"` → date; anything else (including 31/02) → None."""
    value = (value or "").strip()
    match = _VN.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
