import datetime as dt
import re
from collections.abc import Iterable

from django import template

from motcua.catalog.models import FormField
from motcua.core.text import mask_digits
from motcua.dossiers.models import Dossier

register = template.Library()


@register.inclusion_tag("dossiers/_due.html")
def due_badge(dossier: Dossier, now: dt.datetime) -> dict[str, object]:
    """The deadline with its colour at `now` (the view's clock.now()): late (red), due within
    1 day (amber), on track."""
    due = dossier.effective_due_at
    overdue = dossier.is_overdue(now)
    soon = bool(due and not overdue and not dossier.finished_at and due - now <= dt.timedelta(days=1))
    return {"due": due, "overdue": overdue, "soon": soon, "d": dossier}


@register.filter
def masked(value: str | None) -> str:
    """A phone or CCCD as lists, logs and the printed book show it (core.text.mask_digits)."""
    return mask_digits(value)


# A personal number typed into a free-text declaration field: CMND (9), phone (10-11), CCCD (12).
_PERSONAL_NUMBER = re.compile(r"(?<!\d)\d{9,12}(?!\d)")


def mask_declaration_value(value: object, kind: str) -> str:
    text = "" if value is None else str(value)
    if kind == FormField.Kind.CITIZEN_ID:
        return mask_digits(text)
    return _PERSONAL_NUMBER.sub(lambda m: mask_digits(m.group()), text)


@register.simple_tag
def declaration_rows(
    dossier: Dossier, fields: Iterable[FormField], reveal: bool = False
) -> list[tuple[str, str]]:
    """The declaration as (label, value) lines, in the procedure's field order. Personal
    numbers are masked like the applicant's unless `reveal` (staff handling the dossier)."""
    data = dossier.form_data if isinstance(dossier.form_data, dict) else {}
    rows = []
    for f in fields:
        if f.key not in data:
            continue
        value = data[f.key]
        rows.append((f.label, str(value) if reveal else mask_declaration_value(value, f.kind)))
    return rows


@register.filter
def action_label(action: str) -> str:
    from motcua.dossiers.workflow import transition_label

    return transition_label(action)
