"""The XML form of Open311 GeoReport v2 answers: the same data as the JSON, with the
specification's element names (`<services><service>…`, `<service_requests><request>…`,
`<errors><error>…`, `<service_definition>…<attributes><attribute>…<values><value>…`).

Values: None is an empty element, booleans are `true`/`false`, numbers their decimal text.
Built with ElementTree, so every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

# A list under a key is a list of elements named after the singular.
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(element, key)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list | tuple):
            name = SINGULAR.get(key, "item")
            for entry in value:
                sub = ET.SubElement(child, name)
                if isinstance(entry, Mapping):
                    _fill(sub, entry)
                else:
                    sub.text = _text(entry)
        else:
            child.text = _text(value)


def render(root: str, item: str | None, data: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> bytes:
    """`<root><item>…</item>…</root>` for a list of objects, or `<root>…</root>` for one."""
    element = ET.Element(root)
    if isinstance(data, Mapping):
        _fill(element, data)
    else:
        for entry in data:
            _fill(ET.SubElement(element, item or "item"), entry)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
