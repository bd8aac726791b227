"""Template filters for the catalogue's numbers; the dossier screens load them too.

{% load catalog_tags %}
{{ procedure.fee_vnd|vnd }}      → "8.000 đồng" / "Miễn phí"
{{ procedure|time_text }}        → "20 ngày làm việc (30 ngày làm việc ở xã miền núi…)"
{{ procedure|fee_text }}         → the fee with its note
"""

from django import template

from motcua.catalog.formatting import format_vnd, procedure_fee, procedure_time
from motcua.catalog.models import Procedure

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    return format_vnd(amount)


@register.filter
def time_text(procedure: Procedure) -> str:
    return procedure_time(procedure)


@register.filter
def fee_text(procedure: Procedure) -> str:
    return procedure_fee(procedure)
