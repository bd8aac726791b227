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
