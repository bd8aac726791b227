"""Reading the old wards' registers: CSV (UTF-8) or .xlsx, refused whole when anything is wrong.

`read_register(path)` returns a `pyarrow.Table` with the nine columns of the officials' header
as strings (surrounding spaces trimmed, None for blank), `line_no` (the line in the file, header
= 1; for .xlsx the sheet's row number) and `file_name`. `read_registers(paths)` concatenates
several and refuses a record_id that appears twice, within one file or across files.

A bad file is refused with `ValidationFailed`, whose `details` list every problem found, each
with its file and line: wrong or missing header, not UTF-8 (the first bad line), rows with the
wrong number of cells, empty record_id, duplicate record_id, an empty file. Nothing is returned
half-read.

Leniency, on purpose: header names match case-insensitively and after trimming ("Full_Name "),
in any order; a UTF-8 BOM is accepted; ";" or tab separators are recognised from the header
(Excel in some locales writes them); rows whose cells are all blank (Excel's trailing ",,,,,,,,")
are skipped; in .xlsx a title block above the header row is skipped. Numbers in .xlsx cells are
written without ".0" (and with the cell's zero-padding format, e.g. 000000000000, applied);
dates as dd/mm/yyyy.

CSV is parsed by pyarrow (all columns as strings) — a million rows in well under a second; the
standard csv module takes over only for files with blank lines or ragged rows, where exact line
numbers need it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from motcua.core.errors import ValidationFailed
from motcua.core.text import fold

COLUMNS = (
    "record_id",
    "source",
    "full_name",
    "birth_date",
    "gender",
    "citizen_id",
    "address",
    "phone",
    "household_no",
)
HEADER = ",".join(COLUMNS)
# The same columns as a commune's clerk writes them. A header cell matches after folding
# (no diacritics, any case, "_" read as a space), so "HỌ VÀ TÊN", "Ho va ten" and "full_name" all
# name full_name.
VIETNAMESE_HEADER = {
    "record_id": ("Mã bản ghi", "Mã định danh bản ghi", "Mã dòng"),
    "source": ("Danh sách cũ", "Danh sách", "Nguồn", "Sổ", "Đơn vị cũ", "Phường cũ", "Xã cũ"),
    "full_name": ("Họ và tên", "Họ tên"),
    "birth_date": ("Ngày sinh", "Ngày tháng năm sinh", "Năm sinh"),
    "gender": ("Giới tính",),
    "citizen_id": (
        "Số CCCD",
        "CCCD",
        "Số CCCD/CMND",
        "Số CMND/CCCD",
        "Số căn cước",
        "Số căn cước công dân",
        "Số định danh cá nhân",
    ),
    "address": ("Địa chỉ", "Địa chỉ thường trú", "Nơi thường trú"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT"),
    "household_no": ("Số hộ khẩu", "Số sổ hộ khẩu", "Số hộ"),
}
HEADER_VI = ", ".join(names[0] for names in VIETNAMESE_HEADER.values())


def _header_key(text: str) -> str:
    return " ".join(fold(text).replace("_", " ").split()).strip(" :.*")


_ALIASES = {_header_key(c): c for c in COLUMNS} | {
    _header_key(alias): column for column, aliases in VIETNAMESE_HEADER.items() for alias in aliases
}


def canonical_column(cell: Any) -> str:
    """The canonical column a header cell names, or its folded text when it names none."""
    key = _header_key(str(cell)) if cell is not None else ""
    return _ALIASES.get(key, key)


@dataclass(frozen=True)
class Limits:
    """Caps on what a register file may hold, checked before and while it is read: a small
    .xlsx may declare a billion rows or unzip to gigabytes (a «spreadsheet bomb")."""

    max_rows: int = 1_000_000
    max_columns: int = 60
    max_uncompressed_bytes: int = 512 * 1024 * 1024
    max_zip_entries: int = 500
    # An entry above 1 MB that unzips to more than this many times its compressed size is refused
    # (real sheets compress 5-30 times; a bomb thousands of times).
    max_ratio: int = 200


def limits_from_settings() -> Limits:
    """The caps set in the settings (MOTCUA_REGISTER_MAX_*), or the defaults outside Django."""
    from django.conf import settings

    default = Limits()
    if not settings.configured:  # pragma: no cover - the CLI and the app always configure
        return default
    return Limits(
        max_rows=getattr(settings, "MOTCUA_REGISTER_MAX_ROWS", default.max_rows),
        max_columns=getattr(settings, "MOTCUA_REGISTER_MAX_COLUMNS", default.max_columns),
        max_uncompressed_bytes=getattr(
            settings, "MOTCUA_REGISTER_MAX_UNCOMPRESSED_BYTES", default.max_uncompressed_bytes
        ),
    )


def _so(n: int) -> str:
    """A count the Vietnamese way: 1.000.000."""
    return f"{n:,}".replace(",", ".")


SCHEMA = pa.schema(
    [*[(name, pa.string()) for name in COLUMNS], ("line_no", pa.int64()), ("file_name", pa.string())]
)

_UTF8_BOM = b"\xef\xbb\xbf"
_SAVE_AS_UTF8 = "Hãy mở tệp bằng Excel và lưu lại với kiểu «CSV UTF-8 (Comma delimited)»."
_MAX_TITLE_ROWS = 20


Stop = Callable[[], None]


def _never() -> None:
    return None


class _Problems(Exception):
    """Problems of one file, gathered before the single ValidationFailed is raised."""

    def __init__(self, details: list[str]):
        super().__init__("; ".join(details))
        self.details = details


def read_register(path: Path | str, *, limits: Limits | None = None) -> pa.Table:
    """One register file (CSV or .xlsx) as a table; ValidationFailed listing every problem."""
    return read_registers([path], limits=limits)


def read_registers(
    paths: Sequence[Path | str], *, limits: Limits | None = None, should_stop: Stop | None = None
) -> pa.Table:
    """Several registers, concatenated; a record_id may appear only once across all of them.

    ``limits`` (default: the settings) caps rows, columns and what an .xlsx unzips to;
    ``should_stop()`` is asked between files and every few thousand rows of an .xlsx: a
    cancelled or timed-out merge stops reading (it raises what it likes, e.g. Cancelled)."""
    limits = limits or limits_from_settings()
    stop = should_stop or _never
    files = [Path(p) for p in paths]
    if not files:
        raise ValidationFailed("Chưa chọn tệp sổ nào.", details=["Chưa chọn tệp sổ nào."])
    tables: list[pa.Table] = []
    details: list[str] = []
    for path in files:
        stop()
        table, problems = _read_one(path, limits, stop)
        details.extend(problems)
        if table is not None:
            tables.append(table)
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    details.extend(_duplicates(table))
    if details:
        raise _refusal(files, details)
    return table


def _refusal(paths: Sequence[Path], details: list[str]) -> ValidationFailed:
    names = ", ".join(p.name for p in paths)
    count = len(details)
    message = (
        f"Không nhận được sổ ({names}): {details[0]}"
        if count == 1
        else f"Không nhận được sổ ({names}): có {count} lỗi, xem danh sách."
    )
    return ValidationFailed(message, details=details)


# ----------------------------------------------------------------------------------------------
# One file
# ----------------------------------------------------------------------------------------------


def _read_one(path: Path, limits: Limits, stop: Stop) -> tuple[pa.Table | None, list[str]]:
    """The file's rows and its problems; no table when the file cannot be read at all."""
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [f"{name}: không tìm thấy tệp."]
    except OSError as exc:
        return None, [f"{name}: không đọc được tệp ({exc.strerror or exc})."]
    problems: list[str] = []
    try:
        if raw.startswith(b"PK\x03\x04"):
            columns, lines = _read_xlsx(raw, name, problems, limits, stop)
        elif raw.startswith(b"\xd0\xcf\x11\xe0"):
            return None, [
                f"{name}: tệp Excel đời cũ (.xls) không đọc được; hãy lưu lại thành .xlsx hoặc CSV UTF-8."
            ]
        else:
            columns, lines = _read_csv(raw, name, problems, limits)
    except _Problems as fatal:
        return None, fatal.details
    return _finish(columns, lines, name, problems)


def _finish(
    columns: dict[str, Any], line_no: pa.Array, name: str, problems: list[str]
) -> tuple[pa.Table | None, list[str]]:
    """Trim, blank → None, drop all-blank rows; empty record_id and empty files are problems."""
    cleaned = {column: _blank_to_null(columns[column]) for column in COLUMNS}
    table = pa.table({**cleaned, "line_no": pc.cast(line_no, pa.int64())})
    any_value = pc.is_valid(cleaned[COLUMNS[0]])
    for column in COLUMNS[1:]:
        any_value = pc.or_(any_value, pc.is_valid(cleaned[column]))
    if table.num_rows and not pc.all(any_value).as_py():
        table = table.filter(any_value)
    if table.num_rows == 0 and not problems:
        return None, [f"{name}: tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề hoặc trống)."]
    no_id = pc.is_null(table.column("record_id"))
    if pc.any(no_id).as_py():
        lines = table.filter(no_id).column("line_no").to_pylist()
        problems.extend(f"{name} dòng {line}: thiếu record_id." for line in lines)
        table = table.filter(pc.invert(no_id))
    names = pa.array([name] * table.num_rows, pa.string())
    return table.append_column("file_name", names).cast(SCHEMA), problems


def _blank_to_null(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """Surrounding whitespace trimmed and blank strings turned into nulls, without copying text twice."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = []
    for chunk in chunks:
        trimmed = pc.utf8_trim_whitespace(pc.cast(chunk, pa.string()))
        if trimmed.offset:
            trimmed = pa.concat_arrays([trimmed])
        keep = pc.and_(pc.is_valid(trimmed), pc.greater(pc.binary_length(trimmed), 0))
        if keep.offset or keep.buffers()[0] is not None:  # pragma: no cover - fresh kernel output
            keep = pc.fill_null(pa.concat_arrays([keep]), False)
        _, offsets, data = trimmed.buffers()
        out.append(pa.Array.from_buffers(pa.string(), len(trimmed), [keep.buffers()[1], offsets, data]))
    return pa.chunked_array(out, pa.string())


def _duplicates(table: pa.Table) -> list[str]:
    """One line per repeated record_id, with every file and line it appears on."""
    if table.num_rows == 0:
        return []
    counts = table.group_by("record_id").aggregate([("record_id", "count")])
    repeated = counts.filter(pc.greater(counts.column("record_id_count"), 1)).column("record_id")
    if len(repeated) == 0:
        return []
    rows = table.filter(pc.is_in(table.column("record_id"), value_set=repeated))
    places: dict[str, list[str]] = {}
    files: dict[str, set[str]] = {}
    for record_id, file_name, line in zip(
        rows.column("record_id").to_pylist(),
        rows.column("file_name").to_pylist(),
        rows.column("line_no").to_pylist(),
        strict=True,
    ):
        places.setdefault(record_id, []).append(f"{file_name} dòng {line}")
        files.setdefault(record_id, set()).add(file_name)
    details = [f"record_id «{rid}» bị trùng: {'; '.join(where)}." for rid, where in places.items()]
    if any(len(f) > 1 for f in files.values()):
        details.append(
            "Nếu mỗi sổ tự đánh số record_id từ 1, hãy thêm tiền tố riêng cho từng sổ "
            "(ví dụ mã phường cũ) để record_id không trùng giữa các sổ."
        )
    return details


def _check_header(cells: Sequence[Any], name: str, line: int = 1) -> list[int]:
    """Index of each expected column in the header row (English or Vietnamese names); _Problems
    naming what is wrong."""
    found = [canonical_column(c) for c in cells]
    while found and not found[-1]:
        found.pop()
    problems = []
    positions = []
    for column in COLUMNS:
        hits = [i for i, cell in enumerate(found) if cell == column]
        if len(hits) > 1:
            problems.append(f"cột «{column}» xuất hiện {len(hits)} lần")
        positions.append(hits[0] if hits else -1)
    missing = [c for c, i in zip(COLUMNS, positions, strict=True) if i < 0]
    extra = [cells[i] for i, cell in enumerate(found) if cell not in COLUMNS]
    if missing:
        problems.append("thiếu cột " + ", ".join(f"«{c}»" for c in missing))
    if extra:
        shown = ", ".join(f"«{str(c).strip()}»" if c not in (None, "") else "(cột không tên)" for c in extra)
        problems.append("thừa cột " + shown)
    if problems:
        raise _Problems(
            [
                f"{name} dòng {line}: tiêu đề không đúng — {'; '.join(problems)}. Tiêu đề cần có: {HEADER} "
                f"(hoặc bằng tiếng Việt: {HEADER_VI})."
            ]
        )
    return positions


# ----------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------


def _first_bad_line(raw: bytes) -> tuple[int, str] | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        end = raw.find(b"\n", exc.start)
        shown = raw[start : end if end >= 0 else len(raw)][:80].decode("utf-8", "replace").strip()
        return line, shown
    return None


def _not_utf8(name: str, line: int, shown: str) -> _Problems:
    return _Problems(
        [
            f"{name} dòng {line}: tệp không phải mã UTF-8 (gặp ký tự không đọc được: «{shown}»). "
            "Có thể tệp được lưu bằng bảng mã khác (Windows-1258, TCVN3, VNI). " + _SAVE_AS_UTF8
        ]
    )


def _read_csv(raw: bytes, name: str, problems: list[str], limits: Limits) -> tuple[dict[str, Any], pa.Array]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Problems(
            [f"{name}: tệp được lưu bằng mã UTF-16 («Unicode Text»), không phải UTF-8. {_SAVE_AS_UTF8}"]
        )
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    if not _has_data(raw):
        raise _Problems([f"{name}: tệp trống."])
    end = raw.find(b"\n")
    header_bytes = raw if end < 0 else raw[:end]
    try:
        header_line = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise _not_utf8(name, 1, header_bytes[:80].decode("utf-8", "replace")) from None
    delimiter = _delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if len(header) > limits.max_columns:
        raise _Problems([_too_many_columns(name, len(header), limits)])
    positions = _check_header(header, name)
    body = b"" if end < 0 else raw[end + 1 :]
    # Every row ends with a newline (a quoted value may hold more): the count bounds the rows.
    if body.count(b"\n") > limits.max_rows and _count_csv_rows(body, delimiter, limits) > limits.max_rows:
        raise _Problems([_too_many_rows(name, limits)])
    # A blank line before the last data line shifts line numbers: the slow path counts exactly.
    if _has_data(body) and not _blank_line_inside(body):
        fast = _read_csv_fast(body, len(header), delimiter, positions, name)
        if fast is not None:
            return fast
    return _read_csv_slow(raw, delimiter, len(header), positions, name, problems)


_NON_SPACE = re.compile(rb"\S")


def _has_data(body: bytes) -> bool:
    return _NON_SPACE.search(body) is not None


def _blank_line_inside(body: bytes) -> bool:
    """A blank line followed by more data (trailing blank lines are harmless)."""
    if body.startswith((b"\n", b"\r\n")):
        return True
    for pattern in (b"\n\n", b"\n\r\n"):
        at = body.find(pattern)
        if at >= 0 and _NON_SPACE.search(body, at) is not None:
            return True
    return False


def _delimiter(header_line: str) -> str:
    best = ","
    for candidate in (",", ";", "\t"):
        cells = {canonical_column(c) for c in header_line.split(candidate)}
        if len(cells & set(COLUMNS)) > 1:
            return candidate
        if header_line.count(candidate) > header_line.count(best):
            best = candidate
    return best


def _read_csv_fast(
    body: bytes, width: int, delimiter: str, positions: list[int], name: str
) -> tuple[dict[str, Any], pa.Array] | None:
    """pyarrow parse; None when the file needs the line-exact slow path (ragged rows)."""
    ragged: list[Any] = []

    def on_invalid(row: Any) -> str:
        ragged.append(row)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        bad = _first_bad_line(body)
        if bad is not None:
            raise _not_utf8(name, bad[0] + 1, bad[1]) from None
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():  # pragma: no cover - caught above
            raise _Problems([f"{name}: tệp không phải mã UTF-8. {_SAVE_AS_UTF8}"]) from None
        return None
    if ragged:
        return None
    columns = {column: table.column(names[i]) for column, i in zip(COLUMNS, positions, strict=True)}
    # Line numbers: header is line 1; a quoted value spanning lines pushes the next rows down.
    n = table.num_rows
    base = pa.array(np.arange(2, n + 2, dtype=np.int64))
    if body.count(b"\n") > n:
        newlines = None
        for i in range(width):
            counts = pc.cast(pc.count_substring(table.column(names[i]), "\n"), pa.int64())
            newlines = counts if newlines is None else pc.add(newlines, counts)
        if newlines is not None and pc.max(newlines).as_py():
            before = pc.subtract(pc.cumulative_sum(newlines), newlines)
            base = pc.add(base, before)
    return columns, base


def _read_csv_slow(
    raw: bytes, delimiter: str, width: int, positions: list[int], name: str, problems: list[str]
) -> tuple[dict[str, pa.Array], pa.Array]:
    bad = _first_bad_line(raw)
    if bad is not None:
        raise _not_utf8(name, bad[0], bad[1])
    text = raw.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    values: list[list[str]] = [[] for _ in COLUMNS]
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                start = reader.line_num + 1
                continue
            if len(row) != width:
                if len(row) > width and not any(cell.strip() for cell in row[width:]):
                    row = row[:width]
                else:
                    problems.append(f"{name} dòng {start}: có {len(row)} ô, tiêu đề có {width} cột.")
                    start = reader.line_num + 1
                    continue
            for target, i in zip(values, positions, strict=True):
                target.append(row[i])
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(f"{name} dòng {reader.line_num}: không đọc được ({exc}).")
    return (
        {column: pa.array(v, pa.string()) for column, v in zip(COLUMNS, values, strict=True)},
        pa.array(lines, pa.int64()),
    )


# ----------------------------------------------------------------------------------------------
# Excel
# ----------------------------------------------------------------------------------------------


def _cell_text(value: Any, number_format: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return repr(value)
        number = str(int(value))
        if number_format and re.fullmatch(r"0{2,}", number_format):
            number = number.zfill(len(number_format))  # "000000000000": the ID as the officer sees it
        return number
    return str(value)


def _too_many_rows(name: str, limits: Limits) -> str:
    return (
        f"{name}: tệp có hơn {_so(limits.max_rows)} dòng, vượt giới hạn {_so(limits.max_rows)} dòng "
        "của một tệp. Hãy chia danh sách thành nhiều tệp nhỏ hơn."
    )


def _too_many_columns(name: str, found: int, limits: Limits) -> str:
    return (
        f"{name}: tệp có {_so(found)} cột, vượt giới hạn {_so(limits.max_columns)} cột. "
        f"Danh sách chỉ cần các cột: {HEADER}."
    )


def _count_csv_rows(body: bytes, delimiter: str, limits: Limits) -> int:
    """Rows of a CSV body (quoted newlines counted once), stopping past the cap."""
    reader = csv.reader(io.StringIO(body.decode("utf-8", "replace"), newline=""), delimiter=delimiter)
    n = 0
    for row in reader:
        if row:
            n += 1
            if n > limits.max_rows:
                break
    return n


def _mb(n: int) -> str:
    return f"{_so(max(1, round(n / 2**20)))} MB"


def check_xlsx_archive(source: IO[bytes] | bytes, name: str, limits: Limits) -> list[str]:
    """What is wrong with an .xlsx as a zip archive, before anything unzips it: too many
    entries, an entry or the whole too large once unzipped, an entry compressed like a bomb, a
    sheet declaring more rows or columns than the caps. Reads only the zip directory and the
    start of each sheet (its <dimension>): a second at most, whatever the file claims.

    The sizes come from the zip directory; Python's zipfile never returns more bytes than the
    directory declares (a lying entry fails its CRC), so openpyxl cannot unzip more than checked."""
    from openpyxl.worksheet._read_only import read_dimension

    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [f"{name}: không đọc được tệp Excel ({exc}). Hãy lưu lại thành .xlsx."]
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_zip_entries:
            return [
                f"{name}: tệp Excel gồm {_so(len(entries))} phần, vượt giới hạn {_so(limits.max_zip_entries)} "
                "phần. Hãy lưu lại danh sách thành .xlsx chỉ có một trang tính hoặc CSV UTF-8."
            ]
        total = sum(e.file_size for e in entries)
        cap = _mb(limits.max_uncompressed_bytes)
        for entry in entries:
            if entry.file_size > limits.max_uncompressed_bytes or (
                entry.file_size > 2**20 and entry.file_size > limits.max_ratio * max(entry.compress_size, 1)
            ):
                return [
                    f"{name}: tệp Excel bất thường — phần «{entry.filename[:60]}» giải nén ra "
                    f"{_mb(entry.file_size)} (từ {_mb(entry.compress_size)}), vượt giới hạn {cap} "
                    f"hoặc {limits.max_ratio} lần. Tệp bị từ chối để bảo vệ máy chủ; hãy lưu lại danh "
                    "sách từ Excel thành .xlsx hoặc CSV UTF-8."
                ]
        if total > limits.max_uncompressed_bytes:
            return [
                f"{name}: tệp Excel giải nén ra {_mb(total)}, vượt giới hạn {cap}. "
                "Hãy chia danh sách thành nhiều tệp nhỏ hơn."
            ]
        for entry in entries:
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", entry.filename):
                continue
            try:
                with archive.open(entry) as part:
                    bounds = read_dimension(part)
            except Exception as exc:  # a broken sheet is the officer's file, not a server error
                return [f"{name}: không đọc được tệp Excel ({type(exc).__name__}). Hãy lưu lại thành .xlsx."]
            problem = _declared_too_large(name, bounds, limits)
            if problem:
                return [problem]
    return []


def _declared_too_large(name: str, bounds: Any, limits: Limits) -> str | None:
    if not bounds:
        return None
    _min_col, _min_row, max_col, max_row = bounds
    if max_row is not None and max_row > limits.max_rows:
        return (
            f"{name}: trang tính khai báo {_so(max_row)} dòng, vượt giới hạn {_so(limits.max_rows)} dòng "
            "của một tệp. Hãy chia danh sách thành nhiều tệp nhỏ hơn, hoặc mở tệp bằng Excel, xoá các "
            "dòng trống ở cuối rồi lưu lại."
        )
    if max_col is not None and max_col > limits.max_columns:
        return _too_many_columns(name, max_col, limits)
    return None


def check_upload(fileobj: Any, name: str, limits: Limits | None = None) -> list[str]:
    """The caps a file can be checked against in a second, at upload: for .xlsx the archive
    and the declared sheet size (``check_xlsx_archive``); for CSV the number of lines.
    ``fileobj``: a binary file open for reading and seeking (an upload, an open file)."""
    limits = limits or limits_from_settings()
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    try:
        if head == b"PK\x03\x04":
            return check_xlsx_archive(fileobj, name, limits)
        lines = 0
        for chunk in iter(lambda: fileobj.read(1 << 20), b""):
            lines += chunk.count(b"\n")
        if lines > limits.max_rows + 1:
            return [_too_many_rows(name, limits)]
        return []
    finally:
        fileobj.seek(0)


_STOP_EVERY = 5000  # rows between two questions to should_stop()


def _read_xlsx(
    raw: bytes, name: str, problems: list[str], limits: Limits, stop: Stop
) -> tuple[dict[str, pa.Array], pa.Array]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    refused = check_xlsx_archive(raw, name, limits)
    if refused:
        raise _Problems(refused)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _Problems([f"{name}: không đọc được tệp Excel ({exc}). Hãy lưu lại thành .xlsx."]) from None
    try:
        if not workbook.worksheets:
            raise _Problems([f"{name}: tệp Excel không có trang tính nào."])
        sheet = workbook.worksheets[0]
        declared = (sheet.min_column, sheet.min_row, sheet.max_column, sheet.max_row)
        problem = _declared_too_large(name, declared, limits)
        if problem:
            raise _Problems([problem])
        return _read_sheet(_sheet_rows(sheet, name, limits, stop), name, problems)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, name: str, limits: Limits, stop: Stop) -> Iterable[Any]:
    """The rows the sheet holds, each with its row number, refused past the caps as they come.

    openpyxl's ``iter_rows`` yields an empty row for every row number between two written rows
    and up to the declared dimension (a billion of them in the «dimension bomb»); its row parser
    (what ``iter_rows`` uses) yields only the rows written, so a row numbered past the cap is
    refused at once."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for n, (row_no, cells) in enumerate(parser.parse(), start=1):
            if row_no > limits.max_rows:
                raise _Problems([_too_many_rows(name, limits)])
            if cells and cells[-1]["column"] > limits.max_columns:
                if any(c["value"] not in (None, "") for c in cells if c["column"] > limits.max_columns):
                    raise _Problems([_too_many_columns(name, cells[-1]["column"], limits)])
                cells = [c for c in cells if c["column"] <= limits.max_columns]
            if n % _STOP_EVERY == 0:
                stop()
            yield sheet._get_row(cells, 1, None, False) if cells else ()


def _read_sheet(rows: Iterable[Any], name: str, problems: list[str]) -> tuple[dict[str, pa.Array], pa.Array]:
    iterator = iter(rows)
    positions: list[int] | None = None
    first_problem: _Problems | None = None
    seen = 0
    for cells in iterator:
        texts = [_cell_text(getattr(c, "value", None), getattr(c, "number_format", None)) for c in cells]
        if not any(t is not None and t.strip() for t in texts):
            continue
        row_no = _row_number(cells)
        seen += 1
        try:
            positions = _check_header(texts, name, row_no)
            width = max(positions) + 1
            break
        except _Problems as problem:
            first_problem = first_problem or problem
            if seen >= _MAX_TITLE_ROWS:
                break
    if positions is None:
        if first_problem is not None:
            raise first_problem
        raise _Problems([f"{name}: trang tính đầu tiên trống."])
    values: list[list[str | None]] = [[] for _ in COLUMNS]
    lines: list[int] = []
    for cells in iterator:
        texts = [_cell_text(c.value, c.number_format) if hasattr(c, "value") else None for c in cells]
        if not any(t is not None and t.strip() for t in texts):
            continue
        row_no = _row_number(cells)
        beyond = [t for t in texts[width:] if t is not None and t.strip()]
        if beyond and len(texts) > width:
            problems.append(f"{name} dòng {row_no}: có dữ liệu ở cột không có tiêu đề.")
            continue
        texts += [None] * (width - len(texts))
        for target, i in zip(values, positions, strict=True):
            target.append(texts[i])
        lines.append(row_no)
    return (
        {column: pa.array(v, pa.string()) for column, v in zip(COLUMNS, values, strict=True)},
        pa.array(lines, pa.int64()),
    )


def _row_number(cells: Sequence[Any]) -> int:
    for cell in cells:
        row = getattr(cell, "row", None)
        if row is not None:
            return int(row)
    return 0
