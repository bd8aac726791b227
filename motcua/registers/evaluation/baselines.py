"""Baselines the register merge is compared with.

(a) `spreadsheet_way`: what a data officer does in Excel. Two rows are one person when they have
the same citizen ID as typed (non-blank), or the same accent-free lower-case name and the same
birth-date string; the links are followed transitively (union-find), as sorting and marking
rows by hand would. No normalisation beyond folding the name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from motcua.core.text import fold


def read_rows(paths: Sequence[Path]) -> Iterator[dict[str, str]]:
    """The rows of register CSV files (UTF-8, with or without BOM) as dicts of raw strings."""
    for path in paths:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            yield from csv.DictReader(f)


def spreadsheet_way(rows: Iterable[Mapping[str, str | None]]) -> dict[str, str]:
    """record_id → person_id (the smallest record_id of the person's group)."""
    ids: list[str] = []
    parent: list[int] = []
    first: dict[tuple[str, str], int] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(i: int, key: tuple[str, str]) -> None:
        j = first.setdefault(key, i)
        if j != i:
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)

    for i, row in enumerate(rows):
        ids.append(str(row["record_id"]))
        parent.append(i)
        citizen_id = row.get("citizen_id") or ""
        if citizen_id.strip():
            link(i, ("id", citizen_id))
        name = fold(row.get("full_name"))
        birth = row.get("birth_date") or ""
        if name and birth.strip():
            link(i, ("name", f"{name}\x1f{birth}"))

    label: dict[int, str] = {}
    for i, rid in enumerate(ids):
        root = find(i)
        if root not in label or rid < label[root]:
            label[root] = rid
    return {rid: label[find(i)] for i, rid in enumerate(ids)}


def spreadsheet_way_files(paths: Sequence[Path]) -> dict[str, str]:
    return spreadsheet_way(read_rows(paths))
