"""An Open311 error: answered as the specification's array `[{code, description}]` (XML
`<errors><error>…`), with the HTTP status as the code."""

from __future__ import annotations


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
