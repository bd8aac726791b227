"""Pairwise precision, recall and F1 of a clustering against the truth.

A pair of records is a *true pair* when the truth gives them one person_id, a *predicted pair*
when the clustering does, and *correct* when both do. The counts come from cluster sizes, never
from enumerating pairs: true = Σ C(|t|, 2) over truth clusters, predicted = Σ C(|p|, 2) over
predicted clusters, correct = Σ C(|t ∩ p|, 2) over the non-empty intersections (the contingency
table). A million rows score in a few seconds.

Records of the truth missing from the clustering (or with a blank person_id there) count as
singletons; a record_id in the clustering but not in the truth is an error, and so is a
record_id given twice.

Conventions when a denominator is zero: precision is 1.0 when nothing was predicted to match,
recall is 1.0 when nothing truly matches; F1 is 0.0 when both precision and recall are 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_SINGLETON = "\x00singleton\x00"


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    records: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "records": self.records,
        }


def read_assignment(path: Path) -> pa.Table:
    """`record_id,person_id` (other columns ignored) from a UTF-8 CSV, as a two-column table."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=["record_id", "person_id"],
                column_types={"record_id": pa.string(), "person_id": pa.string()},
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise ValueError(f"{path}: need a CSV with record_id and person_id columns ({exc})") from exc
    return table.rename_columns(["record_id", "person_id"])


def _as_table(source: Path | str | Mapping[str, str], what: str) -> pa.Table:
    if isinstance(source, (str, Path)):
        table = read_assignment(Path(source))
    else:
        table = pa.table(
            {
                "record_id": pa.array([str(k) for k in source], pa.string()),
                "person_id": pa.array([None if v is None else str(v) for v in source.values()], pa.string()),
            }
        )
    ids = table.column("record_id")
    if ids.null_count:
        raise ValueError(f"{what}: blank record_id")
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids)
        dup = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")[:5].to_pylist()
        raise ValueError(f"{what}: record_id given more than once: {', '.join(dup)}")
    return table


def _pairs(table: pa.Table, keys: list[str]) -> int:
    if table.num_rows == 0:
        return 0
    counts = table.group_by(keys).aggregate([([], "count_all")]).column("count_all")
    n = pc.cast(counts, pa.int64())
    total = pc.sum(pc.multiply(n, pc.subtract(n, 1))).as_py() or 0
    return int(total) // 2


def score_clusters(
    *, truth: Path | str | Mapping[str, str], clusters: Path | str | Mapping[str, str]
) -> Scores:
    """Pairwise precision/recall/F1 of `clusters` (record_id → person_id) against `truth`."""
    t = _as_table(truth, "truth")
    if t.column("person_id").null_count:
        raise ValueError("truth: blank person_id")
    c = _as_table(clusters, "clusters")
    unknown = pc.invert(pc.is_in(c.column("record_id"), value_set=t.column("record_id")))
    if pc.any(unknown).as_py():
        some = c.column("record_id").filter(unknown)[:5].to_pylist()
        raise ValueError(f"clusters: record_id not in the truth: {', '.join(some)}")
    joined = t.rename_columns(["record_id", "truth"]).join(
        c.rename_columns(["record_id", "predicted"]), "record_id", join_type="left outer"
    )
    predicted = joined.column("predicted")
    predicted = pc.if_else(
        pc.or_kleene(pc.is_null(predicted), pc.equal(predicted, "")),
        pc.binary_join_element_wise(_SINGLETON, joined.column("record_id"), ""),
        predicted,
    )
    # Group on small integers rather than strings: less memory at a million rows.
    joined = pa.table(
        {
            "truth": pc.dictionary_encode(joined.column("truth")).combine_chunks().indices,
            "predicted": pc.dictionary_encode(predicted).combine_chunks().indices,
        }
    )
    true_pairs = _pairs(joined, ["truth"])
    predicted_pairs = _pairs(joined, ["predicted"])
    correct = _pairs(joined, ["truth", "predicted"])
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, true_pairs, predicted_pairs, correct, joined.num_rows)


@dataclass(frozen=True)
class TruthStructure:
    records: int
    persons: int
    persons_with_duplicates: int  # persons with two or more records
    persons_in_several_registers: int
    true_pairs: int
    pairs_within_register: int  # both records in one register
    pairs_across_registers: int


def truth_structure(
    truth: Path | Mapping[str, str], registers: Sequence[Path] | Mapping[str, str]
) -> TruthStructure:
    """How the duplicates of a generated set are spread: within one register or across registers.

    `registers` is either the register CSV files (the file is the register) or a mapping
    record_id → register name.
    """
    t = _as_table(truth, "truth").rename_columns(["record_id", "person"])
    if isinstance(registers, Mapping):
        src = pa.table({"record_id": list(registers.keys()), "register": list(registers.values())})
    else:
        parts = []
        for path in registers:
            ids = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    include_columns=["record_id"], column_types={"record_id": pa.string()}
                ),
            ).column("record_id")
            parts.append(pa.table({"record_id": ids, "register": pa.array([str(path)] * len(ids))}))
        src = pa.concat_tables(parts) if parts else pa.table({"record_id": [], "register": []})
    joined = t.join(src, "record_id", join_type="inner")
    per_person = joined.group_by(["person"]).aggregate([([], "count_all"), ("register", "count_distinct")])
    total = _pairs(joined, ["person"])
    within = _pairs(joined, ["person", "register"])
    return TruthStructure(
        records=joined.num_rows,
        persons=per_person.num_rows,
        persons_with_duplicates=int(pc.sum(pc.greater(per_person.column("count_all"), 1)).as_py() or 0),
        persons_in_several_registers=int(
            pc.sum(pc.greater(per_person.column("register_count_distinct"), 1)).as_py() or 0
        ),
        true_pairs=total,
        pairs_within_register=within,
        pairs_across_registers=total - within,
    )
