from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`values|get_item:name` for QueryDicts and dicts in templates."""
    if mapping is None:
        return ""
    getter = getattr(mapping, "get", None)
    return getter(key, "") if getter else ""


@register.filter
def split_choices(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


@register.filter
def so(value: Any) -> str:
    """`n|so`: an integer with its thousands grouped by dots, as Vietnamese writes them
    (230783 → "230.783"). Django's intcomma does not group for the "vi" locale."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)
