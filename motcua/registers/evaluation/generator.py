"""Synthetic old-ward registers with known truth, for evaluating the register merge.

`generate_registers` writes one file per old ward (`ward_1.csv`, …, the officials' header) and
`truth.csv` (record_id,person_id). It builds a population of households, places each household
in one old ward, lets some households and some persons also appear in other wards' registers
(moved and never removed) and some rows appear twice in one register, then renders every row
through corruptions a clerk's spreadsheet really holds. Each ward has its own clerk profile
(one drops all diacritics, one exports ISO dates and M/F, one types on a Mac in NFD and lets
Excel eat leading zeros, one keeps an old book with bare years and blank genders…).

Everything comes from one `random.Random(seed)`: the same arguments give the same bytes.
Rows are streamed to temporary bucket files and shuffled bucket by bucket (members of one
household stay together, as in a real register), so memory stays flat at a million rows.
"""

from __future__ import annotations

import csv
import dataclasses
import random
import re
import shutil
import tempfile
import unicodedata
from bisect import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from motcua.registers.io import COLUMNS as HEADER

from . import vocab

TRUTH_HEADER = ("record_id", "person_id")
REFERENCE_YEAR = 2025
_ROWS_PER_BUCKET = 20_000


@dataclass(frozen=True)
class Rates:
    """Base probabilities. Ward profiles multiply the corruption rates (capped at 1)."""

    # Structure of the population and of the registers.
    household_move: float = 0.05  # a household also listed in another ward (moved, never removed)
    person_move: float = 0.05  # an adult also listed alone in another ward
    third_ward: float = 0.15  # a moved person also listed in a third ward
    duplicate: float = 0.04  # a row entered twice in one register
    duplicate_moved: float = 0.3  # … the second time at another address of the same ward
    namesake: float = 0.03  # an adult given the full name of an earlier, different person
    namesake_same_year: float = 0.5  # … and the same birth year
    twins: float = 0.02  # a child born on the same day as the previous sibling
    # Names.
    no_accent: float = 0.12  # whole record typed without diacritics
    case: float = 0.10  # UPPER, lower or mixed case
    spaces: float = 0.10  # double, leading/trailing, non-breaking or missing spaces
    nfd: float = 0.04  # decomposed Unicode (name and address)
    tone_variant: float = 0.25  # hoà/hòa, thuỷ/thủy where the syllable allows it
    typo: float = 0.05  # one edit in one name part
    drop_middle: float = 0.04  # middle name left out
    surname_variant: float = 0.2  # Huỳnh↔Hoàng, Võ↔Vũ (of the records with such a surname)
    # Dates.
    date_blank: float = 0.005
    bare_year: float = 0.03  # only the year (three times as often for those born before 1960)
    date_swap: float = 0.02  # day and month swapped
    date_typo: float = 0.01  # a day, month or year off by one
    # Gender and IDs.
    gender_blank: float = 0.05
    id_blank: float = 0.12  # (four times as often for children born since 2011)
    cmnd: float = 0.12  # the old 9-digit CMND instead of the CCCD (twice as often in stale rows)
    zeros_eaten: float = 0.05  # number-formatted cell: leading zeros lost
    id_typo: float = 0.01  # one digit wrong or two swapped
    id_from_relative: float = 0.003  # another household member's CCCD typed on this row
    # Address, phone, household book.
    address_blank: float = 0.02
    address_no_accent: float = 0.05  # address without diacritics though the name has them
    address_new: float = 0.05  # already in the new form (phường mới, thành phố)
    phone_blank: float = 0.45
    household_blank: float = 0.5


@dataclass(frozen=True)
class GeneratedSet:
    files: list[Path]
    truth: Path
    rows: int
    persons: int = 0
    sources: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # corruptions and structures, counted


CORRUPTION_KINDS = (
    "no_accent",
    "case",
    "spaces",
    "nfd",
    "tone_variant",
    "typo",
    "drop_middle",
    "surname_variant",
    "date_dmy",
    "date_dmy_short",
    "date_dash",
    "date_iso",
    "date_year",
    "date_swap",
    "date_typo",
    "date_blank",
    "gender_namnu",
    "gender_namnu_plain",
    "gender_mf",
    "gender_10",
    "gender_blank",
    "id_cccd",
    "id_cmnd",
    "id_blank",
    "id_zeros_eaten",
    "id_typo",
    "id_from_relative",
    "address_full",
    "address_abbrev",
    "address_compact",
    "address_bare",
    "address_new",
    "address_no_accent",
    "address_blank",
    "phone_blank",
    "phone_formatted",
    "phone_zero_eaten",
    "household_blank",
)
STRUCTURE_KINDS = (
    "household",
    "household_moved",
    "person_moved",
    "third_ward",
    "duplicate",
    "namesake",
    "namesake_same_year",
    "twins",
)


# --------------------------------------------------------------------------------------------
# Ward profiles


@dataclass
class _Style:
    name: str
    rates: dict[str, float]
    date_formats: tuple[tuple[str, float], ...]
    gender_styles: tuple[tuple[str, float], ...]
    address_forms: tuple[tuple[str, float], ...]
    upper_share: float = 0.5
    phone_eaten_share: float = 0.05
    household_format: str = "digits"
    xlsx_date_cells: bool = False
    pick_date: _Picker = field(init=False)
    pick_gender: _Picker = field(init=False)
    pick_address: _Picker = field(init=False)

    def __post_init__(self) -> None:
        self.pick_date = _Picker([k for k, _ in self.date_formats], [w for _, w in self.date_formats])
        self.pick_gender = _Picker([k for k, _ in self.gender_styles], [w for _, w in self.gender_styles])
        self.pick_address = _Picker([k for k, _ in self.address_forms], [w for _, w in self.address_forms])


_MIXED_DATES = (("dmy", 0.5), ("dmy_short", 0.15), ("dash", 0.1), ("iso", 0.25))
_MIXED_GENDERS = (("namnu", 0.5), ("namnu_plain", 0.15), ("mf", 0.15), ("10", 0.2))
_MIXED_ADDRESSES = (("full", 0.35), ("abbrev", 0.3), ("compact", 0.2), ("bare", 0.15))

# (name, rate factors, dates, genders, addresses, extra)
_TEMPLATES: tuple[tuple[str, dict[str, float], Any, Any, Any, dict[str, Any]], ...] = (
    (
        "tidy clerk",
        {
            "no_accent": 0.3,
            "case": 0.5,
            "spaces": 0.5,
            "nfd": 0.5,
            "tone_variant": 0.6,
            "household_blank": 0.4,
        },
        (("dmy", 0.85), ("dmy_short", 0.15)),
        (("namnu", 0.95), ("namnu_plain", 0.05)),
        (("full", 0.55), ("abbrev", 0.35), ("bare", 0.1)),
        {"household_format": "digits", "xlsx_date_cells": True},
    ),
    (
        "types without diacritics",
        {"no_accent": 7.5, "address_no_accent": 10.0, "typo": 1.3, "household_blank": 1.2},
        (("dmy_short", 0.7), ("dmy", 0.3)),
        (("namnu_plain", 0.9), ("namnu", 0.1)),
        (("compact", 0.5), ("abbrev", 0.3), ("bare", 0.2)),
        {"household_format": "padded"},
    ),
    (
        "software export",
        {
            "case": 6.0,
            "spaces": 0.3,
            "household_blank": 0.1,
            "phone_blank": 0.6,
            "id_blank": 0.5,
            "zeros_eaten": 0.2,
        },
        (("iso", 0.95), ("dmy", 0.05)),
        (("mf", 0.9), ("namnu", 0.1)),
        (("abbrev", 0.7), ("full", 0.3)),
        {"upper_share": 0.9, "household_format": "prefixed"},
    ),
    (
        "Mac and number-formatted cells",
        {"nfd": 15.0, "zeros_eaten": 10.0, "tone_variant": 3.2, "bare_year": 2.0},
        (("dash", 0.8), ("dmy", 0.2)),
        (("10", 0.85), ("namnu", 0.15)),
        (("compact", 0.6), ("abbrev", 0.4)),
        {"phone_eaten_share": 0.6, "household_format": "digits"},
    ),
    (
        "old book",
        {
            "bare_year": 6.0,
            "date_swap": 4.0,
            "gender_blank": 5.0,
            "cmnd": 3.0,
            "household_blank": 1.8,
            "spaces": 3.0,
            "drop_middle": 2.0,
            "address_new": 11.0,
        },
        (("dmy", 0.5), ("dmy_short", 0.3), ("dash", 0.2)),
        (("namnu", 0.8), ("namnu_plain", 0.2)),
        (("full", 0.5), ("bare", 0.5)),
        {"household_format": "book"},
    ),
)


def _style(template: int | None, rates: Rates) -> _Style:
    base = dataclasses.asdict(rates)
    if template is None:
        return _Style("mixed", base, _MIXED_DATES, _MIXED_GENDERS, _MIXED_ADDRESSES)
    name, factors, dates, genders, addresses, extra = _TEMPLATES[template]
    scaled = {k: min(1.0, v * factors.get(k, 1.0)) for k, v in base.items()}
    return _Style(name, scaled, dates, genders, addresses, **extra)


# --------------------------------------------------------------------------------------------
# Text helpers


def _strip_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x1F00):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_STRIP = _strip_table()


def strip_diacritics(text: str) -> str:
    """Vietnamese text typed without accents, case kept: "Đà Nẵng" → "Da Nang"."""
    return text.translate(_STRIP)


def _tone_swaps() -> dict[str, str]:
    swaps: dict[str, str] = {}
    for glide, nucleus in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            on_second = glide + unicodedata.normalize("NFC", nucleus + mark)  # hoà, thuỷ
            on_first = unicodedata.normalize("NFC", glide + mark) + nucleus  # hòa, thủy
            for a, b in ((on_second, on_first), (on_first, on_second)):
                swaps[a] = b
                swaps[a.upper()] = b.upper()
    return swaps


_TONE_SWAPS = _tone_swaps()
# At the end of a syllable only (hoà, not hoàng), and never after q (quý has no variant).
_TONE_RE = re.compile(r"(?<![qQ])(" + "|".join(sorted(_TONE_SWAPS, key=len, reverse=True)) + r")(?!\w)")


def swap_tone_placement(text: str) -> str:
    """hòa ↔ hoà, thủy ↔ thuỷ (the two customary places of the tone mark)."""
    return _TONE_RE.sub(lambda m: _TONE_SWAPS[m.group(1)], text)


_FAMILY_OF: dict[str, str] = {}
for _family in vocab.VOWEL_FAMILIES:
    for _ch in _family:
        _FAMILY_OF[_ch] = _family
        _FAMILY_OF[_ch.upper()] = _family.upper()


class _Picker:
    """Weighted choice by bisecting cumulative weights (faster than random.choices)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.total)]


def _zipf(items: Sequence[str], s: float, offset: int) -> _Picker:
    """Rank-frequency skew 1/(rank + offset)^s: a flat-ish head, a long thin tail."""
    return _Picker(items, [1.0 / (i + offset) ** s for i in range(len(items))])


_SURNAME = _Picker([s for s, _ in vocab.SURNAMES], [w for _, w in vocab.SURNAMES])
_MALE_GIVEN = _zipf(vocab.MALE_GIVEN, 1.1, 8)
_FEMALE_GIVEN = _zipf(vocab.FEMALE_GIVEN, 1.1, 8)
_MALE_MIDDLE = _zipf(vocab.MALE_MIDDLES, 1.0, 3)
_FEMALE_MIDDLE = _zipf(vocab.FEMALE_MIDDLES, 1.0, 3)
_BIRTH_PROVINCE = _Picker(
    [(c, cm) for c, _, cm in vocab.BIRTH_PROVINCES], [w for _, w, _ in vocab.BIRTH_PROVINCES]
)
_HOUSEHOLD_SIZE = _Picker([1, 2, 3, 4, 5, 6, 7], [12, 18, 22, 26, 13, 6, 3])
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


# --------------------------------------------------------------------------------------------
# The population


class _Person:
    __slots__ = ("cccd", "cmnd", "d", "given", "m", "male", "middle", "phone", "pid", "surname", "y")

    def __init__(
        self, pid: str, surname: str, middle: tuple[str, ...], given: tuple[str, ...], male: bool, y: int
    ) -> None:
        self.pid = pid
        self.surname = surname
        self.middle = middle
        self.given = given
        self.male = male
        self.y = y
        self.m = 1
        self.d = 1
        self.cccd = ""
        self.cmnd = ""
        self.phone = ""


class _Address:
    __slots__ = ("house", "street", "to", "ward")

    def __init__(self, ward: int, house: str, street: str, to: int) -> None:
        self.ward = ward
        self.house = house
        self.street = street
        self.to = to


class _UniqueDigits:
    """Unique random-looking suffixes per prefix: start + k·stride mod 10^n, stride coprime to 10."""

    def __init__(self, rng: random.Random, digits: int) -> None:
        self.rng = rng
        self.mod = 10**digits
        self.digits = digits
        self.state: dict[str, list[int]] = {}

    def __call__(self, prefix: str) -> str:
        st = self.state.get(prefix)
        if st is None:
            stride = self.rng.randrange(1, self.mod // 10) * 10 + self.rng.choice((1, 3, 7, 9))
            st = self.state[prefix] = [self.rng.randrange(self.mod), stride % self.mod, 0]
        value = (st[0] + st[1] * st[2]) % self.mod
        st[2] += 1
        if st[2] > self.mod:
            raise ValueError(f"too many numbers under prefix {prefix}")
        return prefix + str(value).zfill(self.digits)


class _Generator:
    def __init__(self, *, persons: int, wards: int, seed: int, rates: Rates, profiles: bool) -> None:
        if persons < 1:
            raise ValueError("persons must be at least 1")
        if not 1 <= wards <= len(vocab.OLD_WARDS):
            raise ValueError(f"wards must be between 1 and {len(vocab.OLD_WARDS)}")
        self.rng = random.Random(seed)  # noqa: S311 — synthetic data, reproducible by design
        self.persons = persons
        self.wards = wards
        self.rates = rates
        self.kinds: Counter[str] = Counter()
        self.n_person = 0
        self.n_unit = 0
        rng = self.rng
        if profiles:
            templates = [
                i % len(_TEMPLATES) if i < len(_TEMPLATES) else rng.randrange(len(_TEMPLATES))
                for i in range(wards)
            ]
            self.styles = [_style(t, rates) for t in templates]
        else:
            self.styles = [_style(None, rates) for _ in range(wards)]
        self.ward_weight = _Picker(range(wards), [rng.uniform(0.6, 1.4) for _ in range(wards)])
        self.streets: list[list[str]] = []
        for w in range(wards):
            pool = vocab.STREETS[vocab.OLD_WARDS[w][1]]
            street_rng = random.Random(f"streets:{vocab.OLD_WARDS[w][0]}")  # noqa: S311
            self.streets.append(street_rng.sample(pool, min(8, len(pool))))
        self.hh_counter = [rng.randrange(100, 3000) for _ in range(wards)]
        self.cccd = _UniqueDigits(rng, 6)
        self.cmnd_suffix: dict[int, _UniqueDigits] = {}
        self.phone = _UniqueDigits(rng, 7)
        self.namesakes: dict[bool, list[tuple[str, tuple[str, ...], tuple[str, ...], int]]] = {
            True: [],
            False: [],
        }

    # -- persons ------------------------------------------------------------------------------

    def _middle(self, male: bool, year: int) -> tuple[str, ...]:
        rng = self.rng
        if rng.random() < 0.03:
            return ()
        era = 0 if year < 1970 else 1 if year < 1990 else 2
        if male:
            first = vocab.MALE_MIDDLE_GENERIC if rng.random() < (0.55, 0.4, 0.18)[era] else _MALE_MIDDLE(rng)
            second_pool, two = vocab.MALE_SECOND_MIDDLES, 0.04
        else:
            first = (
                vocab.FEMALE_MIDDLE_GENERIC if rng.random() < (0.75, 0.55, 0.25)[era] else _FEMALE_MIDDLE(rng)
            )
            second_pool, two = vocab.FEMALE_SECOND_MIDDLES, 0.08
        if rng.random() < two:
            second = rng.choice(second_pool)
            if second != first:
                return (first, second)
        return (first,)

    def _given(self, male: bool, year: int, avoid: set[tuple[str, ...]]) -> tuple[str, ...]:
        rng = self.rng
        era = 0 if year < 1970 else 1 if year < 1990 else 2
        for _ in range(6):
            if rng.random() < (0.02, 0.05, 0.15)[era]:
                given = tuple(rng.choice(vocab.MALE_GIVEN2 if male else vocab.FEMALE_GIVEN2).split())
            else:
                given = ((_MALE_GIVEN if male else _FEMALE_GIVEN)(rng),)
            if given not in avoid:
                return given
        return given

    def _person(
        self,
        male: bool,
        year: int,
        *,
        surname: str | None = None,
        middle: tuple[str, ...] | None = None,
        avoid: set[tuple[str, ...]] | None = None,
        adult: bool = False,
    ) -> _Person:
        rng = self.rng
        year = max(1925, min(REFERENCE_YEAR - 1, year))
        name: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None
        pool = self.namesakes[male]
        if adult and surname is None and pool and rng.random() < self.rates.namesake:
            s, mid, giv, y0 = pool[rng.randrange(len(pool))]
            name = (s, mid, giv)
            self.kinds["namesake"] += 1
            if rng.random() < self.rates.namesake_same_year:
                year = y0
                self.kinds["namesake_same_year"] += 1
        if name is None:
            giv = self._given(male, year, avoid or set())
            mid = self._middle(male, year) if middle is None else middle
            if mid and mid[-1] == giv[0]:
                mid = mid[:-1]
            name = (surname or _SURNAME(rng), mid, giv)
        self.n_person += 1
        p = _Person(f"P{self.n_person:07d}", name[0], name[1], name[2], male, year)
        p.m = rng.randint(1, 12)
        p.d = rng.randint(1, _days_in(year, p.m))
        if adult:
            if len(pool) < 20_000:
                pool.append((p.surname, p.middle, p.given, p.y))
            else:
                pool[rng.randrange(len(pool))] = (p.surname, p.middle, p.given, p.y)
        # Identity numbers: CCCD = province(3) + gender/century(1) + year(2) + 6 digits.
        if year >= 1995 and rng.random() < 0.85:
            province, cmnd_prefix = vocab.DANANG_PROVINCE, vocab.DANANG_CMND
        else:
            province, cmnd_prefix = _BIRTH_PROVINCE(rng)
        digit = (0 if male else 1) + (2 if year >= 2000 else 0)
        p.cccd = self.cccd(f"{province}{digit}{year % 100:02d}")
        if (year <= 1998 and rng.random() < 0.85) or (year <= 2002 and rng.random() < 0.4):
            prefix = vocab.DANANG_CMND if rng.random() < 0.7 else cmnd_prefix
            gen = self.cmnd_suffix.get(len(prefix))
            if gen is None:
                gen = self.cmnd_suffix[len(prefix)] = _UniqueDigits(rng, 9 - len(prefix))
            p.cmnd = gen(prefix)
        if REFERENCE_YEAR - year >= 16 and rng.random() < 0.55:
            p.phone = self._new_phone()
        return p

    def _new_phone(self) -> str:
        return self.phone(self.rng.choice(vocab.PHONE_PREFIXES))

    def _household(self, size: int) -> list[_Person]:
        rng = self.rng
        if size == 1:
            return [self._person(rng.random() < 0.45, int(rng.triangular(1935, 2005, 1980)), adult=True)]
        fy = int(rng.triangular(1940, 2001, 1976))
        members: list[_Person] = []
        if rng.random() < 0.1:  # mother with children; the father is not in the household
            mother = self._person(False, fy + rng.randint(0, 6), adult=True)
            members.append(mother)
            kid_surname = mother.surname if rng.random() < 0.15 else _SURNAME(rng)
            kids = size - 1
        else:
            father = self._person(True, fy, adult=True)
            mother = self._person(False, min(2003, fy + rng.randint(-2, 8)), adult=True)
            members.extend((father, mother) if rng.random() < 0.85 else (mother, father))
            kid_surname = father.surname
            kids = size - 2
            if kids >= 2 and rng.random() < 0.3:
                gy = fy - rng.randint(22, 36)
                members.append(self._person(True, gy, surname=father.surname))
                kids -= 1
                if kids >= 2 and rng.random() < 0.5:
                    members.append(self._person(False, gy + rng.randint(-2, 6)))
                    kids -= 1
        shared = rng.random() < 0.45
        boys_middle = self._middle(True, mother.y + 25) if shared else None
        girls_middle = self._middle(False, mother.y + 25) if shared else None
        taken: set[tuple[str, ...]] = set()
        previous: _Person | None = None
        for _ in range(kids):
            male = rng.random() < 0.51
            year = min(REFERENCE_YEAR - 1, mother.y + rng.randint(19, 40))
            kid = self._person(
                male, year, surname=kid_surname, middle=boys_middle if male else girls_middle, avoid=taken
            )
            taken.add(kid.given)
            if previous is not None and rng.random() < self.rates.twins:
                kid.y, kid.m, kid.d = previous.y, previous.m, previous.d
                kid.cccd = self.cccd(
                    f"{kid.cccd[:3]}{(0 if male else 1) + (2 if kid.y >= 2000 else 0)}{kid.y % 100:02d}"
                )
                self.kinds["twins"] += 1
            members.append(kid)
            previous = kid
        return members

    # -- places -------------------------------------------------------------------------------

    def _address(self, ward: int) -> _Address:
        rng = self.rng
        r = rng.random()
        street = rng.choice(self.streets[ward]) if r < 0.75 else ""
        to = rng.randint(1, 70) if r > 0.45 else 0
        if street:
            n = rng.randint(1, 400)
            k = rng.random()
            if k < 0.45:
                house = str(n)
            elif k < 0.6:
                house = f"{n}/{rng.randint(1, 40)}"
            elif k < 0.85:
                house = f"K{n}/{rng.randint(1, 60)}"
            elif k < 0.93:
                house = f"K{n}/{rng.randint(1, 60)}/{rng.randint(1, 20)}"
            else:
                house = f"kiệt {n}/{rng.randint(1, 60)}"
        else:
            house = ""
        return _Address(ward, house, street, to)

    def _household_no(self, ward: int) -> str:
        self.hh_counter[ward] += 1
        n = self.hh_counter[ward]
        fmt = self.styles[ward].household_format
        if fmt == "padded":
            return f"{n:06d}"
        if fmt == "prefixed":
            return f"HK{n:05d}"
        if fmt == "book":
            return f"{n}/{self.rng.randint(1985, 2015)}"
        return str(n)

    def _other_ward(self, *exclude: int) -> int:
        while True:
            w = self.ward_weight(self.rng)
            if w not in exclude:
                return w

    # -- rendering ----------------------------------------------------------------------------

    def _typo(self, part: str) -> str:
        rng = self.rng
        n = len(part)
        r = rng.random()
        if r < 0.3:  # a diacritic slip: ư→u, ù→ú, đ→d…
            spots = [i for i, ch in enumerate(part) if ch in _FAMILY_OF]
            if spots:
                i = rng.choice(spots)
                family = _FAMILY_OF[part[i]]
                new = rng.choice(family.replace(part[i], ""))
                return part[:i] + new + part[i + 1 :]
        if r < 0.5 or n < 3:  # substitute by a neighbouring key
            i = rng.randrange(n)
            base = strip_diacritics(part[i]).lower()
            new = rng.choice(vocab.KEY_NEIGHBOURS.get(base, "aeiou"))
            if part[i].isupper():
                new = new.upper()
            return part[:i] + new + part[i + 1 :]
        if r < 0.7:  # delete
            i = rng.randrange(1, n)
            return part[:i] + part[i + 1 :]
        if r < 0.85:  # insert: a doubled letter or a neighbouring key
            i = rng.randrange(1, n)
            base = strip_diacritics(part[i - 1]).lower()
            new = part[i - 1] if rng.random() < 0.5 else rng.choice(vocab.KEY_NEIGHBOURS.get(base, "aeiou"))
            return part[:i] + new.lower() + part[i:]
        i = rng.randrange(1, n - 1)  # transpose two letters (not the capital)
        return part[:i] + part[i + 1] + part[i] + part[i + 2 :]

    def _name(self, p: _Person, st: _Style, no_accent: bool, tone: bool, nfd: bool) -> str:
        rng = self.rng
        rates = st.rates
        kinds = self.kinds
        middle = list(p.middle)
        given = list(p.given)
        surname = p.surname
        if surname in vocab.SURNAME_VARIANTS and rng.random() < rates["surname_variant"]:
            surname = vocab.SURNAME_VARIANTS[surname]
            kinds["surname_variant"] += 1
        if (middle or len(given) > 1) and rng.random() < rates["drop_middle"]:
            kinds["drop_middle"] += 1
            if len(given) > 1 and (not middle or rng.random() < 0.3):
                given = given[1:]  # "Bình Minh" taken for middle + given
            elif len(middle) > 1 and rng.random() < 0.4:
                del middle[rng.randrange(len(middle))]
            else:
                middle = []
        parts = [surname, *middle, *given]
        if rng.random() < rates["typo"]:
            # In the surname (25 %), the given name (45 %) or a middle name (30 %).
            r = rng.random()
            if r < 0.25 or len(parts) == 1:
                i = 0
            elif r < 0.7 or len(parts) == 2:
                i = len(parts) - 1
            else:
                i = rng.randrange(1, len(parts) - 1)
            typo = self._typo(parts[i])
            if typo != parts[i]:
                parts[i] = typo
                kinds["typo"] += 1
        name = " ".join(parts)
        if tone:
            swapped = swap_tone_placement(name)
            if swapped != name:
                kinds["tone_variant"] += 1
                name = swapped
        if no_accent:
            name = strip_diacritics(name)
            kinds["no_accent"] += 1
        if rng.random() < rates["case"]:
            kinds["case"] += 1
            r = rng.random()
            if r < st.upper_share:
                name = name.upper()
            elif r < st.upper_share + (1 - st.upper_share) * 0.6:
                name = name.lower()
            else:
                name = " ".join(
                    s.lower() if i % 2 == 0 else s.upper() if rng.random() < 0.5 else s
                    for i, s in enumerate(name.split(" "))
                )
        if rng.random() < rates["spaces"]:
            kinds["spaces"] += 1
            name = self._spaces(name)
        if nfd:
            decomposed = unicodedata.normalize("NFD", name)
            if decomposed != name:
                kinds["nfd"] += 1
                name = decomposed
        return name

    def _spaces(self, text: str) -> str:
        rng = self.rng
        r = rng.random()
        gaps = [i for i, ch in enumerate(text) if ch == " "]
        if r < 0.3:
            return " " + text + ("  " if rng.random() < 0.5 else "")
        if not gaps:
            return text + " "
        i = rng.choice(gaps)
        if r < 0.75:
            return text[:i] + "  " + text[i + 1 :]
        if r < 0.9:
            return text[:i] + "\u00a0" + text[i + 1 :]
        return text[:i] + text[i + 1 :]  # two syllables run together

    def _date(self, p: _Person, st: _Style) -> str:
        rng = self.rng
        rates = st.rates
        kinds = self.kinds
        if rng.random() < rates["date_blank"]:
            kinds["date_blank"] += 1
            return ""
        y, m, d = p.y, p.m, p.d
        if rng.random() < rates["date_typo"]:
            kinds["date_typo"] += 1
            r = rng.random()
            if r < 0.4:
                y += rng.choice((-1, 1))
            elif r < 0.8:
                d = d + 1 if d < _days_in(y, m) else d - 1
            else:
                m = m + 1 if m < 12 else m - 1
                d = min(d, _days_in(y, m))
        if rng.random() < rates["bare_year"] * (3 if y < 1960 else 1):
            kinds["date_year"] += 1
            return str(y)
        fmt = st.pick_date(rng)
        if d != m and rng.random() < rates["date_swap"] and (fmt != "iso" or d <= 12):
            kinds["date_swap"] += 1
            d, m = m, d
        if fmt == "dmy":
            kinds["date_dmy"] += 1
            return f"{d:02d}/{m:02d}/{y}"
        if fmt == "dmy_short":
            kinds["date_dmy_short"] += 1
            return f"{d}/{m}/{y}"
        if fmt == "dash":
            kinds["date_dash"] += 1
            return f"{d:02d}-{m:02d}-{y}"
        kinds["date_iso"] += 1
        return f"{y}-{m:02d}-{d:02d}"

    def _gender(self, p: _Person, st: _Style, no_accent: bool) -> str:
        rng = self.rng
        if rng.random() < st.rates["gender_blank"]:
            self.kinds["gender_blank"] += 1
            return ""
        style = st.pick_gender(rng)
        if style == "namnu" and no_accent:
            style = "namnu_plain"
        self.kinds["gender_" + style] += 1
        if style == "namnu":
            return "Nam" if p.male else "Nữ"
        if style == "namnu_plain":
            return "nam" if p.male else ("nu" if rng.random() < 0.8 else "Nu")
        if style == "mf":
            return "M" if p.male else "F"
        return "1" if p.male else "0"

    def _citizen_id(self, p: _Person, st: _Style, members: Sequence[_Person], stale: bool) -> str:
        rng = self.rng
        rates = st.rates
        kinds = self.kinds
        if rng.random() < min(0.9, rates["id_blank"] * (4 if p.y >= 2011 else 1)):
            kinds["id_blank"] += 1
            return ""
        if len(members) > 1 and rng.random() < rates["id_from_relative"]:
            other = rng.choice([m for m in members if m is not p])
            value = other.cccd
            kinds["id_from_relative"] += 1
        elif p.cmnd and rng.random() < rates["cmnd"] * (2 if stale else 1):
            value = p.cmnd
            kinds["id_cmnd"] += 1
        else:
            value = p.cccd
            kinds["id_cccd"] += 1
        if rng.random() < rates["id_typo"]:
            kinds["id_typo"] += 1
            i = rng.randrange(3, len(value) - 1)
            if rng.random() < 0.5 and value[i] != value[i + 1]:
                value = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
            else:
                value = value[:i] + rng.choice("0123456789".replace(value[i], "")) + value[i + 1 :]
        if value.startswith("0") and rng.random() < rates["zeros_eaten"]:
            kinds["id_zeros_eaten"] += 1
            value = value.lstrip("0")
        return value

    def _address_text(self, a: _Address, st: _Style, no_accent: bool, tone: bool, nfd: bool) -> str:
        rng = self.rng
        rates = st.rates
        kinds = self.kinds
        if rng.random() < rates["address_blank"]:
            kinds["address_blank"] += 1
            return ""
        ward, district, _, new_ward = vocab.OLD_WARDS[a.ward]
        if ward.endswith((" I", " II")) and rng.random() < 0.3:
            ward = ward.replace(" II", " 2").replace(" I", " 1")
        form = "new" if rng.random() < rates["address_new"] else st.pick_address(rng)
        kinds["address_" + form] += 1
        street = f"{a.house} {a.street}" if a.house else a.street
        to = ""
        if a.to:
            to = rng.choice(("tổ", "Tổ", "tổ dân phố", "Tổ dân phố", "TDP")) + f" {a.to}"
        if form == "full":
            parts = [
                street,
                to,
                rng.choice(("phường", "Phường")) + f" {ward}",
                rng.choice(("quận", "Quận")) + f" {district}",
                rng.choice(("thành phố", "Thành phố", "TP")) + " Đà Nẵng",
            ]
            text = ", ".join(x for x in parts if x)
        elif form == "abbrev":
            city = rng.choice(("TP. Đà Nẵng", "TP Đà Nẵng", "Tp. Đà Nẵng", "TP.Đà Nẵng", "TP.ĐN"))
            parts = [street, to, f"P. {ward}", f"Q. {district}", city]
            text = ", ".join(x for x in parts if x)
        elif form == "compact":
            parts = [street, to, f"P.{ward}", f"Q.{district}"]
            if rng.random() < 0.3:
                parts.append("TP.ĐN")
            text = " ".join(x for x in parts if x)
        elif form == "bare":
            text = ", ".join(x for x in (street, to, ward, district, "Đà Nẵng") if x)
        else:
            if rng.random() < 0.6:
                tail = [f"phường {new_ward}", "thành phố Đà Nẵng"]
            else:
                tail = [f"P. {new_ward}", "TP. Đà Nẵng"]
            text = ", ".join(x for x in (street, to, *tail) if x)
        if tone:
            text = swap_tone_placement(text)
        if no_accent or rng.random() < rates["address_no_accent"]:
            kinds["address_no_accent"] += 1
            text = strip_diacritics(text)
        if nfd:
            text = unicodedata.normalize("NFD", text)
        return text

    def _phone_text(self, number: str, st: _Style, stale: bool) -> str:
        rng = self.rng
        if not number or rng.random() < min(1.0, st.rates["phone_blank"] * (1.3 if stale else 1)):
            self.kinds["phone_blank"] += 1
            return ""
        r = rng.random()
        if r < st.phone_eaten_share:
            self.kinds["phone_zero_eaten"] += 1
            return number[1:]
        r = rng.random()
        if r < 0.85:
            return number
        self.kinds["phone_formatted"] += 1
        if r < 0.9:
            return f"{number[:4]} {number[4:7]} {number[7:]}"
        if r < 0.94:
            return f"{number[:4]}.{number[4:7]}.{number[7:]}"
        if r < 0.97:
            return "+84" + number[1:]
        return "84" + number[1:]

    def row(
        self,
        p: _Person,
        ward: int,
        addr: _Address,
        household_no: str,
        household_phone: str,
        members: Sequence[_Person],
        stale: bool,
    ) -> list[str]:
        rng = self.rng
        st = self.styles[ward]
        rates = st.rates
        no_accent = rng.random() < rates["no_accent"]
        tone = rng.random() < rates["tone_variant"]
        nfd = rng.random() < rates["nfd"]
        # A person's own mobile, or the household's number (often the head's mobile).
        own = p.phone and (rng.random() < 0.6 or not household_phone)
        number = p.phone if own else household_phone
        if household_no and rng.random() >= rates["household_blank"]:
            hh = household_no
        else:
            hh = ""
            self.kinds["household_blank"] += 1
        return [
            p.pid,
            self._name(p, st, no_accent, tone, nfd),
            self._date(p, st),
            self._gender(p, st, no_accent),
            self._citizen_id(p, st, members, stale),
            self._address_text(addr, st, no_accent, tone, nfd),
            self._phone_text(number, st, stale),
            hh,
        ]


# --------------------------------------------------------------------------------------------
# Writing


class _Buckets:
    """Temporary per-ward bucket files; a unit (rows that stay together) goes to a random bucket."""

    def __init__(self, tmp: Path, wards: int, per_ward: list[int], rng: random.Random) -> None:
        self.rng = rng
        self.files: list[list[Path]] = []
        self.handles: list[list[Any]] = []
        self.writers: list[list[Any]] = []
        self.counts = [0] * wards
        for w in range(wards):
            k = max(1, min(32, per_ward[w] // _ROWS_PER_BUCKET + 1))
            paths = [tmp / f"w{w}_b{b}.csv" for b in range(k)]
            handles = [p.open("w", encoding="utf-8", newline="") for p in paths]
            self.files.append(paths)
            self.handles.append(handles)
            self.writers.append([csv.writer(h) for h in handles])
        self.unit = 0

    def add(self, ward: int, rows: list[list[str]]) -> None:
        self.unit += 1
        key = str(self.unit)
        writer = self.writers[ward][self.rng.randrange(len(self.writers[ward]))]
        for r in rows:
            writer.writerow((key, *r))
        self.counts[ward] += len(rows)

    def close(self) -> None:
        for handles in self.handles:
            for h in handles:
                h.close()


def generate_registers(
    *,
    persons: int,
    wards: int = 5,
    seed: int = 0,
    out_dir: Path,
    formats: str = "csv",
    profiles: bool = True,
    rates: Rates | None = None,
    **overrides: float,
) -> GeneratedSet:
    """Write `ward_<n>.csv` (and/or `.xlsx`) for `wards` old wards and `truth.csv`.

    `rates` (or keyword overrides of its fields, e.g. `no_accent=0.3`) sets the base
    probabilities; with `profiles` each ward's clerk scales them differently.
    """
    kinds_wanted = {f.strip() for f in formats.split(",") if f.strip()}
    if not kinds_wanted or kinds_wanted - {"csv", "xlsx"}:
        raise ValueError(f"formats must be csv, xlsx or csv,xlsx, not {formats!r}")
    rates = dataclasses.replace(rates or Rates(), **overrides)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = _Generator(persons=persons, wards=wards, seed=seed, rates=rates, profiles=profiles)
    rng = gen.rng
    expected = [int(persons * 1.2 * w / gen.ward_weight.total) + 1 for w in _weights(gen.ward_weight)]
    tmp = Path(tempfile.mkdtemp(prefix=".generate-", dir=out_dir))
    try:
        buckets = _Buckets(tmp, wards, expected, rng)
        try:
            _populate(gen, buckets)
        finally:
            buckets.close()
        files, sources, rows = _finalise(gen, buckets, out_dir, kinds_wanted)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    kinds = {k: gen.kinds.get(k, 0) for k in (*STRUCTURE_KINDS, *CORRUPTION_KINDS)}
    return GeneratedSet(
        files=files, truth=out_dir / "truth.csv", rows=rows, persons=persons, sources=sources, kinds=kinds
    )


def _weights(picker: _Picker) -> list[float]:
    prev = 0.0
    out = []
    for c in picker.cum:
        out.append(c - prev)
        prev = c
    return out


def _populate(gen: _Generator, buckets: _Buckets) -> None:
    rng = gen.rng
    rates = gen.rates
    multi = gen.wards > 1
    while gen.n_person < gen.persons:
        size = min(_HOUSEHOLD_SIZE(rng), gen.persons - gen.n_person)
        members = gen._household(size)
        gen.kinds["household"] += 1
        ward = gen.ward_weight(rng)
        addr = gen._address(ward)
        hh_no = gen._household_no(ward)
        head = members[0]
        r = rng.random()
        hh_phone = head.phone if head.phone and r < 0.5 else gen._new_phone() if r < 0.75 else ""
        # Who also appears elsewhere (decided first: their row here is then a stale one).
        household_moves = multi and rng.random() < rates.household_move
        movers = [
            p
            for p in members
            if multi and rng.random() < rates.person_move * (1.3 if REFERENCE_YEAR - p.y >= 18 else 0.2)
        ]
        stale = {id(p) for p in movers}
        if household_moves:
            stale.update(id(p) for p in members)
        _emit(gen, buckets, ward, members, addr, hh_no, hh_phone, stale)
        if household_moves:
            gen.kinds["household_moved"] += 1
            moving = [p for p in members if rng.random() < 0.85] or members[:1]
            w2 = gen._other_ward(ward)
            phone2 = hh_phone if rng.random() < 0.6 else gen._new_phone() if rng.random() < 0.5 else ""
            _emit(gen, buckets, w2, moving, gen._address(w2), gen._household_no(w2), phone2, set())
        for p in movers:
            gen.kinds["person_moved"] += 1
            w2 = gen._other_ward(ward)
            _emit(gen, buckets, w2, [p], gen._address(w2), gen._household_no(w2), "", set())
            if gen.wards > 2 and rng.random() < rates.third_ward:
                gen.kinds["third_ward"] += 1
                w3 = gen._other_ward(ward, w2)
                _emit(gen, buckets, w3, [p], gen._address(w3), gen._household_no(w3), "", set())


def _emit(
    gen: _Generator,
    buckets: _Buckets,
    ward: int,
    members: list[_Person],
    addr: _Address,
    hh_no: str,
    hh_phone: str,
    stale: set[int],
) -> None:
    rng = gen.rng
    rates = gen.rates
    rows = [gen.row(p, ward, addr, hh_no, hh_phone, members, id(p) in stale) for p in members]
    buckets.add(ward, rows)
    for p in members:
        copies = 0
        while rng.random() < (rates.duplicate if copies == 0 else 0.1):
            copies += 1
            gen.kinds["duplicate"] += 1
            if rng.random() < rates.duplicate_moved:
                a2, h2 = gen._address(ward), gen._household_no(ward)
            else:
                a2, h2 = addr, hh_no
            buckets.add(ward, [gen.row(p, ward, a2, h2, hh_phone, members, True)])


_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _finalise(
    gen: _Generator, buckets: _Buckets, out_dir: Path, formats: set[str]
) -> tuple[list[Path], list[str], int]:
    rng = gen.rng
    files: list[Path] = []
    sources: list[str] = []
    total = 0
    with (out_dir / "truth.csv").open("w", encoding="utf-8", newline="") as truth_handle:
        truth = csv.writer(truth_handle)
        truth.writerow(TRUTH_HEADER)
        for w in range(gen.wards):
            ward_name, _, code, _ = vocab.OLD_WARDS[w]
            source = f"Phường {ward_name}"
            sources.append(source)
            width = max(6, len(str(buckets.counts[w])))
            csv_path = out_dir / f"ward_{w + 1}.csv"
            xlsx = (
                _XlsxSink(out_dir / f"ward_{w + 1}.xlsx", gen.styles[w].xlsx_date_cells)
                if "xlsx" in formats
                else None
            )
            handle = csv_path.open("w", encoding="utf-8", newline="") if "csv" in formats else None
            writer = csv.writer(handle) if handle else None
            if writer:
                writer.writerow(HEADER)
            seq = 0
            try:
                for bucket in buckets.files[w]:
                    units: list[list[list[str]]] = []
                    last = None
                    with bucket.open(encoding="utf-8", newline="") as f:
                        for r in csv.reader(f):
                            if r[0] != last:
                                units.append([])
                                last = r[0]
                            units[-1].append(r)
                    rng.shuffle(units)
                    for unit in units:
                        for r in unit:
                            seq += 1
                            rid = f"{code}-{seq:0{width}d}"
                            out = [rid, source, *r[2:]]
                            if writer:
                                writer.writerow(out)
                            if xlsx:
                                xlsx.append(out)
                            truth.writerow((rid, r[1]))
            finally:
                if handle:
                    handle.close()
            if handle:
                files.append(csv_path)
            if xlsx:
                files.append(xlsx.save())
            total += seq
    return files, sources, total


class _XlsxSink:
    """A register as an official's workbook: cells Excel would have made numbers are numbers."""

    def __init__(self, path: Path, date_cells: bool) -> None:
        from openpyxl import Workbook

        self.path = path
        self.date_cells = date_cells
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("Danh sách")
        self.ws.append(list(HEADER))

    def append(self, row: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells: list[Any] = list(row)
        for i in (4, 5, 7, 8):  # gender 1/0, IDs, phones, book numbers: Excel made numbers of digits
            v = row[i]
            if v.isdigit() and not v.startswith("0"):
                cells[i] = int(v)
        if self.date_cells:
            m = _DMY.fullmatch(row[3])
            if m:
                d, mo, y = (int(x) for x in m.groups())
                if 1 <= mo <= 12 and 1 <= d <= _days_in(y, mo):
                    cell = WriteOnlyCell(self.ws, value=date(y, mo, d))
                    cell.number_format = "DD/MM/YYYY"
                    cells[3] = cell
        self.ws.append(cells)

    def save(self) -> Path:
        self.wb.save(self.path)
        return self.path
