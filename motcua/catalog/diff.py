"""What an import would change: the catalogue and a workbook's rows as comparable snapshots.

A snapshot is one procedure in words, field label → value as the workbook shows it ("Lệ phí
(đồng)" → "8000", "Giấy tờ 2" → "Giấy chứng sinh — Bản chính, 1 bản, bắt buộc"), so the
preview and the audit read before → after the way an official wrote it. The fingerprint of
all snapshots tells whether the catalogue changed between a preview and its application.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from motcua.catalog.models import ChecklistItem, FormField, OnlineLevel, Procedure, TimeUnit
from motcua.catalog.rows import ChecklistRow, FormFieldRow, ProcedureRow
from motcua.org.models import DepartmentKind

Snapshot = dict[str, str]

CHECKLIST_PREFIX = "Giấy tờ"
FORM_PREFIX = "Tờ khai"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ProcedureDiff:
    code: str
    name: str
    changes: tuple[FieldChange, ...] = ()


@dataclass
class CatalogueDiff:
    added: list[ProcedureDiff] = field(default_factory=list)
    changed: list[ProcedureDiff] = field(default_factory=list)
    unchanged: list[ProcedureDiff] = field(default_factory=list)
    # In the catalogue, not in the file: an import never deletes, they stay as they are.
    missing: list[ProcedureDiff] = field(default_factory=list)


def _yes_no(value: bool) -> str:
    return "Có" if value else "Không"


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _checklist_text(name: str, form: str, quantity: int, required: bool) -> str:
    need = "bắt buộc" if required else "không bắt buộc"
    return f"{name} — {ChecklistItem.Form(form).label}, {quantity} bản, {need}"


def _form_text(label: str, kind: str, required: bool, choices: str) -> str:
    need = "bắt buộc" if required else "không bắt buộc"
    text = f"{label} — {FormField.Kind(kind).label}, {need}"
    return f"{text}, lựa chọn: {choices}" if choices else text


def _main(
    *,
    name: str,
    field_code: str,
    field_name: str,
    responsible_kind: str,
    time_unit: str,
    time_value: int | None,
    time_value_difficult: int | None,
    fee_vnd: int,
    fee_note: str,
    online_level: str,
    legal_basis: str,
    result_name: str,
    is_active: bool,
) -> Snapshot:
    return {
        "Tên thủ tục": name,
        "Lĩnh vực": f"{field_name} ({field_code})",
        "Đơn vị chủ trì": DepartmentKind(responsible_kind).label,
        "Đơn vị thời gian": TimeUnit(time_unit).label,
        "Thời hạn": _number(time_value),
        "Thời hạn ở vùng khó khăn": _number(time_value_difficult),
        "Lệ phí (đồng)": str(fee_vnd),
        "Ghi chú lệ phí": fee_note,
        "Mức độ trực tuyến": OnlineLevel(online_level).label,
        "Căn cứ pháp lý": legal_basis,
        "Kết quả": result_name,
        "Đang áp dụng": _yes_no(is_active),
    }


def procedure_snapshot(p: Procedure) -> Snapshot:
    """Needs `field` selected and `checklist`, `form_fields` prefetched (else 3 queries)."""
    snap = _main(
        name=p.name,
        field_code=p.field.code,
        field_name=p.field.name,
        responsible_kind=p.responsible_kind,
        time_unit=p.time_unit,
        time_value=p.time_value,
        time_value_difficult=p.time_value_difficult,
        fee_vnd=p.fee_vnd,
        fee_note=p.fee_note,
        online_level=p.online_level,
        legal_basis=p.legal_basis,
        result_name=p.result_name,
        is_active=p.is_active,
    )
    checklist = sorted(p.checklist.all(), key=lambda c: (c.position, c.id))
    for i, c in enumerate(checklist, start=1):
        snap[f"{CHECKLIST_PREFIX} {i}"] = _checklist_text(c.name, c.form, c.quantity, c.required)
    for f in sorted(p.form_fields.all(), key=lambda f: (f.position, f.id)):
        snap[f"{FORM_PREFIX} «{f.key}»"] = _form_text(f.label, f.kind, f.required, f.choices)
    return snap


def row_snapshot(row: ProcedureRow, before: Snapshot | None) -> Snapshot:
    """The procedure as it will be once `row` is applied (a sheet left out keeps `before`'s)."""
    snap = _main(
        name=row.name,
        field_code=row.field_code,
        field_name=row.field_name,
        responsible_kind=row.responsible_kind,
        time_unit=row.time_unit,
        time_value=row.time_value,
        time_value_difficult=row.time_value_difficult,
        fee_vnd=row.fee_vnd,
        fee_note=row.fee_note,
        online_level=row.online_level,
        legal_basis=row.legal_basis,
        result_name=row.result_name,
        is_active=row.is_active,
    )
    kept = before or {}
    snap |= _children(row.checklist, kept, CHECKLIST_PREFIX)
    snap |= _children(row.form_fields, kept, FORM_PREFIX)
    return snap


def _children(
    items: Sequence[ChecklistRow] | Sequence[FormFieldRow] | None, kept: Snapshot, prefix: str
) -> Snapshot:
    if items is None:
        return {k: v for k, v in kept.items() if k.startswith(prefix + " ")}
    out: Snapshot = {}
    for i, item in enumerate(items, start=1):
        if isinstance(item, ChecklistRow):
            out[f"{prefix} {i}"] = _checklist_text(item.name, item.form, item.quantity, item.required)
        elif isinstance(item, FormFieldRow):
            out[f"{prefix} «{item.key}»"] = _form_text(item.label, item.kind, item.required, item.choices)
    return out


def catalogue_snapshots() -> dict[str, tuple[str, Snapshot]]:
    """Every procedure (active or not): code → (name, snapshot)."""
    procedures = Procedure.objects.select_related("field").prefetch_related("checklist", "form_fields")
    return {p.code: (p.name, procedure_snapshot(p)) for p in procedures}


def fingerprint(snapshots: Mapping[str, tuple[str, Snapshot]]) -> str:
    """SHA-256 of the catalogue in words: equal exactly when nothing an import sets differs."""
    canonical = json.dumps(
        {code: snap for code, (_, snap) in snapshots.items()}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def compare(before: Snapshot | None, after: Snapshot) -> tuple[FieldChange, ...]:
    """Changed fields in the workbook's order (then the ones the new state no longer has)."""
    old = before or {}
    keys = list(after) + [k for k in old if k not in after]
    return tuple(
        FieldChange(k, old.get(k, ""), after.get(k, "")) for k in keys if old.get(k, "") != after.get(k, "")
    )


def catalogue_diff(
    rows: Iterable[ProcedureRow], current: Mapping[str, tuple[str, Snapshot]]
) -> CatalogueDiff:
    result = CatalogueDiff()
    seen: set[str] = set()
    for row in rows:
        seen.add(row.code)
        existing = current.get(row.code)
        before = existing[1] if existing else None
        changes = compare(before, row_snapshot(row, before))
        entry = ProcedureDiff(row.code, row.name, changes)
        if existing is None:
            result.added.append(entry)
        elif changes:
            result.changed.append(entry)
        else:
            result.unchanged.append(entry)
    result.missing = [
        ProcedureDiff(code, name) for code, (name, _) in sorted(current.items()) if code not in seen
    ]
    return result
