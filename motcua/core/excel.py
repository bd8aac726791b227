"""Writing Excel cells that stay text: no formula ever reaches a workbook we hand out.

Uploaded registers and catalogue rows are typed by people we do not control. A name written
``=HYPERLINK("http://…"&B2)`` or ``+cmd|' /C calc'!A0`` becomes a live formula when it is
written to a workbook the normal way (openpyxl turns every string starting with ``=`` into a
formula). Every export therefore writes its cells through this module:

- ``safe_text(value)`` turns a value into what a cell may hold: numbers stay numbers (sums and
  sorting still work), ``None`` becomes ``""``, dates become ``dd/mm/yyyy`` (``HH:MM`` added for a
  date-time), everything else becomes text — NFC, without the control characters XML refuses,
  cut to Excel's 32,767 characters.
- ``text_cell(ws, value, font=..., fill=...)`` is one cell for ``ws`` (a ``WriteOnlyCell`` in a
  write-only sheet) whose text is stored as text (``data_type "s"``, an inline string), never as a
  formula; a value starting with ``=``, ``+``, ``-``, ``@``, tab or CR also gets Excel's
  "quote prefix" so that editing the cell in Excel keeps it text.
- ``append_text_row(ws, values)`` appends a row of such cells, to a write-only or a normal sheet.
  ``values`` may mix plain values and cells made by ``text_cell``.

Reading the workbook back with openpyxl gives ``data_type == "s"`` and the literal text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, TypeAlias

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

# The characters an Excel cell (XML 1.0) cannot hold; tab, LF and CR are allowed.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What spreadsheet programs read as the start of a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32767  # Excel refuses to open a workbook with a longer cell

Number: TypeAlias = int | float | decimal.Decimal


def safe_text(value: Any) -> str | Number:
    """The value as a cell may hold it: a number, or text (never a formula once written by
    ``text_cell``/``append_text_row``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int):
        return value
    if isinstance(value, float | decimal.Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            return str(value)
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = _ILLEGAL.sub("", unicodedata.normalize("NFC", str(value)))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def text_cell(
    ws: Any,
    value: Any,
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
    alignment: Alignment | None = None,
) -> Cell:
    """One cell for ``ws`` holding ``safe_text(value)``; text is stored as text, never a formula.

    In a normal (not write-only) sheet the cell is placed by ``append_text_row``."""
    safe = safe_text(value)
    cell: Cell = WriteOnlyCell(ws, value=None) if _write_only(ws) else Cell(ws)
    _set(cell, safe)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def append_text_row(ws: Any, values: Iterable[Any]) -> None:
    """Append one row to ``ws`` (write-only or normal): every value through ``safe_text``, every
    text stored as text. Cells made by ``text_cell`` keep their style."""
    if _write_only(ws):
        ws.append([_as_cell(ws, v) for v in values])
        return
    row = ws._current_row + 1
    for column, value in enumerate(values, start=1):
        target = ws.cell(row=row, column=column)
        if isinstance(value, Cell):
            _set(target, value._value if value.data_type == "s" else safe_text(value._value))
            if value.has_style:
                target._style = value._style.__copy__()
        else:
            _set(target, safe_text(value))
    ws._current_row = row


def _as_cell(ws: Any, value: Any) -> Cell:
    if isinstance(value, Cell):
        if value.data_type != "s" or not isinstance(value._value, str):
            _set(value, safe_text(value._value))
        return value
    return text_cell(ws, value)


def _set(cell: Cell, safe: str | Number) -> None:
    if isinstance(safe, str):
        cell._value = safe
        cell.data_type = "s"  # an inline string, whatever it starts with
        if safe and looks_like_formula(safe):
            cell.quotePrefix = True
    else:
        cell.value = safe


def _write_only(ws: Any) -> bool:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    return isinstance(ws, WriteOnlyWorksheet)
