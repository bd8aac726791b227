"""The review page's comparison rules: the fields of a review pair side by side, and whether the
two sides agree on each. Pure functions over a pair's sides (``ReviewPair.left``/``right``:
``{"raw": what the clerk typed, "norm": what the model compared}``); no database.

Agreement of a field (``agreement``):
- ``"same"``: both sides have a value and the normalised values are equal;
- ``"same_year"``: birth dates where one side (or both) has only a year and the years agree;
- ``"diff"``: both have a value and they differ (for a bare year: the years differ);
- ``None``: not comparable — a side is blank, a CCCD against an old CMND, a bare year against
  a side with no year, or the field is not compared (source, file and line, record id).

Names are compared as written, folded (no diacritics, lower case: "Nguyễn Thị Ánh" = "nguyen
thi anh"); addresses on their folded form; IDs a CCCD with a CCCD, a CMND with a CMND.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from motcua.core.text import fold

Agreement = Literal["same", "same_year", "diff"] | None
Side = dict[str, Any]


class FieldRow(TypedDict):
    label: str
    left: str
    right: str
    agree: Agreement


# (label, raw key, how it is compared); a None key is the file and line, None comparison: shown only.
FIELDS: tuple[tuple[str, str | None, str | None], ...] = (
    ("Danh sách cũ", "source", None),
    ("Tệp, dòng", None, None),
    ("Mã bản ghi", "record_id", None),
    ("Họ và tên", "full_name", "name"),
    ("Ngày sinh", "birth_date", "birth"),
    ("Giới tính", "gender", "gender"),
    ("Số CCCD/CMND", "citizen_id", "id"),
    ("Địa chỉ", "address", "address"),
    ("Điện thoại", "phone", "phone"),
    ("Số hộ khẩu", "household_no", "household_no"),
)


def side_by_side(left: Side, right: Side) -> list[FieldRow]:
    """Rows of the comparison table: each field as written on both sides, and whether the
    normalised values agree (see ``agreement``)."""
    out: list[FieldRow] = []
    for label, key, compare in FIELDS:
        if key is None:
            lv = f"{left['raw'].get('file_name', '')}, dòng {left['raw'].get('line_no', '')}"
            rv = f"{right['raw'].get('file_name', '')}, dòng {right['raw'].get('line_no', '')}"
        else:
            lv, rv = left["raw"].get(key) or "", right["raw"].get(key) or ""
        out.append({"label": label, "left": lv, "right": rv, "agree": agreement(compare, left, right)})
    return out


def agreement(compare: str | None, left: Side, right: Side) -> Agreement:
    """Whether ``left`` and ``right`` agree on the field compared as ``compare`` (``"name"``,
    ``"birth"``, ``"id"``, ``"address"``, or a normalised column such as ``"gender"``)."""
    if compare is None:
        return None
    ln, rn = left["norm"], right["norm"]
    if compare == "name":
        a, b = fold(left["raw"].get("full_name") or ""), fold(right["raw"].get("full_name") or "")
    elif compare == "birth":
        a = ln.get("birth_date") or ln.get("birth_year")
        b = rn.get("birth_date") or rn.get("birth_year")
        if a and b and (ln.get("birth_date") is None or rn.get("birth_date") is None):
            # A bare year on one side: only the year can agree.
            if not ln.get("birth_year") or not rn.get("birth_year"):
                return None
            return "same_year" if ln["birth_year"] == rn["birth_year"] else "diff"
    elif compare == "id":
        a = ln.get("citizen_id") or ln.get("cmnd")
        b = rn.get("citizen_id") or rn.get("cmnd")
        if ln.get("citizen_id") and rn.get("citizen_id"):
            a, b = ln["citizen_id"], rn["citizen_id"]
        elif ln.get("cmnd") and rn.get("cmnd"):
            a, b = ln["cmnd"], rn["cmnd"]
        elif a and b:
            return None  # a CMND against a CCCD: not comparable
    elif compare == "address":
        a, b = ln.get("address_folded"), rn.get("address_folded")
    else:
        a, b = ln.get(compare), rn.get(compare)
    if not a or not b:
        return None
    return "same" if a == b else "diff"
