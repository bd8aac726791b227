"""A parsed, validated row of the catalogue workbook (or of the starter catalogue).

An import previews these rows, keeps them server-side as JSON, and applies exactly them.
"""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class ChecklistRow:
    name: str
    form: str
    quantity: int
    required: bool


@dataclass
class FormFieldRow:
    key: str
    label: str
    kind: str
    required: bool
    choices: str


@dataclass
class ProcedureRow:
    code: str
    name: str
    field_code: str
    field_name: str
    responsible_kind: str
    time_unit: str
    time_value: int | None
    time_value_difficult: int | None
    fee_vnd: int
    fee_note: str
    online_level: str
    legal_basis: str
    result_name: str
    is_active: bool
    # None means "not given": the procedure's existing checklist / form stays as it is.
    checklist: list[ChecklistRow] | None = None
    form_fields: list[FormFieldRow] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProcedureRow":
        values = dict(data)
        checklist = values.pop("checklist", None)
        form_fields = values.pop("form_fields", None)
        return cls(
            **values,
            checklist=None if checklist is None else [ChecklistRow(**c) for c in checklist],
            form_fields=None if form_fields is None else [FormFieldRow(**f) for f in form_fields],
        )
