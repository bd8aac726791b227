"""The register linkage's model, as data: what every engine runs (issue 3; issue 12 §2).

Nothing here runs anything: the input columns and their types (``INPUT_COLUMNS``), the derived
features (``FEATURES_SQL``), the blocking rules (``blocking_rules``), the comparisons with their
levels and prior m/u (``comparisons``, ``PRIORS``), Splink's settings (``settings``), and the
cleaning of the input and of reviewers' decisions (``conform``, ``clean_labels``). Every SQL
fragment is written once, in DuckDB's dialect; an engine with another dialect gets it translated
(``engine_base.to_dialect``, sqlglot — as Splink itself does for its own SQL).

How the pieces are meant (the full reasoning is in ``linkage``'s docstring and decisions.md):

Features (``FEATURES_SQL``): the contract's columns plus the name without spaces (syllables run
together: "Thịthùy"), the number of records sharing the tên (a nearly unique spelling is a typo),
the CCCD's gender and birth year (4th digit: century and gender; 5th–6th: year), the CCCD without
leading zeros — and no CCCD at all when it contradicts the row's own gender or birth year (a
relative's number typed on the row), the gender from the CCCD when the row has none, the birth
year from the CCCD when the row has no birth date.

Blocking (``blocking_rules``): every rule a conjunction rare in the population, never the surname
alone (Nguyễn is ~38 % of people). The rules on a name and a date hold within one area
(``block_area``: the new commune most of a register's rows convert to), so that comparisons per
record stay flat as a province's population grows (issue 12 §3, docs/scaling.md); across areas a
pair is found by an ID, a phone, or the same full name and birth date. One commune's merge (all
its old wards convert to it) is unchanged by this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_MATCH_THRESHOLD = 0.7
DEFAULT_REVIEW_BAND = (0.3, 0.95)
# One given name one edit from another and this many times rarer is a typo of it (``comparisons``).
TYPO_RATIO = 30

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

# Derived columns (DuckDB SQL; every engine runs it translated). ``{table}`` is the input.
FEATURES_SQL = """
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
    new_ward_code,
    -- The register's area for the blocking rules on a name and a date: the new commune at least
    -- half its rows convert to; any other register goes with the run's main commune.
    coalesce(
        area_code,
        (select new_ward_code from {table} where new_ward_code is not null
         group by new_ward_code order by count(*) desc, new_ward_code limit 1),
        0
    ) as block_area
from (
    -- No birth date written, a CCCD that does not contradict the row's gender: the year it
    -- encodes (4th digit: century, 5th-6th: year) stands for a year-only birth date.
    select input.*, area.area_code,
        case
            when birth_year is null and nullif(citizen_id, '') is not null
                and id_century_gender between 0 and 3 and id_birth_year_2 between 0 and 99
                and (gender is null or gender not in ('M', 'F')
                     or gender = case when id_century_gender % 2 = 0 then 'M' else 'F' end)
            then case when id_century_gender <= 1 then 1900 else 2000 end + id_birth_year_2
        end as birth_year_cccd
    from {table} as input
    left join (
        -- A register's commune: the one at least half of ALL its rows convert to (a few rows
        -- already written in a neighbour's 2025 form must not move a whole register).
        select area_source, new_ward_code as area_code
        from (
            select coalesce(source, '') as area_source, new_ward_code, count(*) as n,
                   sum(count(*)) over (partition by coalesce(source, '')) as total,
                   row_number() over (
                       partition by coalesce(source, '')
                       order by case when new_ward_code is null then 1 else 0 end, count(*) desc, new_ward_code
                   ) as area_rank
            from {table}
            group by coalesce(source, ''), new_ward_code
        ) as ranked
        where area_rank = 1 and new_ward_code is not null and 2 * n >= total
    ) as area on area.area_source = coalesce(input.source, '')
) as input
where record_id is not null
) as features
"""


def blocking_rules() -> list[tuple[str, Any]]:
    """(name, Splink blocking rule) pairs; a pair is compared if any rule admits it.

    The rules on a name and a date hold within one area (``block_area``: the new commune of the
    register): their keys grow with the square of a name's count, so over a province they would
    grow with the square of the population; within a commune they stay flat (docs/scaling.md).
    Across areas a pair is found by an ID, a phone, or the same full name and birth date.
    """
    from splink import block_on

    area = " and l.block_area = r.block_area"
    return [
        ("citizen_id", block_on("citizen_id_nz")),
        ("cmnd", block_on("cmnd")),
        ("phone", block_on("phone")),
        # A household book number means something within its ward's register only.
        ("household_no", block_on("source", "household_no")),
        ("surname_key+birth_date", block_on("surname_key", "birth_date", "block_area")),
        ("given+birth_date", block_on("given", "birth_date", "block_area")),
        # One orientation suffices: a swap is its own inverse (x.swapped = y.date iff
        # y.swapped = x.date).
        (
            "dob_swapped=birth_date+surname_key",
            "l.dob_swapped = r.birth_date and l.surname_key = r.surname_key" + area,
        ),
        ("dob_swapped=birth_date+given", "l.dob_swapped = r.birth_date and l.given = r.given" + area),
        # Same name, the birth date known to the year only on one side (both orientations) ...
        (
            "surname_key+given+year_only",
            "l.surname_key = r.surname_key and l.given = r.given and l.birth_year = r.year_only" + area,
        ),
        (
            "year_only+surname_key+given",
            "l.year_only = r.birth_year and l.surname_key = r.surname_key and l.given = r.given" + area,
        ),
        # ... or one of day, month, year mistyped: the other two agree and the third is a typo
        # away (one digit, one apart, two digits swapped). Any other difference is another date,
        # which no level of the model can weigh up (and these keys grow with the square of a
        # common name's count: Nguyễn Văn Hùng).
        (
            "surname_key+given+year+month",
            _same("surname_key", "given", "birth_year", "birth_month") + " and " + _typo("birth_day") + area,
        ),
        (
            "surname_key+given+year+day",
            _same("surname_key", "given", "birth_year", "birth_day") + " and " + _typo("birth_month") + area,
        ),
        (
            "surname_key+given+month+day",
            _same("surname_key", "given", "birth_month", "birth_day") + " and " + _typo("birth_year") + area,
        ),
        # The name in another order, or with other spaces (the same name and year with two other
        # dates is another person: every rule above has seen the pairs that could be one).
        (
            "name_sorted+birth_year",
            _same("name_sorted", "birth_year") + " and l.name_folded <> r.name_folded" + area,
        ),
        (
            "name_nospace+birth_year",
            _same("name_nospace", "birth_year") + " and l.name_folded <> r.name_folded" + area,
        ),
        # Addresses are local to a register (see the contact comparison).
        ("street_key+surname_key+given", block_on("source", "street_key", "surname_key", "given")),
        # No birth year on one side: the full name alone, for those records only (both
        # orientations: Splink keeps each pair once, with a fixed side on the left); within a
        # register, where a household or an address can confirm it.
        ("name_folded=name_undated", "l.name_folded = r.name_undated and l.source = r.source"),
        ("name_undated=name_folded", "l.name_undated = r.name_folded and l.source = r.source"),
        # Across areas (a family that moved to another commune): the same full name and birth
        # date, a key as rare nationally as a CCCD is common (within an area the rules above
        # have already admitted every such pair).
        ("name_folded+birth_date (any area)", block_on("name_folded", "birth_date")),
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
    # Same area, another area: u from random pairs (the areas' share of all pairs), m by EM.
    "area": [(0.95, 0.5), (0.05, 0.5)],
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
    # The area (``block_area``: a register's new commune) as evidence: with several communes in
    # a run, the prior (estimated over all pairs) falls with their number, while a person's
    # records are mostly in one commune; this comparison gives a same-commune pair back what the
    # prior took (m / u ~ 1 / the communes' share of all pairs) and weighs a cross-commune pair
    # down. One commune: every pair is at its only level, u = m = 1, no weight.
    area = cl.CustomComparison(
        output_column_name="area",
        comparison_description="Same new commune (the registers' area)",
        comparison_levels=_priors(
            "area",
            [
                cll.NullLevel("block_area"),
                cll.ExactMatchLevel("block_area").configure(label_for_charts="Same commune"),
                cll.ElseLevel(),
            ],
        ),
    )
    return [given, surname, middle, dob, ids, gender, contact, area]


def settings(link_type: str, n_records: int) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=comparisons(n_records),
        blocking_rules_to_generate_predictions=[rule for _, rule in blocking_rules()],
        retain_intermediate_calculation_columns=False,
        # Splink keeps the comparison vectors (gamma_*) only with the matching columns; the run
        # keeps the vectors (the second stage, the error analysis) and drops the columns.
        retain_matching_columns=True,
    )


# --------------------------------------------------------------------------- input


def conform(table: pa.Table, notes: list[str]) -> pa.Table:
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


def clean_labels(labels: Iterable[tuple[str, str, bool]] | None) -> list[tuple[str, str, bool]]:
    out: dict[tuple[str, str], bool] = {}
    for left, right, is_match in labels or ():
        a, b = sorted((str(left), str(right)))
        if a != b:
            out[(a, b)] = bool(is_match)  # the last decision on a pair wins
    return [(a, b, m) for (a, b), m in sorted(out.items())]
