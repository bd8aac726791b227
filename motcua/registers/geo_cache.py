"""Old (ward, district, province) → new ward and province codes, via `vietnamadminunits`.

The library is called only with administrative units — never with a street: given a street
and a ward that 2025 split between two new wards, `convert_address` geocodes the street online
(ArcGIS), and there is no internet here. Before each `convert_address` call the text is parsed
the same way the converter parses it and refused if a street would come out of it.

Every distinct unit text is parsed once and every distinct old unit converted once (module
level caches), so a million rows cost a few hundred library calls.

Behaviour of vietnamadminunits 1.0.4 found while writing this (tests pin it):

* Case and diacritics are ignored: "phuong xuan ha, quan thanh khe, thanh pho da nang" parses
  like the accented form (only a handful of wards differ by accents alone, e.g. Sa Pa / Sa Pả).
  Abbreviations are understood ("P1, Q3, TPHCM") but leave junk that the converter takes for a
  street ("P. Xuân Hà, …" → street "P"); `normalize.split_address` therefore expands them and
  passes folded full words.
* It knows earlier merges: "phường Tam Thuận" parses as Xuân Hà, "phường Hòa Khê" as Thanh Khê
  Đông (both Đà Nẵng); the converter then gives the 2025 ward (Xuân Hà → phường Thanh Khê).
* A ward divided between several new wards (471 in its data, e.g. xã Hòa Liên → Hải Vân or
  Liên Chiểu) is resolved by geocoding the street, or, with no street, to a "default" new ward.
  That default is a guess, so here the new ward code stays None and only the province is kept.
* The 2025 parser is greedy on old-form text: "quận Thanh Khê, thành phố Đà Nẵng" comes out as
  phường Thanh Khê, "xã Cẩm Lĩnh, huyện Ba Vì" as xã Ba Vì, and without a province it guesses
  one from any ward-like substring ("phuong xuan ha, quan thanh khe" → xã Quan Thành, Nghệ An).
  It is used only for addresses written in the new two-level form (a ward and no district) and
  its answer is kept only when the ward name it found is the ward name written.
* The legacy parser needs the district to find a ward: "phường Xuân Hà, Đà Nẵng" yields only the
  province. When the ward name exists in exactly one district of the province, that district is
  filled in and the address parsed again.
"""

from __future__ import annotations

import re
import threading
import warnings
from functools import cache
from typing import Any, NamedTuple

from motcua.core.text import fold


class Units(NamedTuple):
    old_ward: str | None
    old_district: str | None
    old_province: str | None
    new_ward_code: int | None
    new_province_code: int | None


class Converted(NamedTuple):
    new_ward_code: int | None
    new_province_code: int | None
    split: bool


EMPTY = Units(None, None, None, None, None)

_units: dict[tuple[Any, ...], Units] = {}
_converted: dict[tuple[str | None, str | None, str | None], Converted] = {}
_lock = threading.Lock()
MAX_CACHED = 200_000
calls = {"parse": 0, "convert": 0}
"""Library calls made by this process (for tests and the benchmark)."""

_TYPE = re.compile(r"^(?:phuong|xa|thi tran|dac khu|quan|huyen|thi xa|thanh pho|tinh)\s+")


@cache
def _lib() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import vietnamadminunits
        from vietnamadminunits.converter import converter_2025
        from vietnamadminunits.parser import parser_legacy
    return vietnamadminunits, converter_2025, parser_legacy


def clear() -> None:
    """Forget every cached answer (tests)."""
    with _lock:
        _units.clear()
        _converted.clear()
        calls["parse"] = calls["convert"] = 0


def _name(unit: str | None) -> str:
    """Folded name without its type word, numbers without leading zeros: "phuong 01" → "1"."""
    text = _TYPE.sub("", fold(unit))
    return " ".join(w.lstrip("0") or "0" if w.isdigit() else w for w in text.split())


def _code(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _parse(text: str, *, legacy: bool, level: int) -> Any:
    lib, _, _ = _lib()
    calls["parse"] += 1
    mode = lib.ParseMode.LEGACY if legacy else lib.ParseMode.FROM_2025
    return lib.parse_address(text, mode=mode, keep_street=False, level=level)


def resolve(
    *,
    admin_text: str | None,
    ward: str | None = None,
    district: str | None = None,
    province: str | None = None,
    ward_marked: bool = False,
    district_marked: bool = False,
) -> Units:
    """Old units (folded canonical names) and new codes for the units part of one address.

    `admin_text` is "ward, district, province" as written (folded, abbreviations expanded, no
    street); the other arguments are the same units as `normalize.split_address` read them.
    """
    if not admin_text:
        return EMPTY
    key = (admin_text, ward, district, province, ward_marked, district_marked)
    hit = _units.get(key)
    if hit is not None:
        return hit
    with _lock:
        hit = _units.get(key)
        if hit is None:
            if len(_units) >= MAX_CACHED:  # junk text can be endless; real unit spellings are not
                _units.clear()
            hit = _units[key] = _resolve(admin_text, ward, district, province, ward_marked, district_marked)
    return hit


def _resolve(
    admin_text: str,
    ward: str | None,
    district: str | None,
    province: str | None,
    ward_marked: bool,
    district_marked: bool,
) -> Units:
    old = _parse(admin_text, legacy=True, level=3)
    if old.ward_key:
        return _old_units(old)
    if ward and not district_marked:
        new = _new_form(ward, province, old.province_key)
        if new is not None:
            return new
        if old.province_key:
            retry = _with_unique_district(ward, old.province_key)
            if retry is not None and retry.ward_key:
                return _old_units(retry)
    if old.province_key:
        converted = _convert(old.province_key, old.district_key, None)
        return Units(
            old_ward=ward,
            old_district=fold(old.district) if old.district else district,
            old_province=fold(old.province),
            new_ward_code=None,
            new_province_code=converted.new_province_code,
        )
    new_province = _parse(admin_text, legacy=False, level=1)
    if new_province.province_key:
        return Units(ward, district, fold(new_province.province), None, _code(new_province.province_code))
    return Units(ward, district, province, None, None)


def _old_units(old: Any) -> Units:
    converted = _convert(old.province_key, old.district_key, old.ward_key)
    return Units(
        old_ward=fold(old.ward),
        old_district=fold(old.district),
        old_province=fold(old.province),
        new_ward_code=converted.new_ward_code,
        new_province_code=converted.new_province_code,
    )


def _new_form(ward: str, province: str | None, old_province_key: str | None) -> Units | None:
    """The address read as the 2025 two-level form, if the ward written is a 2025 ward."""
    _, converter, _ = _lib()
    text = f"{ward}, {province}" if province else ward
    new = _parse(text, legacy=False, level=2)
    if not new.ward_key or _name(new.ward) != _name(ward):
        return None
    if old_province_key and old_province_key not in converter.DICT_PROVINCE.get(new.province_key, []):
        return None
    return Units(
        old_ward=fold(new.ward),
        old_district=None,
        old_province=fold(new.province),
        new_ward_code=_code(new.ward_code),
        new_province_code=_code(new.province_code),
    )


def _with_unique_district(ward: str, province_key: str) -> Any | None:
    """Parse again with the district filled in when exactly one district has this ward name."""
    _, _, legacy = _lib()
    wanted = {ward.replace(" ", ""), _name(ward).replace(" ", "")}
    districts = legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED.get(province_key, {})
    found = [
        district_key
        for district_key, wards in districts.items()
        if any(wanted & set(w["wardKeywords"]) for w in wards.values())
    ]
    if len(found) != 1:
        return None
    district = legacy.DICT_PROVINCE_DISTRICT[province_key][found[0]]["district"]
    province = legacy.DICT_PROVINCE[province_key]["province"]
    return _parse(f"{ward}, {fold(district)}, {fold(province)}", legacy=True, level=3)


def _convert(province_key: str | None, district_key: str | None, ward_key: str | None) -> Converted:
    """New ward and province codes of one old unit (canonical keys), once per unit."""
    key = (province_key, district_key, ward_key)
    hit = _converted.get(key)
    if hit is not None:
        return hit
    lib, converter, legacy = _lib()
    names: list[str] = []
    if province_key:
        province = legacy.DICT_PROVINCE[province_key]
        if district_key:
            district = legacy.DICT_PROVINCE_DISTRICT[province_key][district_key]
            if ward_key:
                ward = _legacy_ward(legacy, province_key, district_key, ward_key)
                if ward:
                    names.append(ward)
            names.append(district["district"])
        names.append(province["province"])
    text = ", ".join(names)
    result = Converted(None, None, False)
    # The converter geocodes online when its own parse finds a street: make sure it cannot.
    probe = lib.parse_address(text, mode=lib.ParseMode.LEGACY, keep_street=True, level=3)
    if text and not probe.street:
        calls["convert"] += 1
        new = lib.convert_address(text)
        old_key = f"{probe.province_key}_{probe.district_key}_{probe.ward_key or ''}"
        new_province_key = next(
            (k for k, v in converter.DICT_PROVINCE.items() if probe.province_key in v), None
        )
        split = bool(probe.ward_key) and _is_split(converter, new_province_key, old_key)
        result = Converted(
            new_ward_code=None if split else _code(new.ward_code),
            new_province_code=_code(new.province_code),
            split=split,
        )
    _converted[key] = result
    return result


def _legacy_ward(legacy: Any, province_key: str, district_key: str, ward_key: str) -> str | None:
    for table in (
        legacy.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED,
        legacy.DICT_PROVINCE_DISTRICT_WARD_ACCENTED,
        legacy.DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED,
    ):
        ward = table.get(province_key, {}).get(district_key, {}).get(ward_key)
        if ward:
            return str(ward["ward"])
    return None


def _is_split(converter: Any, new_province_key: str | None, old_key: str) -> bool:
    """Whether 2025 divided this old ward between several new wards."""
    if new_province_key is None:
        return False
    kept_whole = converter.DICT_PROVINCE_WARD_NO_DIVIDED.get(new_province_key, {})
    if any(old_key in olds for olds in kept_whole.values()):
        return False
    return old_key in converter.DICT_PROVINCE_WARD_DIVIDED.get(new_province_key, {})


def is_split_ward(ward: str, district: str, province: str) -> bool:
    """Whether the old unit "ward, district, province" was divided in 2025 (tests, docs)."""
    old = _parse(f"{ward}, {district}, {province}", legacy=True, level=3)
    if not old.ward_key:
        return False
    return _convert(old.province_key, old.district_key, old.ward_key).split
