"""The merged register as the new ward's register: one row per person, in a layout named after
the fields of the national population database (Cơ sở dữ liệu quốc gia về dân cư, CSDLQG về dân
cư, run by the Ministry of Public Security / C06).

The import format of the national database is not public. What is public, and what this layout
follows (see ``docs/registers-national-export.md`` for the sources and what could not be
confirmed): the information fields the law lists for the database (Luật Căn cước 2023,
26/2023/QH15, Điều 9), their names as the residence forms print them (mẫu CT01, Thông tư
56/2021/TT-BCA as amended by Thông tư 66/2023/TT-BCA) and the 2025 codes of the administrative
units (Quyết định 19/2025/QĐ-TTg: a province 2 digits, a commune 5 digits). ``COLUMNS`` is the
layout, ``layout()`` its machine-readable description (``docs/registers-national-export.json``
is a copy, checked by a test).

Where the values come from: the job's ``records.parquet`` (the raw rows as uploaded, with their
``person_id``), normalised again with ``normalize.normalize_table`` and reduced to one value per
person exactly as the merged workbook does (``export.records_view``, ``export.merged_persons``:
the most frequent written form, full dates before bare years, names with diacritics, 12-digit
CCCDs). The permanent residence is the person's address converted to the 2025 units by
``addresses.convert_addresses`` (the most frequent of the person's addresses that converts to a
ward, else to a province, else the address as written). A person is flagged «Cần kiểm tra» when
the merge's quality report (``export.quality_report``) names one of their records in a conflict:
two CCCDs, two genders, a CCCD with two birth dates or on two persons, a CCCD whose digits
contradict the row.

Output: CSV in UTF-8 with a BOM (Excel opens it with the diacritics), every cell formula-guarded
(a value starting with = + - @ tab or CR gets a leading apostrophe), or .xlsx through
``motcua.core.excel`` (every text cell stored as text). Dates ``dd/mm/yyyy`` (``yyyy`` when only
the year is known), codes zero-padded text.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from motcua.core.errors import ValidationFailed
from motcua.core.text import clean_text

from . import addresses
from .export import CONFLICT_LABELS, merged_persons, quality_report, records_view
from .io import COLUMNS as RAW_COLUMNS
from .normalize import normalize_table

LAYOUT_NAME = "motcua-csdlqg-dan-cu"
LAYOUT_VERSION = "1.0"
RECORDS_NAME = "records.parquet"
FORMATS = ("csv", "xlsx")
SHEET_NAME = "Danh sách dân cư"
FLAG = "Cần kiểm tra"
# The columns records.parquet holds today (runner.py: the raw rows of io.read_registers and the
# person each record was merged into).
REQUIRED_COLUMNS = (
    *RAW_COLUMNS,
    "line_no",
    "file_name",
    "person_id",
)
MAX_RECORDS_BYTES = 2 << 30  # a records.parquet larger than this is not a ward's register


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    meaning: str
    format: str
    source: str
    legal_basis: str


_LAW = "Luật Căn cước 2023, Điều 9"
_CT01 = "Mẫu CT01 (Thông tư 56/2021/TT-BCA, sửa đổi bởi Thông tư 66/2023/TT-BCA)"
_QD19 = "Quyết định 19/2025/QĐ-TTg (mã đơn vị hành chính từ 01/7/2025)"
_NONE = "Không có — cột bổ sung của hệ thống (nguồn gốc, kiểm tra)"

COLUMNS: tuple[Column, ...] = (
    Column("stt", "STT", "Số thứ tự của người trong tệp", "số nguyên từ 1", "thứ tự theo mã người", _NONE),
    Column(
        "citizen_id", "Số định danh cá nhân",
        "Số định danh cá nhân (số CCCD 12 chữ số) của người",
        "12 chữ số, dạng văn bản (giữ số 0 đầu); trống nếu các danh sách cũ không ghi",
        "Số CCCD của các bản ghi, chuẩn hoá (normalize.parse_citizen_id); chọn số xuất hiện nhiều nhất",
        f"{_LAW}: «số định danh cá nhân»; {_CT01}: «Số định danh cá nhân»",
    ),
    Column(
        "full_name", "Họ, chữ đệm và tên",
        "Họ, chữ đệm và tên khai sinh",
        "văn bản, có dấu, viết hoa chữ đầu mỗi tiếng",
        "Họ tên như đã ghi; chọn cách viết có dấu xuất hiện nhiều nhất",
        f"{_LAW}: «họ, chữ đệm và tên khai sinh»; {_CT01}: «Họ, chữ đệm và tên»",
    ),
    Column(
        "birth_date", "Ngày, tháng, năm sinh",
        "Ngày, tháng, năm sinh (hoặc chỉ năm sinh nếu danh sách cũ chỉ ghi năm)",
        "dd/mm/yyyy (ngày và tháng 2 chữ số, năm 4 chữ số); yyyy khi chỉ biết năm; dạng văn bản",
        "Ngày sinh chuẩn hoá; ưu tiên ngày đầy đủ xuất hiện nhiều nhất, sau đó đến năm sinh",
        f"{_LAW}: «ngày, tháng, năm sinh»; {_CT01}: «Ngày, tháng, năm sinh»",
    ),
    Column(
        "gender", "Giới tính", "Giới tính", "«Nam» hoặc «Nữ»; trống nếu không rõ",
        "Giới tính chuẩn hoá; chọn giá trị xuất hiện nhiều nhất",
        f"{_LAW}: «giới tính»; {_CT01}: «Giới tính»",
    ),
    Column(
        "cmnd", "Số CMND cũ",
        "Số chứng minh nhân dân 9 số đã được cấp",
        "9 chữ số, dạng văn bản; trống nếu không có",
        "Số CMND 9 chữ số ghi ở cột CCCD/CMND của các bản ghi",
        f"{_LAW}: «số chứng minh nhân dân 9 số»",
    ),
    Column(
        "residence", "Nơi thường trú",
        "Nơi thường trú theo đơn vị hành chính sau ngày 01/7/2025 (số nhà, đường phố, xã/phường, tỉnh/thành phố)",
        "văn bản; địa chỉ sau chuyển đổi, hoặc địa chỉ như đã ghi khi không chuyển được",
        "Địa chỉ của các bản ghi chuyển sang đơn vị mới (addresses.convert_addresses)",
        f"{_LAW}: «nơi thường trú»; {_CT01}: «Nơi thường trú»",
    ),
    Column(
        "ward_code", "Mã xã, phường (nơi thường trú)",
        "Mã đơn vị hành chính cấp xã mới của nơi thường trú",
        "5 chữ số, dạng văn bản (00001–99999); trống nếu không xác định được",
        "Từ địa chỉ sau chuyển đổi (vietnamadminunits, dữ liệu 2025)", _QD19,
    ),
    Column(
        "ward_name", "Tên xã, phường (nơi thường trú)", "Tên đơn vị hành chính cấp xã mới",
        "văn bản, có loại đơn vị («Phường …», «Xã …»)",
        "Từ địa chỉ sau chuyển đổi", _QD19,
    ),
    Column(
        "province_code", "Mã tỉnh, thành phố (nơi thường trú)",
        "Mã đơn vị hành chính cấp tỉnh mới của nơi thường trú",
        "2 chữ số, dạng văn bản (01–99); trống nếu không xác định được",
        "Từ địa chỉ sau chuyển đổi", _QD19,
    ),
    Column(
        "province_name", "Tên tỉnh, thành phố (nơi thường trú)", "Tên đơn vị hành chính cấp tỉnh mới",
        "văn bản, có loại đơn vị («Thành phố …», «Tỉnh …»)",
        "Từ địa chỉ sau chuyển đổi", _QD19,
    ),
    Column(
        "address_as_written", "Nơi thường trú (như danh sách cũ ghi)",
        "Địa chỉ như danh sách cũ đã ghi, để đối chiếu",
        "văn bản", "Địa chỉ của bản ghi đã dùng cho cột «Nơi thường trú»", _NONE,
    ),
    Column(
        "address_status", "Kết quả chuyển đổi địa chỉ",
        "Đã chuyển / Chỉ xác định được tỉnh / Không chuyển được, kèm lý do",
        "văn bản", "addresses.convert_addresses", _NONE,
    ),
    Column(
        "phone", "Số điện thoại", "Số thuê bao di động (số điện thoại liên hệ)",
        "10 chữ số bắt đầu bằng 0, dạng văn bản; trống nếu không có hoặc không đọc được",
        "Số điện thoại chuẩn hoá (normalize.parse_phone); chọn số xuất hiện nhiều nhất",
        f"{_LAW}: «số thuê bao di động»; {_CT01}: «Số điện thoại liên hệ»",
    ),
    Column(
        "household_no", "Số hộ khẩu (sổ cũ)",
        "Số sổ hộ khẩu ghi trong danh sách cũ (không phải số hồ sơ cư trú của CSDLQG)",
        "văn bản như đã ghi", "Cột số hộ khẩu của các bản ghi; chọn giá trị xuất hiện nhiều nhất",
        f"gần nhất: {_LAW}: «số hồ sơ cư trú» — không tương đương",
    ),
    Column(
        "relation_to_head", "Quan hệ với chủ hộ", "Mối quan hệ với chủ hộ",
        "văn bản; hiện luôn trống: các danh sách cũ nhập vào hệ thống không có cột này",
        "Không có trong dữ liệu đầu vào (chín cột của io.read_registers)",
        f"{_LAW}: «mối quan hệ với chủ hộ»",
    ),
    Column(
        "person_id", "Mã người (hợp nhất)", "Mã người do đợt hợp nhất đặt (P000001…)",
        "văn bản", "person_id trong records.parquet", _NONE,
    ),
    Column(
        "n_records", "Số bản ghi đã gộp", "Số bản ghi của các danh sách cũ gộp vào người này",
        "số nguyên", "Đếm bản ghi theo person_id", _NONE,
    ),
    Column(
        "registers", "Danh sách cũ", "Các danh sách (phường, xã cũ) có người này",
        "văn bản, các tên cách nhau bởi «; »", "Cột nguồn (source) hoặc tên tệp của các bản ghi", _NONE,
    ),
    Column(
        "record_ids", "Mã bản ghi gốc", "Mã của mọi bản ghi đã gộp vào người này",
        "văn bản, các mã cách nhau bởi «; »", "record_id của các bản ghi", _NONE,
    ),
    Column(
        "provenance", "Nguồn (danh sách cũ, dòng, mã bản ghi)",
        "Từng bản ghi đã gộp: danh sách cũ, dòng trong tệp, mã bản ghi",
        "văn bản «danh sách (dòng N, mã X)», cách nhau bởi «; »",
        "source/file_name, line_no, record_id (export.merged_persons)", _NONE,
    ),
    Column(
        "flag", "Cần kiểm tra", "Người có xung đột dữ liệu cần cán bộ kiểm tra trước khi dùng",
        f"«{FLAG}» hoặc trống", "export.quality_report: xung đột có bản ghi của người này", _NONE,
    ),
    Column(
        "flag_reasons", "Lý do cần kiểm tra", "Các loại xung đột của người này",
        "văn bản, cách nhau bởi «; »", "export.CONFLICT_LABELS", _NONE,
    ),
)  # fmt: skip
HEADERS = tuple(c.header for c in COLUMNS)
_KEYS = tuple(c.key for c in COLUMNS)


def layout() -> dict[str, Any]:
    """The layout, machine-readable: each column's header, meaning, format, source and the legal
    text it follows (``docs/registers-national-export.json`` is this, written out)."""
    return {
        "name": LAYOUT_NAME,
        "version": LAYOUT_VERSION,
        "title": "Danh sách dân cư sau hợp nhất — bố cục theo trường thông tin của CSDLQG về dân cư",
        "status": (
            "Bố cục do motcua đặt ra, đặt tên cột theo Luật Căn cước 2023 Điều 9 và mẫu CT01; "
            "mẫu nhập liệu chính thức của CSDLQG về dân cư không được công bố."
        ),
        "one_row_per": "người (person_id)",
        "encodings": {
            "csv": "UTF-8 có BOM, dấu phẩy, CRLF; ô bắt đầu bằng = + - @ tab CR có thêm dấu ' ở đầu",
            "xlsx": f"trang «{SHEET_NAME}», mọi ô văn bản lưu dạng văn bản (không công thức)",
        },
        "columns": [
            {
                "position": i,
                "column": c.header,
                "key": c.key,
                "meaning": c.meaning,
                "format": c.format,
                "source": c.source,
                "legal_basis": c.legal_basis,
            }
            for i, c in enumerate(COLUMNS, start=1)
        ],
    }


# --------------------------------------------------------------------------------------------
# reading a finished job's records
# --------------------------------------------------------------------------------------------


def _latest_run(folder: Path) -> Path | None:
    runs = [
        (int(m.group(1)), p)
        for p in folder.iterdir()
        if p.is_dir() and (m := re.fullmatch(r"run-(\d+)", p.name)) and (p / RECORDS_NAME).is_file()
    ]
    return max(runs)[1] if runs else None


def records_path(src: Path) -> Path:
    """``src`` itself (a records.parquet), a run's folder holding one, or a job's folder (its
    last run that has one)."""
    if src.is_file():
        if src.suffix.lower() != ".parquet":
            raise ValidationFailed(f"{src.name}: cần tệp {RECORDS_NAME} hoặc thư mục của một đợt hợp nhất.")
        return src
    if src.is_dir():
        if (src / RECORDS_NAME).is_file():
            return src / RECORDS_NAME
        run = _latest_run(src)
        if run is not None:
            return run / RECORDS_NAME
        raise ValidationFailed(
            f"{src}: thư mục không có {RECORDS_NAME} (đợt hợp nhất chưa chạy xong lần nào?)."
        )
    raise ValidationFailed(f"Không tìm thấy {src}.")


def read_records(path: Path) -> pa.Table:
    """records.parquet: the raw rows with their person_id; refused with a message when it is not
    one (another parquet, a damaged file)."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ValidationFailed(f"Không mở được tệp {path}.") from None
    if size > MAX_RECORDS_BYTES:
        raise ValidationFailed(f"{path.name}: tệp lớn quá {MAX_RECORDS_BYTES >> 30} GB.")
    try:
        schema = pq.read_schema(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in schema.names]
        if missing:
            raise ValidationFailed(
                f"{path.name}: không phải danh sách hợp nhất của motcua (thiếu cột {', '.join(missing)})."
            )
        table = pq.read_table(path, columns=list(REQUIRED_COLUMNS))
    except (pa.ArrowException, OSError) as exc:
        raise ValidationFailed(f"{path.name}: không đọc được tệp Parquet ({type(exc).__name__}).") from None
    return table


# --------------------------------------------------------------------------------------------
# one row per person
# --------------------------------------------------------------------------------------------


def _most_common(values: Sequence[Any]) -> Any:
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def _text(value: Any) -> str:
    return "" if value is None else clean_text(str(value))


def national_rows(table: pa.Table, *, now: dt.datetime) -> list[dict[str, Any]]:
    """One dict per person (keys: ``Column.key``), in person_id order."""
    ids = table.column("record_id").to_pylist()
    persons = table.column("person_id").to_pylist()
    # A record the run left without a person (never expected) stays a person of its own.
    persons = [p if p else f"?{r}" for r, p in zip(ids, persons, strict=True)]
    raw = table.drop_columns(["person_id"])
    # The addresses are converted below, once per distinct address, with their street part;
    # normalising them here too would only double the slowest step.
    at = raw.schema.get_field_index("address")
    normalised = normalize_table(raw.set_column(at, "address", pa.nulls(raw.num_rows, pa.string())), now=now)
    clusters = pa.table(
        {"record_id": pa.array(ids, pa.string()), "person_id": pa.array(persons, pa.string())}
    )
    records = records_view(raw, normalised, clusters)
    report = quality_report(records)
    phone_of = dict(zip(ids, normalised.column("phone").to_pylist(), strict=True))

    flags: dict[str, list[str]] = defaultdict(list)
    for conflict in report["conflicts"]:
        label = CONFLICT_LABELS[conflict["kind"]]
        for rec in conflict["records"]:
            if label not in flags[rec["person_id"]]:
                flags[rec["person_id"]].append(label)

    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_person[r["person_id"]].append(r)
    distinct = sorted({r["address"] for r in records if r["address"]})
    converted = dict(zip(distinct, addresses.convert_addresses(distinct), strict=True))

    rows = []
    for stt, person in enumerate(merged_persons(records), start=1):
        pid = person["person_id"]
        members = by_person[pid]
        residence = _residence([m["address"] for m in members if m["address"]], converted)
        rows.append(
            {
                "stt": stt,
                "citizen_id": person["citizen_id"],
                "full_name": person["full_name"],
                "birth_date": person["birth_date"],
                "gender": person["gender"],
                "cmnd": person["cmnd"],
                **residence,
                "phone": _most_common([phone_of[m["record_id"]] for m in members if phone_of[m["record_id"]]])
                or "",
                "household_no": person["household_no"],
                "relation_to_head": "",
                "person_id": pid,
                "n_records": len(members),
                "registers": "; ".join(dict.fromkeys(_text(m["source"] or m["file_name"]) for m in members)),
                "record_ids": "; ".join(_text(m["record_id"]) for m in members),
                "provenance": person["provenance"],
                "flag": FLAG if flags.get(pid) else "",
                "flag_reasons": "; ".join(flags.get(pid, [])),
            }
        )
    return rows


def _residence(written: list[str], converted: dict[str, addresses.Converted]) -> dict[str, str]:
    """The person's permanent residence in the 2025 units: the most frequent of their addresses
    that converts to a ward, else to a province only, else the most frequent as written."""
    for status in (addresses.DONE, addresses.PROVINCE_ONLY):
        chosen = _most_common([a for a in written if converted[a].status == status])
        if chosen is not None:
            c = converted[chosen]
            return {
                "residence": c.address,
                "ward_code": "" if c.ward_code is None else f"{c.ward_code:05d}",
                "ward_name": c.ward_name,
                "province_code": "" if c.province_code is None else f"{c.province_code:02d}",
                "province_name": c.province_name,
                "address_as_written": chosen,
                "address_status": f"{c.status}: {c.reason}" if c.reason else c.status,
            }
    chosen = _most_common(written) or ""
    reason = converted[chosen].reason if chosen else "Các danh sách cũ không ghi địa chỉ."
    return {
        "residence": chosen,
        "ward_code": "",
        "ward_name": "",
        "province_code": "",
        "province_name": "",
        "address_as_written": chosen,
        "address_status": f"{addresses.FAILED}: {reason}",
    }


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def guard_csv_cell(value: Any) -> str:
    """A CSV cell no spreadsheet reads as a formula (see ``addresses.guard_csv_cell``)."""
    return addresses.guard_csv_cell(_text(value))


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """``out`` opened with ``encoding="utf-8-sig", newline=""`` (the BOM Excel needs)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([guard_csv_cell(row[k]) for k in _KEYS])


def write_xlsx(rows: Iterable[dict[str, Any]], out: Path | IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from motcua.core.excel import append_text_row, text_cell

    from .export import save_workbook, sheet_parts

    book = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F4")
    rows = rows if isinstance(rows, Sequence) else list(rows)
    # Every value is text except the two counts: codes, dates and IDs never become numbers.
    columns = [[row[k] if k in ("stt", "n_records") else _text(row[k]) for row in rows] for k in _KEYS]
    bodies = {}
    # Past Excel's rows per sheet the list goes on in «Danh sách dân cư (2)»…, each with the header.
    for title, start, stop in sheet_parts(SHEET_NAME, len(rows)):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        append_text_row(sheet, [text_cell(sheet, h, font=bold, fill=fill) for h in HEADERS])
        bodies[title] = [col[start:stop] for col in columns]
    save_workbook(book, out, bodies)


def write(rows: Sequence[dict[str, Any]], out: Path, fmt: str) -> None:
    """``rows`` to ``out`` in ``fmt`` (csv|xlsx), atomically (a partial file never shows)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        if fmt == "csv":
            with partial.open("w", encoding="utf-8-sig", newline="") as fh:
                write_csv(rows, fh)
        else:
            write_xlsx(rows, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def export_file(*, src: Path, out: Path, now: dt.datetime) -> str:
    """The command line: the job folder or records.parquet ``src`` to ``out`` (.csv or .xlsx);
    a Vietnamese summary."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationFailed(f"{out.name}: tệp kết quả phải có đuôi .csv hoặc .xlsx.")
    rows = national_rows(read_records(records_path(src)), now=now)
    write(rows, out, fmt)
    flagged = sum(1 for r in rows if r["flag"])
    records = sum(r["n_records"] for r in rows)
    return (
        f"Đã xuất {_so(len(rows))} người (từ {_so(records)} bản ghi), {_so(flagged)} người cần kiểm tra. "
        f"Kết quả: {out}"
    )


def _run_export_path(run_folder: Path, fmt: str) -> Path:
    """Where the export of ``run_folder``'s current records.parquet is kept (named after its
    inode, modification time and size, so an application of decisions that rewrites it makes the
    old export stale — the inode even when the new file has the old one's size and a time the
    file system cannot tell apart: it is a new file, moved into place)."""
    stat = (run_folder / RECORDS_NAME).stat()
    return run_folder / f"dan-cu-{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}.{fmt}"


def existing_export(run_folder: Path) -> dict[str, Path | None]:
    """Each format's export of the run's current records, if it has been written."""
    if not (run_folder / RECORDS_NAME).is_file():
        return dict.fromkeys(FORMATS)
    return {fmt: p if (p := _run_export_path(run_folder, fmt)).is_file() else None for fmt in FORMATS}


def write_run_exports(*, run_folder: Path, now: dt.datetime) -> dict[str, Path]:
    """Both formats of a finished run's export, made once from its records.parquet and kept beside
    it (older ones removed). Called off the request: by the run (``runner``) and after an
    application of decisions (``tasks.merge_job_files_task``)."""
    source = run_folder / RECORDS_NAME
    if not source.is_file():
        raise ValidationFailed("Đợt hợp nhất chưa có danh sách hợp nhất để xuất.")
    wanted = {fmt: _run_export_path(run_folder, fmt) for fmt in FORMATS}
    missing = [fmt for fmt, path in wanted.items() if not path.is_file()]
    if missing:
        rows = national_rows(read_records(source), now=now)
        for fmt in missing:
            write(rows, wanted[fmt], fmt)
    for fmt, out in wanted.items():
        for stale in run_folder.glob(f"dan-cu-*.{fmt}"):
            if stale != out:
                stale.unlink(missing_ok=True)
    return wanted


def export_for_run(*, run_folder: Path, fmt: str, now: dt.datetime) -> Path:
    """The export of a finished run in ``fmt``, made once and kept beside its records.parquet
    (remade when that file changes)."""
    if fmt not in FORMATS:
        raise ValidationFailed("Định dạng tải về phải là csv hoặc xlsx.")
    if not (run_folder / RECORDS_NAME).is_file():
        raise ValidationFailed("Đợt hợp nhất chưa có danh sách hợp nhất để xuất.")
    out = _run_export_path(run_folder, fmt)
    if not out.is_file():
        write(national_rows(read_records(run_folder / RECORDS_NAME), now=now), out, fmt)
        for stale in run_folder.glob(f"dan-cu-*.{fmt}"):
            if stale != out:
                stale.unlink(missing_ok=True)
    return out


def _so(n: int) -> str:
    return f"{n:,}".replace(",", ".")
