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

openpyxl in write-only mode (rows are streamed: a ward's 230,000 records fit in little memory).
Every cell goes through ``motcua.core.excel``: what the registers' clerks typed is written as
text, never as a formula (a name ``=HYPERLINK(…)`` stays a name).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from motcua.core.excel import append_text_row, text_cell
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
    norm_cols = [
        c
        for c in (
            "citizen_id",
            "cmnd",
            "birth_date",
            "birth_year",
            "dob_precision",
            "gender",
            "id_consistent",
            "new_ward_code",
        )
        if c in normalised.column_names
    ]
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
    _summary_sheet(wb, title, commune, run_no, generated_at, report, n_decisions=len(decisions))
    _table_sheet(
        wb,
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
    tmp = out.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(out)


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
    wb: Workbook, name: str, columns: Sequence[tuple[str, int, str]], rows: Iterable[dict[str, Any]]
) -> None:
    ws = wb.create_sheet(name)
    ws.freeze_panes = "A2"
    for i, (_, width, _) in enumerate(columns):
        ws.column_dimensions[_letter(i)].width = width
    append_text_row(ws, [_cell(ws, head, font=_HEAD_FONT, fill=_HEAD_FILL) for head, _, _ in columns])
    keys = [key for _, _, key in columns]
    for row in rows:
        append_text_row(ws, [row.get(k) for k in keys])
    ws.auto_filter.ref = f"A1:{_letter(len(columns) - 1)}1"


def _cell(
    ws: WriteOnlyWorksheet, value: Any, *, font: Font | None = None, fill: PatternFill | None = None
) -> Any:
    return text_cell(ws, value, font=font, fill=fill, alignment=Alignment(vertical="top"))


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)
