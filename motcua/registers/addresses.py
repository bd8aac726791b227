"""Bulk conversion of old addresses (ward, district, province before 2025) to the new units.

`convert_addresses(lines)` keeps each address's street part as written and replaces its units
by the 2025 two-level form: "12 Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng" →
"12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng". Offline only: the units go through
`geo_cache` (which never lets the library geocode a street), and every distinct address is
converted once per call, so 100,000 lines take a few seconds (see the test).

Three outcomes: «Đã chuyển»; «Chỉ xác định được tỉnh» (the old ward was divided between new
wards — the new wards it went to are named — or no ward was recognised); «Không chuyển được»
with the reason (empty, too long, no unit recognised).

`read_table(raw, name)` reads an uploaded CSV (UTF-8) or .xlsx generically (any columns), with
the registers' guards (`io.check_xlsx_archive`, the row cap, NUL bytes refused);
`convert_table` converts one column of it; `write_xlsx` / `write_csv` write every input row with
the converted columns appended, formula-free.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any

from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import clean_text, fold

from . import geo_cache
from .io import Limits, _cell_text, _delimiter, _sheet_rows, check_xlsx_archive, limits_from_settings
from .normalize import split_address

DONE = "Đã chuyển"
PROVINCE_ONLY = "Chỉ xác định được tỉnh"
FAILED = "Không chuyển được"
STATUSES = (DONE, PROVINCE_ONLY, FAILED)

MAX_ADDRESS_CHARS = 500
MAX_LINES = 100_000
RESULT_COLUMNS = (
    "Địa chỉ sau chuyển đổi",
    "Mã phường/xã mới",
    "Phường/xã mới",
    "Mã tỉnh/thành phố",
    "Tỉnh/thành phố",
    "Kết quả chuyển đổi",
    "Lý do",
)
RESULT_MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_WORD = re.compile(r"\w+(?:/\w+)*")


@dataclass(frozen=True)
class Converted:
    input: str
    address: str
    ward_code: int | None
    ward_name: str
    province_code: int | None
    province_name: str
    status: str
    reason: str

    def cells(self) -> list[Any]:
        return [
            self.address,
            "" if self.ward_code is None else f"{self.ward_code:05d}",
            self.ward_name,
            "" if self.province_code is None else f"{self.province_code:02d}",
            self.province_name,
            self.status,
            self.reason,
        ]


# ----------------------------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------------------------


@cache
def _names() -> tuple[dict[int, str], dict[int, str], dict[str, dict[str, str]]]:
    """2025 ward names and province names by code; ward names by (province key, ward key)."""
    geo_cache._lib()  # the library's import with its warnings silenced
    from vietnamadminunits.parser import parser_from_2025 as new

    provinces = {int(p["provinceCode"]): p["province"] for p in new.DICT_PROVINCE.values()}
    wards: dict[int, str] = {}
    by_key: dict[str, dict[str, str]] = {}
    for province_key, table in new.DICT_PROVINCE_WARD_NO_ACCENTED.items():
        for ward_key, ward in table.items():
            wards[int(ward["wardCode"])] = ward["ward"]
            by_key.setdefault(province_key, {})[ward_key] = ward["ward"]
    return wards, provinces, by_key


def _lower_type(name: str) -> str:
    """ "Phường Thanh Khê" → "phường Thanh Khê", as the unit is written inside an address."""
    return name[:1].lower() + name[1:] if name else name


@lru_cache(maxsize=1 << 14)
def _split_targets(ward: str, district: str | None, province: str | None) -> tuple[str, ...]:
    """The 2025 wards an old ward divided in 2025 went to (empty when it was not divided)."""
    if not district or not province:
        return ()
    old = geo_cache._parse(f"{ward}, {district}, {province}", legacy=True, level=3)
    if not old.ward_key:
        return ()
    _, converter, _ = geo_cache._lib()
    old_key = f"{old.province_key}_{old.district_key}_{old.ward_key}"
    new_province = next((k for k, v in converter.DICT_PROVINCE.items() if old.province_key in v), None)
    if new_province is None or not geo_cache._is_split(converter, new_province, old_key):
        return ()
    names = _names()[2].get(new_province, {})
    targets = converter.DICT_PROVINCE_WARD_DIVIDED[new_province][old_key]
    return tuple(names.get(t["newWardKey"], t["newWardKey"]) for t in targets)


def _street_as_written(text: str, street: Sequence[str]) -> str:
    """The street part of `text` with its diacritics: as many words as the folded street has."""
    wanted = " ".join(street).split()
    if not wanted:
        return ""
    end = 0
    count = 0
    for match in _WORD.finditer(text):
        words = fold(match.group(0).replace("_", " ")).split()
        count += len(words)
        end = match.end()
        if count >= len(wanted):
            break
    written = text[:end].strip(" ,;-–—")
    return written if count == len(wanted) else " ".join(wanted)


def convert_one(raw: str | None) -> Converted:
    text = " ".join(clean_text(raw).split())
    if not text:
        return Converted("", "", None, "", None, "", FAILED, "Dòng trống.")
    if len(text) > MAX_ADDRESS_CHARS:
        return Converted(
            text[:MAX_ADDRESS_CHARS] + "…", "", None, "", None, "", FAILED,
            f"Địa chỉ dài quá {MAX_ADDRESS_CHARS} ký tự.",
        )  # fmt: skip
    split = split_address(text)
    assert split is not None
    units = geo_cache.resolve(
        admin_text=split.admin_text,
        ward=split.ward,
        district=split.district,
        province=split.province,
        ward_marked=split.ward_marked,
        district_marked=split.district_marked,
    )
    wards, provinces, _ = _names()
    province_name = provinces.get(units.new_province_code or -1, "")
    if not province_name:
        return Converted(
            text, "", None, "", None, "", FAILED,
            "Không nhận ra phường/xã, quận/huyện hay tỉnh/thành phố nào trong địa chỉ.",
        )  # fmt: skip
    street = _street_as_written(text, split.street)
    ward_name = wards.get(units.new_ward_code or -1, "")
    if ward_name:
        address = ", ".join(p for p in (street, _lower_type(ward_name), _lower_type(province_name)) if p)
        return Converted(text, address, units.new_ward_code, ward_name, units.new_province_code, province_name,
                         DONE, "")  # fmt: skip
    if split.ward:
        targets = _split_targets(units.old_ward or split.ward, units.old_district, units.old_province)
        if targets:
            reason = f"Phường/xã cũ đã được chia cho: {', '.join(targets)}; cần xác định theo đường phố."
        else:
            reason = f"Không nhận ra phường/xã «{split.ward}» trong {province_name}."
    else:
        reason = "Địa chỉ không ghi phường/xã."
    address = ", ".join(p for p in (street, _lower_type(province_name)) if p)
    return Converted(text, address, None, "", units.new_province_code, province_name, PROVINCE_ONLY, reason)


def convert_addresses(lines: Iterable[str | None]) -> list[Converted]:
    """Each address converted (see the module); a repeated address is converted once."""
    seen: dict[str | None, Converted] = {}
    out: list[Converted] = []
    for line in lines:
        hit = seen.get(line)
        if hit is None:
            hit = seen[line] = convert_one(line)
        out.append(hit)
    return out


def counts(results: Sequence[Converted]) -> dict[str, int]:
    tally = dict.fromkeys(STATUSES, 0)
    for r in results:
        tally[r.status] += 1
    return tally


# ----------------------------------------------------------------------------------------------
# Reading a table (CSV or .xlsx, any columns)
# ----------------------------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]


def _so(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def address_limits() -> Limits:
    from django.conf import settings

    base = limits_from_settings()
    cap = min(base.max_rows, getattr(settings, "MOTCUA_ADDRESS_MAX_LINES", MAX_LINES))
    return Limits(
        max_rows=cap, max_columns=base.max_columns, max_uncompressed_bytes=base.max_uncompressed_bytes
    )


def _too_many(name: str, limits: Limits) -> ValidationFailed:
    return ValidationFailed(
        f"{name}: có hơn {_so(limits.max_rows)} địa chỉ, vượt giới hạn {_so(limits.max_rows)} dòng một lần. "
        "Hãy chia danh sách thành nhiều tệp nhỏ hơn."
    )


def read_table(raw: bytes, name: str, *, limits: Limits | None = None) -> Table:
    """An uploaded CSV (UTF-8, `,` `;` or tab) or .xlsx (first sheet) as text rows."""
    limits = limits or address_limits()
    if raw[:4] == b"PK\x03\x04":
        return _read_xlsx(raw, name, limits)
    if name.lower().endswith(".xlsx"):
        raise ValidationFailed(f"{name}: không phải tệp Excel .xlsx hợp lệ.")
    if b"\x00" in raw:
        raise ValidationFailed(
            f"{name}: tệp chứa ký tự NUL (tệp nhị phân hoặc lưu sai kiểu). Hãy lưu lại thành CSV UTF-8 hoặc .xlsx."
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            f"{name} dòng {line}: tệp không phải UTF-8. "
            "Hãy mở tệp bằng Excel và lưu lại với kiểu «CSV UTF-8 (Comma delimited)»."
        ) from None
    if text.count("\n") > limits.max_rows + 1:
        raise _too_many(name, limits)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if len(row) > limits.max_columns:
                raise ValidationFailed(
                    f"{name}: có {_so(len(row))} cột, vượt giới hạn {limits.max_columns} cột."
                )
            if header is None:
                header = [clean_text(c).strip() for c in row]
                continue
            rows.append([clean_text(c) for c in row])
            lines.append(reader.line_num)
            if len(rows) > limits.max_rows:
                raise _too_many(name, limits)
    except csv.Error as exc:
        raise ValidationFailed(f"{name} dòng {reader.line_num}: không đọc được CSV ({exc}).") from None
    if header is None:
        raise ValidationFailed(f"{name}: tệp trống.")
    return Table(header, rows, lines)


def _read_xlsx(raw: bytes, name: str, limits: Limits) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    from .io import _Problems

    refused = check_xlsx_archive(raw, name, limits)
    if refused:
        raise ValidationFailed(refused[0])
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(
            f"{name}: không đọc được tệp Excel ({type(exc).__name__}). Hãy lưu lại thành .xlsx."
        ) from None
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        if not book.worksheets:
            raise ValidationFailed(f"{name}: tệp Excel không có trang tính nào.")
        for cells in _sheet_rows(book.worksheets[0], name, limits, lambda: None):
            texts = [
                clean_text(_cell_text(getattr(c, "value", None), getattr(c, "number_format", None)) or "")
                for c in cells
            ]
            if not any(t.strip() for t in texts):
                continue
            if header is None:
                header = [t.strip() for t in texts]
                continue
            rows.append(texts)
            lines.append(next((int(c.row) for c in cells if getattr(c, "row", None)), 0))
            if len(rows) > limits.max_rows:
                raise _too_many(name, limits)
    except _Problems as problem:
        raise ValidationFailed(problem.details[0]) from None
    finally:
        book.close()
    if header is None:
        raise ValidationFailed(f"{name}: trang tính đầu tiên trống.")
    return Table(header, rows, lines)


def table_from_text(text: str, *, limits: Limits | None = None) -> Table:
    """Pasted lines, one address each (blank lines skipped)."""
    limits = limits or address_limits()
    if "\x00" in text:
        raise ValidationFailed("Nội dung dán vào chứa ký tự NUL: hãy dán lại văn bản thường.")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) > limits.max_rows:
        raise _too_many("Nội dung dán vào", limits)
    return Table(["Địa chỉ"], [[clean_text(line)] for _, line in lines], [n for n, _ in lines])


def pick_column(header: Sequence[str], wanted: str | None) -> int:
    """The column named `wanted` (case and diacritics ignored); else the first whose name
    contains «địa chỉ»; else the first."""
    keys = [fold(h) for h in header]
    if wanted and wanted.strip():
        key = fold(wanted)
        if key in keys:
            return keys.index(key)
        raise ValidationFailed(
            f"Không có cột «{clean_text(wanted)[:100]}». Các cột của tệp: {', '.join(h[:60] for h in header)}."
        )
    return next((i for i, k in enumerate(keys) if "dia chi" in k), 0)


def convert_table(table: Table, column: int) -> list[Converted]:
    return convert_addresses(row[column] if column < len(row) else "" for row in table.rows)


def _output_rows(table: Table, results: Sequence[Converted]) -> Iterable[list[Any]]:
    width = len(table.header)
    yield [*table.header, *RESULT_COLUMNS]
    for row, result in zip(table.rows, results, strict=True):
        yield [*row[:width], *[""] * (width - len(row)), *result.cells()]


def write_xlsx(table: Table, results: Sequence[Converted], out: Path | IO[bytes]) -> None:
    from openpyxl import Workbook

    from motcua.core.excel import append_text_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Địa chỉ đã chuyển")
    for row in _output_rows(table, results):
        append_text_row(sheet, row)
    book.save(out)


def guard_csv_cell(value: str) -> str:
    """A CSV cell no spreadsheet reads as a formula: a leading = + - @ tab or CR gets a quote."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def write_csv(table: Table, results: Sequence[Converted], out: IO[str]) -> None:
    writer = csv.writer(out)
    for row in _output_rows(table, results):
        writer.writerow([guard_csv_cell(str(c)) for c in row])


# ----------------------------------------------------------------------------------------------
# Results kept for their maker only
# ----------------------------------------------------------------------------------------------


def _results_dir() -> Path:
    from django.conf import settings

    return Path(settings.REGISTERS_ROOT) / "dia-chi"


def store_result(
    *, user_id: int, table: Table, results: Sequence[Converted], now_ts: float | None = None
) -> str:
    """Write the converted workbook for `user_id`; the token that names it. Results older than
    a day (anyone's) are deleted first."""
    folder = _results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now_ts = time.time() if now_ts is None else now_ts
    for old in folder.glob("*.xlsx"):
        try:
            if now_ts - old.stat().st_mtime > RESULT_MAX_AGE_SECONDS:
                old.unlink()
        except FileNotFoundError:  # another request deleted it first
            pass
    token = secrets.token_urlsafe(24)
    path = folder / f"{user_id}-{token}.xlsx"
    partial = path.with_suffix(".part")
    write_xlsx(table, results, partial)
    partial.replace(path)
    return token


def result_path(*, user_id: int, token: str) -> Path:
    """The workbook `token` names, if `user_id` made it; NotFound otherwise."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("Không tìm thấy kết quả chuyển đổi.")
    path = _results_dir() / f"{user_id}-{token}.xlsx"
    if not path.is_file():
        raise NotFound("Không tìm thấy kết quả chuyển đổi (kết quả chỉ được giữ một ngày).")
    return path


def convert_file(*, src: Path, out: Path, column: str = "") -> str:
    """The command line: `src` (CSV/.xlsx) converted to the CSV `out`; a Vietnamese summary."""
    from django.conf import settings

    try:
        size = src.stat().st_size
    except OSError:
        raise ValidationFailed(f"Không mở được tệp {src}.") from None
    if size > settings.MOTCUA_MAX_REGISTER_BYTES:
        raise ValidationFailed(f"{src.name}: tệp lớn hơn {settings.MOTCUA_MAX_REGISTER_BYTES // 2**20} MB.")
    table = read_table(src.read_bytes(), src.name)
    index = pick_column(table.header, column)
    started = time.perf_counter()
    results = convert_table(table, index)
    seconds = time.perf_counter() - started
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        write_csv(table, results, fh)
    tally = counts(results)
    return (
        f"Đã xử lý {_so(len(results))} địa chỉ (cột «{table.header[index] if index < len(table.header) else ''}») "
        f"trong {seconds:.1f} giây: {_so(tally[DONE])} đã chuyển, {_so(tally[PROVINCE_ONLY])} chỉ xác định "
        f"được tỉnh, {_so(tally[FAILED])} không chuyển được. Kết quả: {out}"
    )
