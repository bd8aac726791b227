import datetime as dt

from django import template
from django.utils import timezone

from motcua.dossiers.models import Dossier

register = template.Library()


@register.inclusion_tag("dossiers/_due.html")
def due_badge(dossier: Dossier, now: dt.datetime | None = None) -> dict[str, object]:
    """The deadline with its colour: late (red), due within 1 day (amber), on track."""
    now = now or timezone.now()
    due = dossier.effective_due_at
    overdue = dossier.is_overdue(now)
    soon = bool(due and not overdue and not dossier.finished_at and due - now <= dt.timedelta(days=1))
    return {"due": due, "overdue": overdue, "soon": soon, "d": dossier}


@register.filter
def masked(value: str, keep: int = 3) -> str:
    from motcua.core.text import mask_digits

    return mask_digits(value, keep)


@register.filter
def action_label(action: str) -> str:
    from motcua.dossiers.workflow import transition_label

    return transition_label(action)
