"""The merged register as the data officer takes it away: an Excel workbook, and its quality report.

``quality_report(raw, normalised, clusters)`` counts what the merge found — duplicates within one
old register, persons found in several, and the conflicts a clerk must look at (one CCCD with two
birth dates, one CCCD on two persons, one person with two CCCDs or two genders, a CCCD whose
digits contradict the row's gender or birth year).

``write_workbook(...)`` writes five sheets:

- *Tổng hợp*: the run, the counts per old register, the quality figures;
- *Danh sách hợp nhất*: one row per person — the values kept (the most frequent written form,
  preferring full dates, names with diacritics, 12-digit CCCDs) and the provenance: every record
  merged into the person as ``register (dòng N)``;
- *Bản ghi gốc*: one row per uploaded record exactly as written, with its person, file and line;
- *Xung đột*: each conflict with the records involved;
- *Quyết định rà soát*: the reviewers' decisions (who, when, accept/reject, reason).

openpyxl in write-only mode writes each sheet's frame (widths, frozen header, filter, the styled
header row) and the summary; the big sheets' rows are written by ``save_workbook`` straight into
the saved file's sheet XML, a column at a time with pyarrow's string kernels — the same cells
openpyxl would write (inline strings, numbers as numbers, Excel's quote prefix on a text that
starts like a formula) in a fraction of the time: openpyxl's per-cell objects took ~95 % of an
application of decisions at a ward's size (docs/performance.md). Every value goes through the
rules of ``motcua.core.excel``: what the registers' clerks typed is written as text, never as a
formula (a name ``=HYPERLINK(…)`` stays a name).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from motcua.core.errors import ValidationFailed
from motcua.core.excel import MAX_CELL_CHARS, append_text_row, safe_text, text_cell
from motcua.core.text import fold

GENDER_LABEL = {"M": "Nam", "F": "Nữ"}
CONFLICT_LABELS = {
    "cccd_two_birth_dates": "Một số CCCD, hai ngày sinh khác nhau",
    "cccd_two_persons": "Một số CCCD ở hai người khác nhau",
    "person_two_cccd": "Một người, hai số CCCD khác nhau",
    "person_two_genders": "Một người, hai giới tính khác nhau",
    "cccd_inconsistent": "Số CCCD không khớp giới tính hoặc năm sinh ghi trên dòng",
}


# --------------------------------------------------------------------------- the report

# What ``records_view`` reads of the normalised table (record_id first): a run keeps only these
# (``recluster``), so a column read here must be listed here.
NORMALISED_COLUMNS = (
    "record_id",
    "citizen_id",
    "cmnd",
    "birth_date",
    "birth_year",
    "dob_precision",
    "gender",
    "id_consistent",
    "new_ward_code",
)


def records_view(
    raw: pa.Table, normalised: pa.Table, clusters: pa.Table, unit_names: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """One dict per record: the raw cells, provenance, the normalised values used to report, and
    its person. In the order of the files and their lines. ``unit_names`` names the new
    communes by code (the old address converted to the two-tier units)."""
    unit_names = unit_names or {}
    person_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    norm_cols = [c for c in NORMALISED_COLUMNS[1:] if c in normalised.column_names]
    norm = {
        rid: row
        for rid, row in zip(
            normalised.column("record_id").to_pylist(), normalised.select(norm_cols).to_pylist(), strict=True
        )
    }
    out = []
    for row in raw.to_pylist():
        rid = row["record_id"]
        n = norm.get(rid, {})
        out.append(
            row
            | {
                "person_id": person_of.get(rid),
                "n_citizen_id": n.get("citizen_id"),
                "n_cmnd": n.get("cmnd"),
                "n_birth_date": n.get("birth_date"),
                "n_birth_year": n.get("birth_year"),
                "n_gender": n.get("gender"),
                "n_id_consistent": n.get("id_consistent"),
                "new_unit": unit_names.get(n.get("new_ward_code") or 0, ""),
            }
        )
    return out


def quality_report(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The counts and conflicts of a merge (``records`` from ``records_view``)."""
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_person[r["person_id"]].append(r)
    sources = sorted({r["source"] or "" for r in records})
    per_source: dict[str, dict[str, int]] = {
        s: {"records": 0, "persons": 0, "duplicate_records": 0, "persons_in_other_registers": 0}
        for s in sources
    }
    within = 0  # persons listed more than once in one register
    between = 0  # persons found in two or more registers
    for members in by_person.values():
        counts = Counter(m["source"] or "" for m in members)
        if any(c > 1 for c in counts.values()):
            within += 1
        if len(counts) > 1:
            between += 1
        for s, c in counts.items():
            per_source[s]["records"] += c
            per_source[s]["persons"] += 1
            per_source[s]["duplicate_records"] += c - 1
            if len(counts) > 1:
                per_source[s]["persons_in_other_registers"] += 1

    conflicts: list[dict[str, Any]] = []
    by_cccd: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["n_citizen_id"]:
            by_cccd[r["n_citizen_id"]].append(r)
    for cccd, members in sorted(by_cccd.items()):
        dates = {m["n_birth_date"] for m in members if m["n_birth_date"]}
        if len(dates) > 1:
            conflicts.append(_conflict("cccd_two_birth_dates", cccd, members))
        persons = {m["person_id"] for m in members}
        if len(persons) > 1:
            conflicts.append(_conflict("cccd_two_persons", cccd, members))
    for pid, members in sorted(by_person.items()):
        ids = {m["n_citizen_id"] for m in members if m["n_citizen_id"]}
        if len(ids) > 1:
            conflicts.append(_conflict("person_two_cccd", pid, members))
        genders = {m["n_gender"] for m in members if m["n_gender"]}
        if len(genders) > 1:
            conflicts.append(_conflict("person_two_genders", pid, members))
    for r in records:
        if r["n_id_consistent"] is False:
            conflicts.append(_conflict("cccd_inconsistent", r["n_citizen_id"] or r["citizen_id"] or "", [r]))

    conflict_counts = Counter(c["kind"] for c in conflicts)
    return {
        "records": len(records),
        "persons": len(by_person),
        "registers": len(sources),
        "duplicates_removed": len(records) - len(by_person),
        "persons_duplicated_within_a_register": within,
        "persons_in_several_registers": between,
        "records_without_id": sum(1 for r in records if not r["n_citizen_id"] and not r["n_cmnd"]),
        "records_with_year_only": sum(1 for r in records if not r["n_birth_date"] and r["n_birth_year"]),
        "per_register": per_source,
        "conflict_counts": {k: conflict_counts.get(k, 0) for k in CONFLICT_LABELS},
        "conflicts": conflicts,
    }


def _conflict(kind: str, key: str, members: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "key": key,
        "records": [
            {
                "record_id": m["record_id"],
                "source": m["source"],
                "line_no": m["line_no"],
                "person_id": m["person_id"],
                "full_name": m["full_name"],
                "birth_date": m["birth_date"],
                "gender": m["gender"],
                "citizen_id": m["citizen_id"],
            }
            for m in members
        ],
    }


# --------------------------------------------------------------------------- the merged person


def merged_persons(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per person, in person_id order: the values kept and the provenance."""
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_person[r["person_id"]].append(r)
    out = []
    for pid in sorted(by_person):
        members = by_person[pid]
        if len(members) == 1:
            # Most persons have one record: its values, without counting (the same result).
            out.append(_single_person(pid, members[0]))
            continue
        full_dates = [m["n_birth_date"] for m in members if m["n_birth_date"]]
        if full_dates:
            birth = _dmy(_most_common(full_dates))
        else:
            years = [m["n_birth_year"] for m in members if m["n_birth_year"]]
            birth = str(_most_common(years)) if years else ""
        gender = _most_common([m["n_gender"] for m in members if m["n_gender"]])
        names = [m["full_name"] for m in members if m["full_name"]]
        out.append(
            {
                "person_id": pid,
                "full_name": _best_name(names),
                "birth_date": birth,
                "gender": GENDER_LABEL.get(gender or "", ""),
                "citizen_id": _most_common([m["n_citizen_id"] for m in members if m["n_citizen_id"]]) or "",
                "cmnd": _most_common([m["n_cmnd"] for m in members if m["n_cmnd"]]) or "",
                "address": _most_common([m["address"] for m in members if m["address"]]) or "",
                "new_unit": _most_common([m["new_unit"] for m in members if m["new_unit"]]) or "",
                "phone": _most_common([m["phone"] for m in members if m["phone"]]) or "",
                "household_no": _most_common([m["household_no"] for m in members if m["household_no"]]) or "",
                "n_records": len(members),
                "registers": len({m["source"] for m in members}),
                "provenance": "; ".join(
                    f"{m['source'] or m['file_name']} (dòng {m['line_no']}, mã {m['record_id']})"
                    for m in members
                ),
            }
        )
    return out


def _single_person(pid: str, m: dict[str, Any]) -> dict[str, Any]:
    """``merged_persons``' row of a person of one record."""
    if m["n_birth_date"]:
        birth = _dmy(m["n_birth_date"])
    else:
        birth = str(m["n_birth_year"]) if m["n_birth_year"] else ""
    return {
        "person_id": pid,
        "full_name": m["full_name"] or "",
        "birth_date": birth,
        "gender": GENDER_LABEL.get(m["n_gender"] or "", ""),
        "citizen_id": m["n_citizen_id"] or "",
        "cmnd": m["n_cmnd"] or "",
        "address": m["address"] or "",
        "new_unit": m["new_unit"] or "",
        "phone": m["phone"] or "",
        "household_no": m["household_no"] or "",
        "n_records": 1,
        "registers": 1,
        "provenance": f"{m['source'] or m['file_name']} (dòng {m['line_no']}, mã {m['record_id']})",
    }


def _most_common(values: Sequence[Any]) -> Any:
    """The most frequent value; ties go to the first written (registers are in upload order)."""
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def _best_name(names: Sequence[str]) -> str:
    """The most frequent spelling, preferring one with diacritics (the folded form loses them)."""
    if not names:
        return ""
    with_marks = [n for n in names if n != fold(n)]
    return str(_most_common(with_marks or list(names)))


def _dmy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


# --------------------------------------------------------------------------- the workbook

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="EEF1F4")
_TITLE_FONT = Font(bold=True, size=14)


def write_workbook(
    *,
    out: Path,
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    records: Sequence[dict[str, Any]],
    report: dict[str, Any],
    decisions: Sequence[dict[str, Any]],
) -> None:
    wb = Workbook(write_only=True)
    bodies: dict[str, list[list[Any]]] = {}
    _summary_sheet(wb, title, commune, run_no, generated_at, report, n_decisions=len(decisions))
    _table_sheet(
        wb,
        bodies,
        "Danh sách hợp nhất",
        (
            ("Mã người", 10, "person_id"),
            ("Họ và tên", 28, "full_name"),
            ("Ngày sinh", 12, "birth_date"),
            ("Giới tính", 9, "gender"),
            ("Số CCCD", 15, "citizen_id"),
            ("Số CMND", 12, "cmnd"),
            ("Địa chỉ (như đã ghi)", 40, "address"),
            ("Xã, phường mới", 20, "new_unit"),
            ("Điện thoại", 13, "phone"),
            ("Số hộ khẩu", 12, "household_no"),
            ("Số bản ghi", 10, "n_records"),
            ("Số danh sách cũ", 10, "registers"),
            ("Nguồn (danh sách cũ, dòng, mã bản ghi)", 70, "provenance"),
        ),
        merged_persons(records),
    )
    _table_sheet(
        wb,
        bodies,
        "Bản ghi gốc",
        (
            ("Mã người", 10, "person_id"),
            ("Mã bản ghi", 14, "record_id"),
            ("Danh sách cũ", 20, "source"),
            ("Tệp", 24, "file_name"),
            ("Dòng", 7, "line_no"),
            ("Họ và tên", 28, "full_name"),
            ("Ngày sinh", 12, "birth_date"),
            ("Giới tính", 9, "gender"),
            ("Số CCCD/CMND", 15, "citizen_id"),
            ("Địa chỉ", 40, "address"),
            ("Xã, phường mới", 20, "new_unit"),
            ("Điện thoại", 13, "phone"),
            ("Số hộ khẩu", 12, "household_no"),
        ),
        records,
    )
    conflict_rows = [
        {"kind": CONFLICT_LABELS[c["kind"]], "key": c["key"]} | rec
        for c in report["conflicts"]
        for rec in c["records"]
    ]
    _table_sheet(
        wb,
        bodies,
        "Xung đột",
        (
            ("Loại xung đột", 40, "kind"),
            ("Số CCCD / mã người", 16, "key"),
            ("Mã người", 10, "person_id"),
            ("Mã bản ghi", 14, "record_id"),
            ("Danh sách cũ", 20, "source"),
            ("Dòng", 7, "line_no"),
            ("Họ và tên", 28, "full_name"),
            ("Ngày sinh", 12, "birth_date"),
            ("Giới tính", 9, "gender"),
            ("Số CCCD/CMND", 15, "citizen_id"),
        ),
        conflict_rows,
    )
    _table_sheet(
        wb,
        bodies,
        "Quyết định rà soát",
        (
            ("Thời điểm", 18, "decided_at"),
            ("Người quyết định", 24, "decided_by"),
            ("Bản ghi 1", 14, "record_id_l"),
            ("Bản ghi 2", 14, "record_id_r"),
            ("Quyết định", 14, "verdict"),
            ("Lý do", 50, "reason"),
        ),
        decisions,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        save_workbook(wb, tmp, bodies)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _summary_sheet(
    wb: Workbook,
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    report: dict[str, Any],
    *,
    n_decisions: int,
) -> None:
    ws = wb.create_sheet("Tổng hợp")
    ws.column_dimensions["A"].width = 52
    for col in "BCDE":
        ws.column_dimensions[col].width = 18
    append_text_row(ws, [_cell(ws, f"Danh sách hợp nhất — {commune}", font=_TITLE_FONT)])
    append_text_row(ws, ["Đợt hợp nhất", title])
    append_text_row(ws, ["Lần chạy", run_no])
    append_text_row(ws, ["Thời điểm lập", generated_at.strftime("%d/%m/%Y %H:%M")])
    append_text_row(ws, ["Số quyết định rà soát đã áp dụng", n_decisions])
    append_text_row(ws, [])
    append_text_row(ws, [_cell(ws, "Chất lượng dữ liệu", font=_HEAD_FONT)])
    for label, key in (
        ("Tổng số bản ghi", "records"),
        ("Số người sau hợp nhất", "persons"),
        ("Số bản ghi trùng đã gộp", "duplicates_removed"),
        ("Số người bị ghi trùng trong cùng một danh sách", "persons_duplicated_within_a_register"),
        ("Số người có mặt ở nhiều danh sách cũ", "persons_in_several_registers"),
        ("Số bản ghi không có CCCD/CMND", "records_without_id"),
        ("Số bản ghi chỉ có năm sinh", "records_with_year_only"),
    ):
        append_text_row(ws, [label, report[key]])
    append_text_row(ws, [])
    append_text_row(ws, [_cell(ws, "Xung đột cần kiểm tra", font=_HEAD_FONT)])
    for kind, label in CONFLICT_LABELS.items():
        append_text_row(ws, [label, report["conflict_counts"][kind]])
    append_text_row(ws, [])
    append_text_row(
        ws,
        [
            _cell(ws, h, font=_HEAD_FONT, fill=_HEAD_FILL)
            for h in ("Danh sách cũ", "Số bản ghi", "Số người", "Bản ghi trùng", "Người có ở danh sách khác")
        ],
    )
    for source, row in report["per_register"].items():
        append_text_row(
            ws,
            [
                source or "(không ghi)",
                row["records"],
                row["persons"],
                row["duplicate_records"],
                row["persons_in_other_registers"],
            ],
        )


def _table_sheet(
    wb: Workbook,
    bodies: dict[str, list[list[Any]]],
    name: str,
    columns: Sequence[tuple[str, int, str]],
    rows: Iterable[dict[str, Any]],
) -> None:
    """The sheet's frame and header row through openpyxl; its rows (``bodies[name]``, a list of
    values per column) are written by ``save_workbook``. Past Excel's rows per sheet the table
    goes on in «name (2)», «name (3)»… (``sheet_parts``), each with the header."""
    rows = rows if isinstance(rows, Sequence) else list(rows)
    values = [[row.get(key) for row in rows] for _, _, key in columns]
    for title, start, stop in sheet_parts(name, len(rows)):
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        for i, (_, width, _) in enumerate(columns):
            ws.column_dimensions[_letter(i)].width = width
        append_text_row(ws, [_cell(ws, head, font=_HEAD_FONT, fill=_HEAD_FILL) for head, _, _ in columns])
        bodies[title] = [col[start:stop] if (start, stop) != (0, len(rows)) else col for col in values]
        ws.auto_filter.ref = f"A1:{_letter(len(columns) - 1)}1"


def sheet_parts(name: str, n: int) -> list[tuple[str, int, int]]:
    """The sheets a table of ``n`` rows under a header takes: (title, first row, end row) — ``name``,
    then «name (2)», «name (3)»… of ``MAX_SHEET_ROWS`` rows each."""
    size = MAX_SHEET_ROWS
    if n <= size:
        return [(name, 0, n)]
    return [
        (name if i == 0 else f"{name} ({i + 1})", start, min(n, start + size))
        for i, start in enumerate(range(0, n, size))
    ]


def _cell(
    ws: WriteOnlyWorksheet, value: Any, *, font: Font | None = None, fill: PatternFill | None = None
) -> Any:
    return text_cell(ws, value, font=font, fill=fill, alignment=Alignment(vertical="top"))


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


# --------------------------------------------------------------------------- fast rows

# What ``core.excel.safe_text`` removes (XML 1.0 refuses them), in RE2's syntax.
_ILLEGAL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
# ``core.excel.FORMULA_START``: a text starting so gets Excel's quote prefix.
_FORMULA_RE2 = r"^[=+\-@\t\r]"
_CHUNK_ROWS = 20_000
# Excel opens no sheet of more than 1,048,576 rows: the header and this many rows of data.
MAX_SHEET_ROWS = 1_048_575
# Lone surrogates (a bad decoding upstream) cannot be written as UTF-8: dropped like the
# characters XML refuses.
_SURROGATES = re.compile("[\ud800-\udfff]")
# zlib's usual level: level 1 would save ~2 s of CPU at a ward's size for a file 29 % larger
# (50 MB instead of 39), and the file is written off the request (docs/performance.md).
_ZIP_LEVEL = 6


def save_workbook(wb: Workbook, out: Path | IO[bytes], bodies: Mapping[str, Sequence[Sequence[Any]]]) -> None:
    """Save the write-only ``wb`` to ``out`` with the rows of ``bodies`` (sheet title → one list of
    values per column, all of one length) written after each sheet's last appended row (its
    header): the cells ``core.excel.append_text_row`` would give, without a Python object per
    cell. Texts are inline strings (never formulas; one starting with = + - @ tab or CR carries
    the quote prefix), ints and floats numbers, ``None`` an empty text cell; other values go
    through ``safe_text``."""
    quote = text_cell(wb.worksheets[0], "=").style_id if bodies else 0
    frame = io.BytesIO()
    wb.save(frame)
    with zipfile.ZipFile(frame) as src:
        paths = _sheet_paths(src)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as dst:
            for info in src.infolist():
                title = next((t for t in bodies if paths.get(t) == info.filename), None)
                if title is None:
                    dst.writestr(info, src.read(info.filename))
                    continue
                head, end, tail = src.read(info.filename).partition(b"</sheetData>")
                if not end:
                    raise ValueError(f"{info.filename}: no sheetData")
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry._compresslevel = _ZIP_LEVEL  # type: ignore[attr-defined]
                first = head.count(b"<row ") + 1  # after the header openpyxl wrote
                n = len(bodies[title][0]) if bodies[title] else 0
                if first - 1 + n > MAX_SHEET_ROWS + 1:
                    rows, limit = (f"{k:,}".replace(",", ".") for k in (first - 1 + n, MAX_SHEET_ROWS + 1))
                    raise ValidationFailed(
                        f"Trang «{title}» có {rows} dòng, quá giới hạn {limit} dòng một trang của Excel."
                    )
                # The size is not known beforehand: a sheet past 2 GiB needs ZIP64.
                with dst.open(entry, "w", force_zip64=True) as fh:
                    fh.write(head)
                    for chunk in _row_chunks(bodies[title], first=first, quote=quote):
                        fh.write(chunk)
                    fh.write(end + tail)


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML's path in the package (workbook.xml and its relationships)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    # openpyxl wrote these two a moment ago, in memory: not untrusted input.
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    target = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{pkg}Relationship")}
    out = {}
    for sheet in workbook.iter(f"{main}sheet"):
        path = target.get(sheet.get(rel), "")
        out[sheet.get("name", "")] = path.lstrip("/") if path.startswith("/") else posixpath.join("xl", path)
    return out


def _row_chunks(columns: Sequence[Sequence[Any]], *, first: int, quote: int) -> Iterable[bytes]:
    n = len(columns[0]) if columns else 0
    letters = [_letter(i) for i in range(len(columns))]
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(n, start + _CHUNK_ROWS)
        rows = pa.array([str(first + i) for i in range(start, stop)], pa.string())
        cells = [
            _cells(col[start:stop], letter, rows, quote) for letter, col in zip(letters, columns, strict=True)
        ]
        joined = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        yield "".join(joined.to_pylist()).encode("utf-8")


def _cells(values: Sequence[Any], letter: str, rows: pa.Array, quote: int) -> pa.Array:
    kinds = {type(v) for v in values} - {type(None)}
    empty = pc.binary_join_element_wise('<c r="', letter, rows, '" t="inlineStr"></c>', "")
    if kinds <= {str}:
        return _text_cells(_text_array(values), letter, rows, quote, empty)
    if kinds <= {int}:
        try:
            numbers = pa.array(values, pa.int64())
        except OverflowError:
            pass
        else:
            cell = pc.binary_join_element_wise(
                '<c r="', letter, rows, '" t="n"><v>', pc.cast(numbers, pa.string()), "</v></c>", ""
            )
            return pc.if_else(pc.is_null(numbers), empty, cell)
    # Anything else (floats, dates, booleans…): as ``safe_text`` gives it, a cell at a time.
    safe = [safe_text(v) for v in values]
    texts = _text_cells(
        _text_array([v if isinstance(v, str) else None for v in safe]), letter, rows, quote, empty
    )
    numbers = pa.array(
        [None if isinstance(v, str) else f'<c r="{letter}{r}" t="n"><v>{_number(v)}</v></c>'
         for v, r in zip(safe, rows.to_pylist(), strict=True)],
        pa.string(),
    )  # fmt: skip
    return pc.if_else(pc.is_null(numbers), texts, numbers)


def _text_array(values: Sequence[str | None]) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except UnicodeEncodeError:
        return pa.array([None if v is None else _SURROGATES.sub("", v) for v in values], pa.string())


def _number(value: Any) -> str:
    from openpyxl.compat import safe_string

    return str(safe_string(value))


def _text_cells(text: pa.Array, letter: str, rows: pa.Array, quote: int, empty: pa.Array) -> pa.Array:
    """``core.excel.safe_text`` on a column of texts, then the inline-string cells."""
    text = pc.utf8_normalize(pc.fill_null(text, ""), "NFC")
    text = pc.replace_substring_regex(text, _ILLEGAL_RE2, "")
    if pc.any(pc.greater(pc.utf8_length(text), MAX_CELL_CHARS)).as_py():
        text = pa.array(
            [t if len(t) <= MAX_CELL_CHARS else t[: MAX_CELL_CHARS - 1] + "…" for t in text.to_pylist()],
            pa.string(),
        )
    style = pc.if_else(pc.match_substring_regex(text, _FORMULA_RE2), f' s="{quote}"', "")
    spaced = pc.not_equal(text, pc.utf8_trim_whitespace(text))
    opening = pc.if_else(spaced, '<t xml:space="preserve">', "<t>")
    escaped = text
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        escaped = pc.replace_substring(escaped, raw, entity)
    cell = pc.binary_join_element_wise(
        '<c r="', letter, rows, '"', style, ' t="inlineStr"><is>', opening, escaped, "</t></is></c>", ""
    )
    return pc.if_else(pc.equal(text, ""), empty, cell)
