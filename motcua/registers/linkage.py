"""Probabilistic record linkage of the old wards' registers (issue 3, step 2).

Input: the normalised ``pyarrow.Table`` of ``motcua.registers.normalize.normalize_table`` (the
columns of docs/registers-contract.md; absent optional columns count as blank). Output:
``LinkResult`` — one ``person_id`` per record, the uncertain pairs for side-by-side review, every
scored pair above the review band, and the run's figures (comparisons per blocking rule, the
trained model, timings).

A Fellegi-Sunter model on Splink 5, DuckDB embedded; ``engine`` is a parameter (Spark later: the
settings and the feature SQL are engine-neutral). ``link_and_dedupe`` across the registers (one
Splink input per ``source``); a single register is deduplicated. In the order the data flows:

Features (``_FEATURES_SQL``): the contract's columns plus the name without spaces (syllables run
together: "Thịthùy"), the number of records sharing the tên (a nearly unique spelling is a typo),
the CCCD's gender and birth year (4th digit: century and gender; 5th–6th: year), the CCCD without
leading zeros — and no CCCD at all when it contradicts the row's own gender or birth year (a
relative's number typed on the row), the gender from the CCCD when the row has none, the birth
year from the CCCD when the row has no birth date (a year-only date; not when the CCCD's gender
contradicts the row's).

Blocking (``blocking_rules``): every rule a conjunction rare in the population, never the surname
alone (Nguyễn is ~38 % of people); a true pair needs one rule to survive: CCCD, CMND, phone,
household (within a register), (surname or tên) + birth date as written or day/month swapped,
(surname, tên) + the year when one side has only the year, or + two of year/month/day and the
third a typo away (one digit, one apart, two digits swapped), the full name in another order or
with other spaces + year, street + surname + tên (within a register), the full name when one
side has no birth year (within a register). A pair no level of the model can weigh up (same
name and year, two other full dates) is not built: those keys grow with the square of a common
name's count.
Splink's blocking analysis estimates the comparisons first (on a sample when large) to warn
early; the pairs are then built once, counted exactly per rule, and scored from Splink's cache.

Comparisons (``comparisons``), the decision carried by name and birth date:
- name: the whole folded name (term-frequency adjusted on the *full* name — its parts are not
  independent: Thị goes with women's names), the name once spaces are ignored, else the tên
  (TF-adjusted: a rare tên says much, "Anh" little), a one-edit typo (a nearly unique spelling, or
  one ``TYPO_RATIO`` times rarer than the other: dugn/dung, not hung/dung),
  one tên ending the other, near names; surname (Huỳnh/Hoàng, Võ/Vũ as one key; TF) and middle
  name (a dropped tên đệm is its own level) count only when the full names differ;
- birth date with its precision: exact (TF: 01/01 placeholders say little), day/month swapped,
  one field off by one, one typo, only the year on a side (same year / a year apart), the other
  side's CCCD gives this year, same year and month, same year;
- IDs: same CCCD, same CMND, CCCD one digit apart, different (null when not comparable);
- gender (as written, else from the CCCD);
- contact: household number, phone, street — one comparison with exclusive levels (a family
  shares all three: counted once), and *no weight at all* when the tên differs (family members,
  twins). Household book numbers and addresses are local to a ward (counters restart, tổ numbers
  repeat): they are compared within one register only; a phone is compared everywhere.

Training, no labels needed: the prior from two deterministic rules (same CCCD; same full name and
birth date) with an assumed recall; u by random sampling (seeded, deterministic), except the
contact levels' u, counted on random pairs whatever their names (``_estimate_contact_u``: Splink's
sampling meets those levels only with the tên agreeing too, and would count the name twice); m by EM over two
blocking rules — same birth date (estimates names, IDs, gender, contact) and same CCCD (estimates
dates, names, gender, contact) — each skipped below ``MIN_EM_PAIRS`` pairs (small registers), with
domain priors (``PRIORS``) as the starting point and as the value wherever the data cannot
estimate a level; every m kept >= ``M_FLOOR`` (no single disagreement is proof).

Household evidence (``corroborate``): a household that moved is listed in both wards. Once every
pair is scored, a pair whose housemates (same register, same household number or street) also
match strongly gets the Bayes factor of that evidence, its m and u estimated from the scored pairs
weighted by their own probabilities (one EM step, no labels).

Reviewers' decisions (``labels``: (record_id_l, record_id_r, is_match)) act twice: as hard
constraints (an accepted pair is merged, a rejected pair is never in one cluster; decided pairs
leave the review list), and, from ``MIN_LABELS_FOR_M`` accepted pairs on, as one more estimate of
the m probabilities (Splink's ``estimate_m_from_pairwise_labels``; Splink keeps the median of the
estimates per level). Rejections only constrain: Splink learns m from matches alone.

Clustering: Splink's connected components at the threshold, then a guard against a record
bridging two people: a cluster holding a *conflict* — two CCCDs (or CMNDs) more than one digit
apart, two day-precision birth dates differing in two or more of day/month/year and not a swap
(unless the two records share an ID), or a rejected pair — is rebuilt greedily: its edges
strongest first, each joining two groups only if no conflicting pair ends up together. Without
conflicts this is exactly the connected components; with them the weakest bridge gives way (a
direct pair in conflict is not merged either). Splink's ``cluster_using_single_best_links``
needs duplicate-free registers; ours are not.

Threshold 0.7 (``DEFAULT_MATCH_THRESHOLD``): pairwise F1 on the synthetic registers is flat
between 0.6 and 0.8 (the model is conservative in that band; the guard removes most of what a
lower threshold lets through); the review band (0.3, 0.95) brackets it.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from .clustering import guard_split
from .engine_base import Model

if TYPE_CHECKING:
    from .engine_base import Runner

logger = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")
# Where each stage of a run starts, as a share of its time (measured on Thanh Khê-sized
# registers: docs/performance.md); only for progress bars.
LINK_STAGES = {"blocking": 0.0, "training": 0.25, "scoring": 0.55, "clustering": 0.85}
DEFAULT_MATCH_THRESHOLD = 0.7
DEFAULT_REVIEW_BAND = (0.3, 0.95)
DEFAULT_MAX_PAIRS_WARNING = 20_000_000
# A run on fewer accepted pairs than this keeps the EM estimates (the labels still act as
# constraints): a handful of reviewer decisions is too few to estimate m for every level.
MIN_LABELS_FOR_M = 20
# An EM session needs pairs to learn from; below this its rule is skipped and the priors stand.
MIN_EM_PAIRS = 500
# Assumed recall of the deterministic rules used to estimate the prior (same CCCD; same full
# name and birth date). Duplicates without a CCCD or with a corrupted name/date are common.
DETERMINISTIC_RECALL = 0.6
U_MAX_PAIRS = 2e6
# The contact levels' u is counted over the pairs of this many records (~2 M pairs), and kept
# from Splink's sampling when a level is met fewer times than this (``_estimate_contact_u``).
CONTACT_U_RECORDS = 2000
# One given name one edit from another and this many times rarer is a typo of it (``comparisons``).
TYPO_RATIO = 30
CONTACT_U_MIN_HITS = 5
M_FLOOR = 0.005
PREDICT_FLOOR = 0.01
EM_MAX_PAIRS = 1e6

# Columns of the contract the model reads, with their types. Missing ones are added as nulls
# (a register without phones is a register, not an error).
INPUT_COLUMNS: dict[str, pa.DataType] = {
    "record_id": pa.string(),
    "source": pa.string(),
    "full_name": pa.string(),
    "name_folded": pa.string(),
    "surname": pa.string(),
    "surname_key": pa.string(),
    "middle": pa.string(),
    "given": pa.string(),
    "given2": pa.string(),
    "name_sorted": pa.string(),
    "birth_date": pa.string(),
    "birth_year": pa.int64(),
    "birth_month": pa.int64(),
    "birth_day": pa.int64(),
    "dob_precision": pa.string(),
    "dob_swapped": pa.string(),
    "gender": pa.string(),
    "citizen_id": pa.string(),
    "cmnd": pa.string(),
    "id_century_gender": pa.int64(),
    "id_birth_year_2": pa.int64(),
    "phone": pa.string(),
    "household_no": pa.string(),
    "address_folded": pa.string(),
    "street_key": pa.string(),
    "old_ward": pa.string(),
    "new_ward_code": pa.int64(),
}
REQUIRED_COLUMNS = ("record_id", "name_folded", "given")
# Both sides of a pair, shown to the reviewer.
DISPLAY_COLUMNS = (
    "source",
    "full_name",
    "birth_date",
    "birth_year",
    "dob_precision",
    "gender",
    "citizen_id",
    "cmnd",
    "phone",
    "household_no",
    "address_folded",
)

# Derived columns, in SQL both DuckDB and Spark SQL understand. ``{table}`` is the input.
_FEATURES_SQL = """
select *, case when given is null then null else count(*) over (partition by given) end as given_n
from (
select
    record_id as unique_id,
    record_id,
    coalesce(source, '') as source,
    full_name,
    nullif(name_folded, '') as name_folded,
    nullif(replace(name_folded, ' ', ''), '') as name_nospace,
    case when birth_year is null then nullif(name_folded, '') end as name_undated,
    case when dob_precision is distinct from 'day' then coalesce(birth_year, birth_year_cccd) end as year_only,
    nullif(surname, '') as surname,
    nullif(coalesce(surname_key, surname), '') as surname_key,
    case when nullif(name_folded, '') is null then null else coalesce(middle, '') end as middle,
    nullif(given, '') as given,
    nullif(given2, '') as given2,
    nullif(name_sorted, '') as name_sorted,
    case when dob_precision = 'day' then birth_date end as birth_date,
    coalesce(birth_year, birth_year_cccd) as birth_year,
    case when dob_precision = 'day' then birth_month end as birth_month,
    case when dob_precision = 'day' then birth_day end as birth_day,
    dob_precision,
    case when dob_precision = 'day' then dob_swapped end as dob_swapped,
    case when gender in ('M', 'F') then gender end as gender,
    coalesce(
        case when gender in ('M', 'F') then gender end,
        case when id_century_gender between 0 and 3 then
            case when id_century_gender % 2 = 0 then 'M' else 'F' end
        end
    ) as gender_eff,
    nullif(citizen_id, '') as citizen_id,
    -- The CCCD as evidence: dropped when its gender or birth year contradicts the row's own
    -- (a relative's number typed on this row); a year off by one is a date typo, not a conflict.
    case
        when (gender in ('M', 'F') and id_century_gender between 0 and 3
              and gender <> case when id_century_gender % 2 = 0 then 'M' else 'F' end)
          or (birth_year is not null and id_birth_year_2 between 0 and 99 and id_century_gender between 0 and 3
              and abs(birth_year - (case when id_century_gender <= 1 then 1900 else 2000 end
                                    + id_birth_year_2)) > 1)
        then null
        else nullif(regexp_replace(citizen_id, '^0+', ''), '')
    end as citizen_id_nz,
    nullif(cmnd, '') as cmnd,
    case
        when id_birth_year_2 is null or id_birth_year_2 not between 0 and 99 then null
        when id_century_gender in (0, 1) then 1900 + id_birth_year_2
        when id_century_gender in (2, 3) then 2000 + id_birth_year_2
    end as id_birth_year,
    nullif(phone, '') as phone,
    nullif(household_no, '') as household_no,
    address_folded,
    nullif(street_key, '') as street_key,
    old_ward,
    new_ward_code
from (
    -- No birth date written, a CCCD that does not contradict the row's gender: the year it
    -- encodes (4th digit: century, 5th-6th: year) stands for a year-only birth date.
    select input.*,
        case
            when birth_year is null and nullif(citizen_id, '') is not null
                and id_century_gender between 0 and 3 and id_birth_year_2 between 0 and 99
                and (gender is null or gender not in ('M', 'F')
                     or gender = case when id_century_gender % 2 = 0 then 'M' else 'F' end)
            then case when id_century_gender <= 1 then 1900 else 2000 end + id_birth_year_2
        end as birth_year_cccd
    from {table} as input
) as input
where record_id is not null
) as features
"""


# The contact comparison's levels on random pairs *without* its given-name condition: pairs
# with something comparable, then those sharing the household number (same register), else the
# phone, else the street (same register) — the levels' order. ``{table}`` holds the features.
_CONTACT_U_SQL = """
with s as (
    select unique_id, source, household_no, phone, street_key from {table}
    order by hash(concat(unique_id, $seed)), unique_id limit $k
),
p as (
    select l.source = r.source as same_source, l.household_no as h_l, r.household_no as h_r,
           l.phone as p_l, r.phone as p_r, l.street_key as s_l, r.street_key as s_r
    from s as l join s as r on l.unique_id < r.unique_id
),
c as (
    select
        case
            when same_source and h_l = h_r then 1
            when p_l = p_r then 2
            when same_source and s_l = s_r then 3
            else 0
        end as level
    from p
    where (same_source and ((h_l is not null and h_r is not null) or (s_l is not null and s_r is not null)))
       or (p_l is not null and p_r is not null)
)
select count(*), count(*) filter (where level = 1), count(*) filter (where level = 2),
       count(*) filter (where level = 3)
from c
"""


@dataclass(frozen=True)
class LinkResult:
    """What ``link`` returns; every table is a ``pyarrow.Table``."""

    clusters: pa.Table  # record_id, person_id (one row per input record)
    review_pairs: pa.Table  # uncertain pairs with both sides' values
    pairs: pa.Table  # every scored pair with probability >= review_band[0]
    stats: dict[str, Any] = field(default_factory=dict)
    # What the conflict guard reads of each record (``clustering.GUARD_COLUMNS``): with ``pairs``,
    # enough to cluster again under new reviewers' decisions (``clustering.cluster_edges``).
    guard: pa.Table | None = None


# --------------------------------------------------------------------------- model settings


def blocking_rules() -> list[tuple[str, Any]]:
    """(name, Splink blocking rule) pairs; a pair is compared if any rule admits it."""
    from splink import block_on

    return [
        ("citizen_id", block_on("citizen_id_nz")),
        ("cmnd", block_on("cmnd")),
        ("phone", block_on("phone")),
        # A household book number means something within its ward's register only.
        ("household_no", block_on("source", "household_no")),
        ("surname_key+birth_date", block_on("surname_key", "birth_date")),
        ("given+birth_date", block_on("given", "birth_date")),
        # One orientation suffices: a swap is its own inverse (x.swapped = y.date iff
        # y.swapped = x.date).
        (
            "dob_swapped=birth_date+surname_key",
            "l.dob_swapped = r.birth_date and l.surname_key = r.surname_key",
        ),
        ("dob_swapped=birth_date+given", "l.dob_swapped = r.birth_date and l.given = r.given"),
        # Same name, the birth date known to the year only on one side (both orientations) ...
        (
            "surname_key+given+year_only",
            "l.surname_key = r.surname_key and l.given = r.given and l.birth_year = r.year_only",
        ),
        (
            "year_only+surname_key+given",
            "l.year_only = r.birth_year and l.surname_key = r.surname_key and l.given = r.given",
        ),
        # ... or one of day, month, year mistyped: the other two agree and the third is a typo
        # away (one digit, one apart, two digits swapped). Any other difference is another date,
        # which no level of the model can weigh up (and these keys grow with the square of a
        # common name's count: Nguyễn Văn Hùng).
        (
            "surname_key+given+year+month",
            _same("surname_key", "given", "birth_year", "birth_month") + " and " + _typo("birth_day"),
        ),
        (
            "surname_key+given+year+day",
            _same("surname_key", "given", "birth_year", "birth_day") + " and " + _typo("birth_month"),
        ),
        (
            "surname_key+given+month+day",
            _same("surname_key", "given", "birth_month", "birth_day") + " and " + _typo("birth_year"),
        ),
        # The name in another order, or with other spaces (the same name and year with two other
        # dates is another person: every rule above has seen the pairs that could be one).
        (
            "name_sorted+birth_year",
            _same("name_sorted", "birth_year") + " and l.name_folded <> r.name_folded",
        ),
        (
            "name_nospace+birth_year",
            _same("name_nospace", "birth_year") + " and l.name_folded <> r.name_folded",
        ),
        # Addresses are local to a register (see the contact comparison).
        ("street_key+surname_key+given", block_on("source", "street_key", "surname_key", "given")),
        # No birth year on one side: the full name alone, for those records only (both
        # orientations: Splink keeps each pair once, with a fixed side on the left); within a
        # register, where a household or an address can confirm it.
        ("name_folded=name_undated", "l.name_folded = r.name_undated and l.source = r.source"),
        ("name_undated=name_folded", "l.name_undated = r.name_folded and l.source = r.source"),
    ]


def _same(*columns: str) -> str:
    return " and ".join(f"l.{c} = r.{c}" for c in columns)


def _typo(column: str) -> str:
    """SQL: the two sides' ``column`` (a positive integer) are one typo apart: one apart, or
    differing in one of the last two digits, or with the last two digits swapped."""
    a, b = f"l.{column}", f"r.{column}"
    return (
        f"(abs({a} - {b}) = 1 or {a} % 10 = {b} % 10 or floor({a} / 10) = floor({b} / 10)"
        f" or ({a} % 10 = floor({b} / 10) % 10 and floor({a} / 10) % 10 = {b} % 10))"
    )


# Prior m and u per level (null levels excluded), in level order: what a data officer knows
# about registers (most duplicates agree on the given name; one random pair in ~5,000 shares a
# birth date). They start EM, and stand where the data cannot estimate a level: u where random
# sampling never meets it, m where no EM session could run (small registers).
PRIORS: dict[str, list[tuple[float, float]]] = {
    "given": [
        (0.8, 5e-4),
        (0.01, 1e-4),
        (0.12, 0.03),
        (0.02, 1e-4),
        (0.01, 0.003),
        (0.02, 0.03),
        (0.02, 0.94),
    ],
    "surname": [(0.8, 0.2), (0.1, 0.003), (0.05, 0.01), (0.05, 0.79)],
    "middle": [(0.5, 0.08), (0.3, 0.08), (0.1, 0.02), (0.1, 0.82)],
    "birth_date": [
        (0.82, 2e-4),
        (0.02, 2e-5),
        (0.02, 3e-4),
        (0.01, 1e-3),
        (0.08, 2e-3),
        (0.005, 4e-3),
        (0.005, 0.01),
        (0.01, 1e-3),
        (0.01, 0.012),
        (0.02, 0.97),
    ],
    "ids": [(0.9, 1e-5), (0.05, 1e-4), (0.02, 1e-5), (0.03, 0.99997)],
    "gender": [(0.98, 0.5), (0.02, 0.5)],
    "contact": [(0.3, 1e-4), (0.15, 5e-5), (0.15, 5e-4), (0.4, 0.99935)],
}


def _priors(name: str, levels: list[Any]) -> list[Any]:
    """Configure ``PRIORS[name]`` on the non-null levels of a comparison."""
    import splink.comparison_level_library as cll

    priors = iter(PRIORS[name])
    for level in levels:
        if isinstance(level, cll.NullLevel) or getattr(level, "is_null_level", False):
            continue
        m, u = next(priors)
        level.configure(m_probability=m, u_probability=u)
    assert next(priors, None) is None, f"PRIORS[{name!r}] does not match its levels"
    return levels


def comparisons(n_records: int) -> list[Any]:
    """Splink comparisons; level order matters (the first true condition wins).

    ``n_records`` sets what "a (nearly) unique spelling" means: at most two records in the
    run, or ``TYPO_RATIO`` times fewer records than the other spelling (neither below 2,000
    records, where every name is rare).
    """
    rare_n = 2 if n_records >= 2000 else 0
    # A mistyped spelling is far rarer than the name it mistypes (dugn, hnug against dung, hung);
    # two names one letter apart that are both common are two names (dung / hung, ha / hoa).
    typo_ratio = TYPO_RATIO if n_records >= 2000 else 10**9
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    same_name = "name_nospace_l = name_nospace_r"
    given = cl.CustomComparison(
        output_column_name="given",
        comparison_description="Full name, else tên (given name); term-frequency adjusted",
        comparison_levels=_priors(
            "given",
            [
                cll.NullLevel("given"),
                # The frequency of the whole name, not the product of its parts': Thị goes with
                # women's names, Văn with men's, so the parts are far from independent.
                cll.ExactMatchLevel("name_folded", term_frequency_adjustments=True),
                cll.ExactMatchLevel("name_nospace").configure(
                    label_for_charts="Same name once spaces are ignored (syllables run together)"
                ),
                cll.ExactMatchLevel("given", term_frequency_adjustments=True),
                cll.CustomLevel(
                    f"damerau_levenshtein(given_l, given_r) <= 1 and (least(given_n_l, given_n_r) <= {rare_n}"
                    f" or least(given_n_l, given_n_r) * {typo_ratio} <= greatest(given_n_l, given_n_r))",
                    label_for_charts="One edit apart, one spelling (nearly) unique or far rarer: a typo",
                ),
                cll.CustomLevel(
                    "ends_with(given_l, given_r) or ends_with(given_r, given_l)",
                    label_for_charts="One given name ends the other (syllables run together)",
                ),
                cll.Or(cll.DamerauLevenshteinLevel("given", 1), cll.JaroWinklerLevel("given", 0.9)).configure(
                    label_for_charts="Near given names (one edit or Jaro-Winkler >= 0.9)"
                ),
                cll.ElseLevel(),
            ],
        ),
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_description="Họ (surname), regional variants as one key, term-frequency adjusted",
        comparison_levels=_priors(
            "surname",
            [
                cll.NullLevel("surname_key"),
                # Counted in the full name already.
                cll.CustomLevel(same_name, label_for_charts="Same full name").configure(is_null_level=True),
                cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
                cll.ExactMatchLevel("surname_key").configure(
                    label_for_charts="Regional variant (Huỳnh/Hoàng, Võ/Vũ)"
                ),
                cll.Or(cll.DamerauLevenshteinLevel("surname", 1), cll.JaroWinklerLevel("surname", 0.88)),
                cll.ElseLevel(),
            ],
        ),
    )
    middle = cl.CustomComparison(
        output_column_name="middle",
        comparison_description="Tên đệm (middle name); a dropped middle name is its own level",
        comparison_levels=_priors(
            "middle",
            [
                cll.NullLevel("middle"),
                cll.CustomLevel(same_name, label_for_charts="Same full name").configure(is_null_level=True),
                cll.ExactMatchLevel("middle", term_frequency_adjustments=True),
                cll.CustomLevel(
                    "(middle_l = '') <> (middle_r = '')", label_for_charts="Middle name on one side only"
                ),
                cll.Or(
                    cll.DamerauLevenshteinLevel("middle", 1),
                    cll.JaroWinklerLevel("middle", 0.88),
                    cll.CustomLevel(
                        "contains(middle_l, middle_r) or contains(middle_r, middle_l)",
                        label_for_charts="One middle name within the other",
                    ),
                ),
                cll.ElseLevel(),
            ],
        ),
    )
    day = "birth_date_l is not null and birth_date_r is not null"
    year_only = "(birth_date_l is null or birth_date_r is null)"
    dob = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="Birth date with its precision (day or year only)",
        comparison_levels=_priors(
            "birth_date",
            [
                cll.NullLevel("birth_year"),
                cll.ExactMatchLevel("birth_date", term_frequency_adjustments=True),
                cll.CustomLevel(
                    "dob_swapped_l = birth_date_r or birth_date_l = dob_swapped_r",
                    label_for_charts="Day and month swapped",
                ),
                cll.CustomLevel(
                    f"{day} and ("
                    "(birth_year_l = birth_year_r and birth_month_l = birth_month_r"
                    " and abs(birth_day_l - birth_day_r) = 1)"
                    " or (birth_year_l = birth_year_r and birth_day_l = birth_day_r"
                    " and abs(birth_month_l - birth_month_r) = 1)"
                    " or (birth_month_l = birth_month_r and birth_day_l = birth_day_r"
                    " and abs(birth_year_l - birth_year_r) = 1))",
                    label_for_charts="One of day, month, year off by one",
                ),
                cll.DamerauLevenshteinLevel("birth_date", 1).configure(
                    label_for_charts="One typo in the date"
                ),
                cll.CustomLevel(
                    f"{year_only} and birth_year_l = birth_year_r",
                    label_for_charts="Only the year known on a side: same year",
                ),
                cll.CustomLevel(
                    f"{year_only} and abs(birth_year_l - birth_year_r) = 1",
                    label_for_charts="Only the year known on a side: a year apart",
                ),
                cll.CustomLevel(
                    "id_birth_year_l = birth_year_r or birth_year_l = id_birth_year_r",
                    label_for_charts="Years differ, but the other side's CCCD gives this year",
                ),
                cll.CustomLevel(
                    "birth_year_l = birth_year_r and birth_month_l = birth_month_r",
                    label_for_charts="Same year and month, other day",
                ),
                cll.CustomLevel(
                    "birth_year_l = birth_year_r", label_for_charts="Same year, other day and month"
                ),
                cll.ElseLevel(),
            ],
        ),
    )
    ids = cl.CustomComparison(
        output_column_name="ids",
        comparison_description="CCCD / CMND",
        comparison_levels=_priors(
            "ids",
            [
                cll.CustomLevel(
                    "not ((citizen_id_nz_l is not null and citizen_id_nz_r is not null)"
                    " or (cmnd_l is not null and cmnd_r is not null))"
                ).configure(is_null_level=True),
                cll.ExactMatchLevel("citizen_id_nz").configure(label_for_charts="Same CCCD"),
                cll.ExactMatchLevel("cmnd").configure(label_for_charts="Same CMND"),
                cll.DamerauLevenshteinLevel("citizen_id_nz", 1).configure(
                    label_for_charts="CCCD one digit apart"
                ),
                cll.ElseLevel(),
            ],
        ),
    )
    gender = cl.CustomComparison(
        output_column_name="gender",
        comparison_description="Gender as written, else as encoded in the CCCD",
        comparison_levels=_priors(
            "gender",
            [
                cll.NullLevel("gender_eff"),
                cll.ExactMatchLevel("gender_eff"),
                cll.ElseLevel(),
            ],
        ),
    )
    # Family members share all of these; with another given name it says nothing about identity
    # (twins share the birth date too), so that level carries no weight (is_null_level: Splink
    # neither estimates it nor adds to the score). With the same given name it counts once.
    # Household book numbers and addresses are local to a ward: the same number, tổ or house in
    # another ward's register is another household (counters restart, tổ numbers repeat), so
    # they are compared within one register only; a phone number is the same everywhere.
    same_given = "(given_l = given_r or damerau_levenshtein(given_l, given_r) <= 1)"
    same_register = "source_l = source_r"
    shared = (
        f"(({same_register} and (household_no_l = household_no_r or street_key_l = street_key_r))"
        " or phone_l = phone_r)"
    )
    contact = cl.CustomComparison(
        output_column_name="contact",
        comparison_description="Household, phone, street: shared by a family, so counted once",
        comparison_levels=_priors(
            "contact",
            [
                cll.CustomLevel(
                    f"not (({same_register} and ((household_no_l is not null and household_no_r is not null)"
                    " or (street_key_l is not null and street_key_r is not null)))"
                    " or (phone_l is not null and phone_r is not null))"
                ).configure(is_null_level=True),
                cll.CustomLevel(
                    f"{shared} and not {same_given}",
                    label_for_charts="Shared contact, other given name (family)",
                ).configure(is_null_level=True),
                cll.CustomLevel(
                    f"{same_register} and household_no_l = household_no_r",
                    label_for_charts="Same household number (same register)",
                ),
                cll.CustomLevel("phone_l = phone_r", label_for_charts="Same phone"),
                cll.CustomLevel(
                    f"{same_register} and street_key_l = street_key_r",
                    label_for_charts="Same street address (same register)",
                ),
                cll.ElseLevel(),
            ],
        ),
    )
    return [given, surname, middle, dob, ids, gender, contact]


def settings(link_type: str, n_records: int) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=comparisons(n_records),
        blocking_rules_to_generate_predictions=[rule for _, rule in blocking_rules()],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


# --------------------------------------------------------------------------- the run


def link(
    table: pa.Table,
    *,
    engine: str = "duckdb",
    match_threshold: float = DEFAULT_MATCH_THRESHOLD,
    review_band: tuple[float, float] = DEFAULT_REVIEW_BAND,
    labels: Iterable[tuple[str, str, bool]] | None = None,
    max_pairs_warning: int = DEFAULT_MAX_PAIRS_WARNING,
    seed: int = 0,
    blocking_sample: float | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> LinkResult:
    """Link the records of ``table`` (normalised registers) into persons.

    ``progress(stage, fraction)`` is called as each stage starts (``LINK_STAGES``), the
    fraction being roughly the share of the run's time already spent (for a progress bar).

    ``labels`` are reviewers' decisions ``(record_id_l, record_id_r, is_match)``.
    ``blocking_sample``: proportion of records sampled by Splink's blocking analysis to estimate
    the comparisons before building them (None: all records up to 50,000, else 50,000's worth).
    ``seed`` makes the u sampling reproducible (everything else is deterministic).
    """
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}; expected one of {ENGINES}")
    lo, hi = review_band
    if not (0 <= lo <= hi <= 1) or not (0 < match_threshold < 1):
        raise ValueError("Expected 0 <= review_band[0] <= review_band[1] <= 1 and 0 < match_threshold < 1")

    started = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    table = _conform(table, notes)
    label_list = _clean_labels(labels)
    n_records = table.num_rows
    if n_records == 0:
        empty = pa.table({"record_id": pa.array([], pa.string()), "person_id": pa.array([], pa.string())})
        return LinkResult(empty, _empty_pairs(), _empty_pairs(), {"n_records": 0, "warnings": notes})
    if n_records == 1:
        # Nothing to compare (Splink cannot train on zero pairs): one record, one person.
        one = pa.table({"record_id": table.column("record_id").cast(pa.string()), "person_id": ["P000001"]})
        return LinkResult(
            one, _empty_pairs(), _empty_pairs(), {"n_records": 1, "n_persons": 1, "warnings": notes}
        )

    runner: Runner
    if engine == "spark":
        from .engine_spark import _SparkRun  # pyspark and a JVM only when asked for

        runner = _SparkRun(table, seed=seed, model=_model())
    else:
        runner = _DuckDBRun(table, seed=seed)
    try:
        return _run(
            runner,
            n_records,
            match_threshold,
            lo,
            hi,
            label_list,
            max_pairs_warning,
            blocking_sample,
            stats_base={
                "engine": engine,
                "seed": seed,
            },
            notes=notes,
            timings=timings,
            started=started,
            progress=progress or (lambda stage, fraction: None),
        )
    finally:
        runner.close()


def _run(
    runner: Runner,
    n_records: int,
    match_threshold: float,
    lo: float,
    hi: float,
    label_list: list[tuple[str, str, bool]],
    max_pairs_warning: int,
    blocking_sample: float | None,
    *,
    stats_base: dict[str, Any],
    notes: list[str],
    timings: dict[str, float],
    started: float,
    progress: Callable[[str, float], None],
) -> LinkResult:
    timings["prepare"] = runner.lap()
    progress("blocking", LINK_STAGES["blocking"])
    stats: dict[str, Any] = stats_base | {
        "n_records": n_records,
        "n_sources": runner.n_sources,
        "link_type": runner.link_type,
        "match_threshold": match_threshold,
        "review_band": [lo, hi],
    }
    # Splink's blocking analysis first, on a sample of records when the registers are large
    # (cheap), to warn before anything big is built; then the pairs themselves, counted exactly
    # per rule, and kept for prediction (Splink scores the registered pairs, no second blocking).
    sample = blocking_sample if blocking_sample is not None else min(1.0, 50_000 / n_records)
    estimate = runner.count_comparisons(sample)
    estimated_total = estimate[-1]["cumulative"] if estimate else 0
    if estimated_total > max_pairs_warning:
        msg = f"Blocking will generate about {estimated_total:,} comparisons (> {max_pairs_warning:,}): expect a long run"
        logger.warning(msg)
        notes.append(msg)
    timings["blocking_analysis"] = runner.lap()
    blocking = runner.block(estimate)
    timings["blocking"] = runner.lap()
    total = blocking[-1]["cumulative"] if blocking else 0
    stats["blocking"] = blocking
    stats["comparisons"] = total
    stats["comparisons_per_record"] = round(total / n_records, 2)
    for row in blocking:
        logger.info(
            "blocking rule %-28s %12d comparisons (%d cumulative)",
            row["rule"],
            row["marginal"],
            row["cumulative"],
        )

    progress("training", LINK_STAGES["training"])
    stats["training"] = runner.train(label_list, timings)

    progress("scoring", LINK_STAGES["scoring"])
    # Scored below the review band too: household evidence can lift a pair into it.
    runner.predict(min(lo, PREDICT_FLOOR))
    timings["predict"] = runner.lap()
    stats["household_evidence"] = runner.corroborate(match_threshold)
    pairs = runner.pairs(lo)
    timings["household_evidence"] = runner.lap()
    stats["pairs_scored_above_review_floor"] = pairs.num_rows

    progress("clustering", LINK_STAGES["clustering"])
    clusters, guard = _cluster(runner, match_threshold, label_list)
    timings["cluster"] = runner.lap()
    stats["guard"] = guard

    review = runner.review_pairs(clusters, lo, hi, match_threshold)
    timings["review_pairs"] = runner.lap()

    rule_names = pa.array([name for name, _ in blocking_rules()] + ["label"], pa.string())
    pairs = pairs.append_column(
        "blocking_rule", pc.take(rule_names, pc.cast(pairs.column("match_key"), pa.int64()))
    )
    pairs_out = pairs.select(
        [
            c
            for c in pairs.column_names
            if c
            in (
                "record_id_l",
                "record_id_r",
                "match_weight",
                "match_probability",
                "model_match_weight",
                "household_evidence",
                "blocking_rule",
            )
            or c.startswith("gamma_")
        ]
    )
    counts = pc.value_counts(clusters.column("person_id"))
    sizes = counts.field("counts").to_pylist()
    stats["n_persons"] = len(sizes)
    stats["n_records_in_multi_record_persons"] = int(sum(s for s in sizes if s > 1))
    stats["largest_cluster"] = int(max(sizes))
    stats["n_review_pairs"] = review.num_rows
    stats["n_labels"] = len(label_list)
    stats["warnings"] = notes
    timings["total"] = round(time.perf_counter() - started, 3)
    stats["timings"] = timings
    guard_table = runner.guard_columns()
    return LinkResult(clusters=clusters, review_pairs=review, pairs=pairs_out, stats=stats, guard=guard_table)


# --------------------------------------------------------------------------- clustering


def _cluster(
    runner: Runner, threshold: float, labels: Sequence[tuple[str, str, bool]]
) -> tuple[pa.Table, dict[str, Any]]:
    """Connected components, then the guard on clusters holding a conflict (``clustering``)."""
    components = runner.connected_components(threshold, labels)
    members, edges = runner.suspect_clusters(components)
    return guard_split(components, members, edges, labels)


def _set_u(level: Any, u: float) -> None:
    """Set a level's u for good: Splink re-derives u from its record of trained values (after
    EM, after labels), so that record is replaced too."""
    level._trained_u_probabilities = [{"probability": u, "description": "motcua: contact u", "m_or_u": "u"}]
    level.u_probability = u


# --------------------------------------------------------------------------- input


def _conform(table: pa.Table, notes: list[str]) -> pa.Table:
    missing_required = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing_required:
        raise ValueError(f"The normalised table lacks required columns: {', '.join(missing_required)}")
    columns = {}
    missing = []
    for name, typ in INPUT_COLUMNS.items():
        if name in table.column_names:
            col = table.column(name)
            if col.type != typ:
                col = _cast(col, typ)
            columns[name] = col
        else:
            missing.append(name)
            columns[name] = pa.nulls(table.num_rows, typ)
    if missing:
        notes.append(f"Columns absent from the input, treated as blank: {', '.join(missing)}")
    out = pa.table(columns)
    ids = out.column("record_id")
    if ids.null_count:
        raise ValueError("record_id must not be blank")
    if len(pc.unique(ids)) != out.num_rows:
        raise ValueError("record_id must be unique across the registers")
    return out


def _cast(col: pa.ChunkedArray, typ: pa.DataType) -> pa.ChunkedArray:
    """Cast a column to the type the model reads; text that is not an integer becomes null."""
    if pa.types.is_integer(typ) and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        text = pc.utf8_trim_whitespace(col)
        col = pc.if_else(pc.utf8_is_digit(text), text, pa.scalar(None, col.type))
    return pc.cast(col, typ)


def _clean_labels(labels: Iterable[tuple[str, str, bool]] | None) -> list[tuple[str, str, bool]]:
    out: dict[tuple[str, str], bool] = {}
    for left, right, is_match in labels or ():
        a, b = sorted((str(left), str(right)))
        if a != b:
            out[(a, b)] = bool(is_match)  # the last decision on a pair wins
    return [(a, b, m) for (a, b), m in sorted(out.items())]


def _empty_pairs() -> pa.Table:
    return pa.table(
        {
            "record_id_l": pa.array([], pa.string()),
            "record_id_r": pa.array([], pa.string()),
            "match_probability": pa.array([], pa.float64()),
        }
    )


def _model() -> Model:
    """The model as another engine needs it (``engine_base.Model``): it never imports this module."""
    return Model(
        features_sql=_FEATURES_SQL,
        display_columns=DISPLAY_COLUMNS,
        blocking_rules=blocking_rules,
        settings=settings,
        trainer=lambda table, seed: _DuckDBRun(table, seed=seed),
    )


# --------------------------------------------------------------------------- engine: DuckDB


class _DuckDBRun:
    """One linkage run on an in-memory DuckDB (tables live as long as the run)."""

    def __init__(self, table: pa.Table, *, seed: int) -> None:
        import duckdb
        from splink import DuckDBAPI, Linker

        self._t = time.perf_counter()
        self.seed = seed
        self.n_records = table.num_rows
        self.con = duckdb.connect(":memory:")
        self.con.execute("set threads to 2")
        self.con.register("motcua_input", table)
        self.con.execute("create table motcua_features as " + _FEATURES_SQL.format(table="motcua_input"))
        self.con.unregister("motcua_input")
        self.db_api = DuckDBAPI(connection=self.con)
        sources = [
            r[0]
            for r in self.con.execute("select distinct source from motcua_features order by 1").fetchall()
        ]
        self.n_sources = len(sources)
        self.con.register(
            "motcua_source_names_in",
            pa.table({"source": sources, "source_dataset": [f"s{i}" for i in range(len(sources))]}),
        )
        self.con.execute("create table motcua_source_names as select * from motcua_source_names_in")
        self.con.unregister("motcua_source_names_in")
        self.con.execute(
            """
            create view motcua_features_sd as
            select f.unique_id, n.source_dataset from motcua_features f join motcua_source_names n using (source)
            """
        )
        self.sd = len(sources) > 1  # Splink adds source_dataset columns when linking tables
        if self.sd:
            self.link_type = "link_and_dedupe"
            inputs = []
            for i, src in enumerate(sources):
                name = f"motcua_src_{i}"
                sql = f"create table {name} as select * from motcua_features where source = ? order by unique_id"  # noqa: S608 - the table name is ours, the source a parameter
                self.con.execute(sql, [src])
                inputs.append(self.db_api.register(name, dataset_display_name=f"s{i}"))
            self.linker = Linker(inputs, settings(self.link_type, self.n_records), log_level=None)
        else:
            self.link_type = "dedupe_only"
            self.con.execute("create table motcua_src_0 as select * from motcua_features order by unique_id")
            inputs = [self.db_api.register("motcua_src_0", dataset_display_name="s0")]
            self.linker = Linker(inputs[0], settings(self.link_type, self.n_records), log_level=None)

    def model_json(self) -> dict[str, Any]:
        """The trained model (Splink's model JSON), for an engine that scores with it."""
        model: dict[str, Any] = self.linker.misc.save_model_to_json()
        return model

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed = round(now - self._t, 3)
        self._t = now
        return elapsed

    def close(self) -> None:
        self.con.close()

    # -- blocking analysis
    def count_comparisons(self, sample: float) -> list[dict[str, Any]]:
        with warnings.catch_warnings():
            # On a sample, Splink warns that rare rules' estimates rest on few pairs: they are
            # only used to warn early; the exact counts come from the pairs themselves.
            warnings.simplefilter("ignore", UserWarning)
            records = self.linker.blocking_analysis.count_comparisons_from_blocking_rules(
                record_sample_proportion=sample
            )
        names = [n for n, _ in blocking_rules()]
        return [
            {
                "rule": name,
                "sql": rec["blocking_rule"],
                "marginal": int(rec["marginal_comparison_count"]),
                "cumulative": int(rec["cumulative_comparison_count"]),
                "estimate": bool(rec["is_estimate"]),
            }
            for name, rec in zip(names, records, strict=True)
        ]

    def block(self, estimate: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Build the candidate pairs (kept in Splink's cache for ``predict``); exact counts per rule
        (a pair counts for the first rule that admits it), beside the blocking analysis' estimate."""
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        counts = dict(
            self.con.execute(
                f"select cast(match_key as int), count(*) from {blocked.physical_name} group by 1"  # noqa: S608 - Splink's table
            ).fetchall()
        )
        out = []
        cumulative = 0
        for i, row in enumerate(estimate):
            marginal = int(counts.get(i, 0))
            cumulative += marginal
            out.append(
                {
                    "rule": row["rule"],
                    "sql": row["sql"],
                    "marginal": marginal,
                    "cumulative": cumulative,
                    "estimated_marginal": row["marginal"],
                }
            )
        return out

    # -- training
    def train(self, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]) -> dict[str, Any]:
        from splink import block_on
        from splink.internals.exceptions import EMTrainingException

        training = self.linker.training
        # A small register may hold no pair the deterministic rules admit (prior 0: every weight
        # -inf), more such pairs than the assumed recall allows (Splink refuses: a short list
        # full of duplicates), or only such pairs (prior 1): keep the prior strictly between,
        # at least one pair's worth.
        n_pairs = max(self.n_records * (self.n_records - 1) / 2, 2.0)
        try:
            training.estimate_probability_two_random_records_match(
                [block_on("citizen_id_nz"), block_on("name_folded", "birth_date")],
                recall=DETERMINISTIC_RECALL,
            )
            prior = self.linker._settings_obj._probability_two_random_records_match
        except (ValueError, ZeroDivisionError) as exc:
            logger.warning("prior not estimated (%s): one pair's worth instead", exc)
            prior = 1 / n_pairs
        self.linker._settings_obj._probability_two_random_records_match = min(max(prior, 1 / n_pairs), 0.5)
        timings["train_prior"] = self.lap()
        training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=self.seed)
        contact_u = self._estimate_contact_u()
        timings["train_u"] = self.lap()
        em_sessions: list[dict[str, Any]] = []
        rules = [("birth_date", block_on("birth_date")), ("citizen_id", block_on("citizen_id_nz"))]
        counts = self.linker.blocking_analysis.count_comparisons_from_blocking_rules(
            [rule for _, rule in rules], record_sample_proportion=1.0 if self.n_records <= 300_000 else 0.1
        )
        for (name, rule), count in zip(rules, counts, strict=True):
            n_pairs = int(count["marginal_comparison_count"])
            session: dict[str, Any] = {"blocking_rule": name, "pairs": n_pairs}
            em_sessions.append(session)
            if n_pairs < MIN_EM_PAIRS:
                # Too few pairs to estimate from: the priors stand for what this rule would
                # have estimated (see PRIORS).
                session["ok"] = False
                session["skipped"] = f"fewer than {MIN_EM_PAIRS} pairs"
                continue
            snapshot = self._snapshot()
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    rule,
                    estimate_without_term_frequencies=True,
                    # Splink samples records by a hash (deterministic) to keep EM at ~1 M pairs.
                    max_pairs=EM_MAX_PAIRS if self.n_records > 50_000 else None,
                    record_sample_proportion=0.05,
                )
                session["ok"] = True
            except (ValueError, EMTrainingException) as exc:
                # An m can underflow to 0 mid-EM and Splink refuses it. The session is
                # discarded and the model put back as it was before it.
                logger.warning("EM session blocked on %s discarded: %s", name, exc)
                self._restore(snapshot)
                session["ok"] = False
                session["error"] = str(exc)[:200]
        timings["train_em"] = self.lap()
        accepted = [(a, b) for a, b, m in labels if m]
        used_labels_for_m = False
        if len(accepted) >= MIN_LABELS_FOR_M:
            self._estimate_m_from_labels(accepted)
            used_labels_for_m = True
        self._floor_m()
        timings["train_labels"] = self.lap()
        return {
            "probability_two_random_records_match": self.linker._settings_obj._probability_two_random_records_match,
            "u_max_pairs": U_MAX_PAIRS,
            "contact_u": contact_u,
            "em_sessions": em_sessions,
            "m_from_labels": used_labels_for_m,
            "n_accepted_labels": len(accepted),
            "parameters": self._parameters(),
        }

    def _estimate_contact_u(self) -> dict[str, Any]:
        """u of the contact levels as P(shared household / phone / street | two people), whatever
        their names: Splink's random pairs meet the levels only with the given names agreeing too
        (another tên is the family level, no weight), so its u is P(shared contact) times
        P(same tên) — the name's agreement counted a second time, already weighed by the name
        comparison (a namesake in the same tổ came out ~2^10 more likely one person than it is).
        Counted over the pairs of ``CONTACT_U_RECORDS`` records (a deterministic hash sample); a
        level met fewer than ``CONTACT_U_MIN_HITS`` times keeps Splink's estimate (or its prior)."""
        rows = self.con.execute(
            _CONTACT_U_SQL.format(table="motcua_features"),
            {"k": CONTACT_U_RECORDS, "seed": str(self.seed)},
        ).fetchall()
        row = rows[0] if rows else None
        pairs, household, phone, street = (int(v or 0) for v in row) if row else (0, 0, 0, 0)
        info: dict[str, Any] = {"pairs": pairs, "hits": [household, phone, street]}
        if not pairs:
            return info
        comparison = next(
            c for c in self.linker._settings_obj.comparisons if c.output_column_name == "contact"
        )
        levels = comparison._comparison_levels_excluding_null
        assert len(levels) == 4, "contact: household, phone, street, else"
        estimated = []
        for level, hits in zip(levels[:3], (household, phone, street), strict=True):
            if hits >= CONTACT_U_MIN_HITS:
                _set_u(level, hits / pairs)
            estimated.append(level.u_probability)
        _set_u(levels[3], max(1 - sum(u for u in estimated if u), 0.5))
        info["u"] = [lvl.u_probability for lvl in levels]
        return info

    def _estimate_m_from_labels(self, accepted: Sequence[tuple[str, str]]) -> None:
        ids = pa.table({"a": [a for a, _ in accepted], "b": [b for _, b in accepted]})
        self.con.register("motcua_labels_in", ids)
        self.con.execute(
            """
            create or replace table motcua_labels as
            select l.source_dataset as source_dataset_l, l.unique_id as unique_id_l,
                   r.source_dataset as source_dataset_r, r.unique_id as unique_id_r
            from motcua_labels_in x
            join motcua_features_sd l on l.unique_id = x.a
            join motcua_features_sd r on r.unique_id = x.b
            """
        )
        self.con.unregister("motcua_labels_in")
        self.linker.training.estimate_m_from_pairwise_labels("motcua_labels")

    def _snapshot(self) -> Any:
        """The model's parameters, to put back if a training session fails: Splink's EM session
        filters the model's comparisons and sets its prior in place before it can fail."""
        return self.linker._settings_obj.core_model_settings.copy()  # a deep copy

    def _restore(self, snapshot: Any) -> None:
        self.linker._settings_obj.core_model_settings = snapshot

    def _floor_m(self) -> None:
        """No disagreement is proof: every level keeps m >= M_FLOOR (EM drives the m of a level
        never seen among matches in the training blocks to ~0, i.e. a weight of -100 bits; a
        register with a flipped gender or a rewritten middle name must not make that fatal)."""
        for cc in self.linker._settings_obj.comparisons:
            for lvl in cc._comparison_levels_excluding_null:
                m = lvl.m_probability
                if m is None or m < M_FLOOR:
                    lvl.m_probability = M_FLOOR

    def _parameters(self) -> list[dict[str, Any]]:
        out = []
        for cc in self.linker._settings_obj.comparisons:
            for lvl in cc._comparison_levels_excluding_null:
                out.append(
                    {
                        "comparison": cc.output_column_name,
                        "level": lvl.label_for_charts,
                        "m": lvl.m_probability,
                        "u": lvl.u_probability,
                        "match_weight": round(lvl._match_weight, 3) if lvl.m_probability else None,
                    }
                )
        return out

    # -- prediction
    def predict(self, floor: float) -> None:
        df = self.linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        self.con.execute(
            f"""
            create or replace table motcua_pairs as
            select *, match_weight as model_match_weight, cast(null as varchar) as household_evidence
            from {df.physical_name}
            """  # noqa: S608 - identifiers are ours, values are parameters
        )
        df.drop_table_from_database_and_remove_from_cache()

    def pairs(self, floor: float) -> pa.Table:
        sd = ", source_dataset_l, source_dataset_r" if self.sd else ""
        return self.con.sql(
            f"""
            select least(unique_id_l, unique_id_r) as record_id_l,
                   greatest(unique_id_l, unique_id_r) as record_id_r,
                   * exclude (unique_id_l, unique_id_r{sd})
            from motcua_pairs where match_probability >= $floor order by record_id_l, record_id_r
            """,  # noqa: S608 - identifiers are ours, values are parameters
            params={"floor": floor},
        ).to_arrow_table()

    def corroborate(self, strong: float) -> dict[str, Any]:
        """Household evidence, a second look at each pair once the first has been scored.

        A household that moved is listed in both wards: if another member of a's household (same
        register, same household number or else same street key) strongly matches another member
        of b's household, a and b are likely one person too; a namesake's family rarely moved
        with it. The evidence is defined when both a and b live with someone; its m and u are
        estimated from the scored pairs themselves, each weighted by its model probability (one
        EM step, no labels), and the Bayes factor is added to the match weight.
        """
        con = self.con
        con.execute(
            """
            create or replace table motcua_groups as
            with g as (
                select unique_id,
                       case when household_no is not null then source || '|h|' || household_no
                            when street_key is not null then source || '|s|' || street_key end as grp
                from motcua_features
            )
            select unique_id, grp from g
            where grp in (select grp from g where grp is not null group by grp having count(*) >= 2)
            """
        )
        con.execute(
            """
            create or replace table motcua_pg as
            select p.unique_id_l as a, p.unique_id_r as b, p.match_probability as p,
                   least(ga.grp, gb.grp) as g1, greatest(ga.grp, gb.grp) as g2
            from motcua_pairs p
            join motcua_groups ga on ga.unique_id = p.unique_id_l
            join motcua_groups gb on gb.unique_id = p.unique_id_r
            where ga.grp <> gb.grp
            """
        )
        con.execute(
            """
            create or replace table motcua_corroborated as
            select distinct x.a, x.b
            from motcua_pg x
            join motcua_pg s on s.g1 = x.g1 and s.g2 = x.g2 and s.p >= $strong
            where s.a not in (x.a, x.b) and s.b not in (x.a, x.b)
            """,
            {"strong": strong},
        )
        row = con.execute(
            """
            select sum(p * c) / nullif(sum(p), 0), sum((1 - p) * c) / nullif(sum(1 - p), 0), count(*), sum(c)
            from (
                select x.p, case when k.a is null then 0.0 else 1.0 end as c
                from motcua_pg x left join motcua_corroborated k on k.a = x.a and k.b = x.b
            )
            """
        ).fetchall()
        m, u, defined, corroborated = row[0] if row else (None, None, 0, 0)
        info: dict[str, Any] = {
            "pairs_with_household_evidence": int(defined or 0),
            "corroborated": int(corroborated or 0),
        }
        if not m or not u or m >= 1 or u >= 1:
            return info
        # Keep the estimate away from 0/1 (few pairs): at least a pair's worth of each.
        n = max(int(defined), 1)
        m = min(max(m, 1 / n), 1 - 1 / n)
        u = min(max(u, 1 / n), 1 - 1 / n)
        w_yes, w_no = math.log2(m / u), math.log2((1 - m) / (1 - u))
        con.execute(
            """
            update motcua_pairs set
                household_evidence = case when k.a is null then 'none' else 'corroborated' end,
                match_weight = model_match_weight + case when k.a is null then $w_no else $w_yes end
            from motcua_pg x left join motcua_corroborated k on k.a = x.a and k.b = x.b
            where motcua_pairs.unique_id_l = x.a and motcua_pairs.unique_id_r = x.b
            """,
            {"w_yes": w_yes, "w_no": w_no},
        )
        con.execute("update motcua_pairs set match_probability = 1 / (1 + pow(2, -match_weight))")
        info |= {
            "m": m,
            "u": u,
            "weight_corroborated": round(w_yes, 3),
            "weight_not_corroborated": round(w_no, 3),
        }
        return info

    # -- clustering
    def connected_components(self, threshold: float, labels: Sequence[tuple[str, str, bool]]) -> pa.Table:
        """Splink's connected components over the pairs >= threshold, with reviewers' decisions
        applied first (accepted pairs become edges of probability 1, rejected ones are dropped)."""
        self._register_labels(labels)
        sd_l, sd_r, fl, fr = (
            ("p.source_dataset_l, ", "p.source_dataset_r, ", "fl.source_dataset, ", "fr.source_dataset, ")
            if self.sd
            else ("", "", "", "")
        )
        self.con.execute(
            f"""
            create or replace table motcua_edges as
            select {sd_l}p.unique_id_l, {sd_r}p.unique_id_r, p.match_probability
            from motcua_pairs p
            anti join motcua_label_pairs x
              on x.a = least(p.unique_id_l, p.unique_id_r) and x.b = greatest(p.unique_id_l, p.unique_id_r)
            where p.match_probability >= $threshold
            union all
            select {fl}fl.unique_id, {fr}fr.unique_id, 1.0
            from motcua_label_pairs x
            join motcua_features_sd fl on fl.unique_id = x.a
            join motcua_features_sd fr on fr.unique_id = x.b
            where x.is_match
            """,  # noqa: S608 - identifiers are ours, values are parameters
            {"threshold": threshold},
        )
        edges = self.db_api.register("motcua_edges", table_name="motcua_edges_sdf")
        clustered = self.linker.clustering.cluster_pairwise_predictions_at_threshold(
            edges, threshold_match_probability=threshold
        )
        out = self.con.sql(
            f"select unique_id as record_id, cluster_id from {clustered.physical_name}"  # noqa: S608 - identifiers are ours, values are parameters
        ).to_arrow_table()
        clustered.drop_table_from_database_and_remove_from_cache()
        return out

    def _register_labels(self, labels: Sequence[tuple[str, str, bool]]) -> None:
        tbl = pa.table(
            {
                "a": pa.array([a for a, _, _ in labels], pa.string()),
                "b": pa.array([b for _, b, _ in labels], pa.string()),
                "is_match": pa.array([m for _, _, m in labels], pa.bool_()),
            }
        )
        self.con.register("motcua_label_pairs_in", tbl)
        self.con.execute("create or replace table motcua_label_pairs as select * from motcua_label_pairs_in")
        self.con.unregister("motcua_label_pairs_in")

    def suspect_clusters(self, clusters: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Members and edges of the clusters that may hold a conflict (see ``_conflict``)."""
        self.con.register("motcua_clusters_in", clusters)
        self.con.execute(
            """
            create or replace table motcua_clusters as
            select c.record_id, c.cluster_id, f.citizen_id_nz, f.cmnd, f.birth_date, f.dob_swapped
            from motcua_clusters_in c join motcua_features f on f.unique_id = c.record_id
            """
        )
        self.con.unregister("motcua_clusters_in")
        self.con.execute(
            """
            create or replace table motcua_suspects as
            select cluster_id from motcua_clusters group by cluster_id
            having count(distinct citizen_id_nz) > 1 or count(distinct cmnd) > 1
                or count(distinct birth_date) > 1
            union
            select l.cluster_id from motcua_label_pairs x
            join motcua_clusters l on l.record_id = x.a
            join motcua_clusters r on r.record_id = x.b
            where not x.is_match and l.cluster_id = r.cluster_id
            """
        )
        members = self.con.sql(
            """
            select c.* from motcua_clusters c semi join motcua_suspects s on s.cluster_id = c.cluster_id
            order by c.cluster_id, c.record_id
            """
        ).to_arrow_table()
        edges = self.con.sql(
            """
            select e.unique_id_l as a, e.unique_id_r as b, e.match_probability as p
            from motcua_edges e
            join motcua_clusters cl on cl.record_id = e.unique_id_l
            join motcua_clusters cr on cr.record_id = e.unique_id_r
            semi join motcua_suspects s on s.cluster_id = cl.cluster_id
            where cl.cluster_id = cr.cluster_id
            """
        ).to_arrow_table()
        return members, edges

    def guard_columns(self) -> pa.Table:
        return self.con.sql(
            "select unique_id as record_id, citizen_id_nz, cmnd, birth_date, dob_swapped"
            " from motcua_features order by unique_id"
        ).to_arrow_table()

    def review_pairs(self, clusters: pa.Table, lo: float, hi: float, threshold: float) -> pa.Table:
        threshold_weight = math.log2(threshold / (1 - threshold))
        self.con.register("motcua_persons_in", clusters)
        side = ",\n".join(f"{s}.{c} as {c}_{s}" for c in DISPLAY_COLUMNS for s in ("l", "r"))
        out = self.con.sql(
            f"""
            with p as (
                select least(unique_id_l, unique_id_r) as a, greatest(unique_id_l, unique_id_r) as b,
                       match_weight, match_probability
                from motcua_pairs
            )
            select p.a as record_id_l, p.b as record_id_r, p.match_probability, p.match_weight,
                   pl.person_id = pr.person_id as same_person,
                   {side}
            from p
            join motcua_persons_in pl on pl.record_id = p.a
            join motcua_persons_in pr on pr.record_id = p.b
            join motcua_features l on l.unique_id = p.a
            join motcua_features r on r.unique_id = p.b
            anti join motcua_label_pairs x on x.a = p.a and x.b = p.b
            where (p.match_probability >= $lo and p.match_probability < $hi)
               or (p.match_probability >= $threshold and pl.person_id <> pr.person_id)
            order by abs(p.match_weight - $tw), p.a, p.b
            """,  # noqa: S608 - identifiers are ours, values are parameters
            params={"lo": lo, "hi": hi, "threshold": threshold, "tw": threshold_weight},
        ).to_arrow_table()
        self.con.unregister("motcua_persons_in")
        return out
