"""The engine protocol is enough (issue 12 §2): a third engine, written only here, on SQLite.

``SQLiteEngine`` is ``engine_base.Engine`` in ~60 lines: tables in an in-memory SQLite database,
Splink's ``SQLiteAPI`` over them, and the few functions DuckDB has and SQLite lacks registered as
Python functions. Nothing of the model or of the steps is written for it: ``link(engine=...)``
runs the same features, blocking, scoring (the model trained on DuckDB), household evidence,
connected components, guard and review list, and gives the DuckDB engine's persons.

(Splink's prediction SQL is a chain of CTEs that SQLite does not materialise: scoring grows
fast with the data — 21 s for 115 rows, 155 s for 282 — so the registers here are small. The
engine is here to prove the protocol, not to be used.)
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pyarrow as pa
import pytest

from motcua.core import clock
from motcua.registers.engine_base import Engine
from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.io import read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import normalize_table


def _jaro_winkler(a: str | None, b: str | None) -> float | None:
    """Textbook Jaro-Winkler (prefix up to 4, scale 0.1), as DuckDB computes it."""
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    used_a, used_b = [False] * la, [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not used_b[j] and b[j] == ch:
                used_a[i] = used_b[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    sa = [ch for ch, u in zip(a, used_a, strict=True) if u]
    sb = [ch for ch, u in zip(b, used_b, strict=True) if u]
    transpositions = sum(x != y for x, y in zip(sa, sb, strict=True)) // 2
    jaro = (matches / la + matches / lb + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def _damerau_levenshtein(a: str | None, b: str | None) -> int | None:
    """Optimal string alignment distance (DuckDB's ``damerau_levenshtein``)."""
    if a is None or b is None:
        return None
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _sqlite_type(t: pa.DataType) -> str:
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return "integer"
    if pa.types.is_floating(t):
        return "real"
    return "text"


class SQLiteEngine:
    """``engine_base.Engine`` on SQLite: everything an engine has to do, nothing more."""

    name = "sqlite"
    dialect = "sqlite"

    def __init__(self) -> None:
        self.con = sqlite3.connect(":memory:")
        self._names: dict[str, str] = {}
        self._serial = 0
        self._api: Any = None

    def splink_api(self) -> Any:
        if self._api is None:
            from splink.backends.sqlite import SQLiteAPI

            self._api = SQLiteAPI(self.con, register_udfs=False)
            functions = {
                "damerau_levenshtein": (2, _damerau_levenshtein),
                "jaro_winkler": (2, _jaro_winkler),
                "ends_with": (2, lambda a, b: None if a is None or b is None else int(a.endswith(b))),
                "contains": (2, lambda a, b: None if a is None or b is None else int(b in a)),
                "regexp_replace": (3, lambda s, p, r: None if s is None else re.sub(p, r, s, count=1)),
                "floor": (1, lambda x: None if x is None else int(x // 1)),
            }
            for name, (n, fn) in functions.items():
                self.con.create_function(name, n, fn, deterministic=True)
        return self._api

    def _new(self, name: str) -> str:
        self._serial += 1
        physical = f"t_{name}_{self._serial}"
        old = self._names.get(name)
        self._names[name] = physical
        return old or ""

    def load(self, name: str, table: pa.Table) -> str:
        self.splink_api()  # the functions are needed from the first query on
        old = self._new(name)
        physical = self._names[name]
        columns = ", ".join(f'"{f.name}" {_sqlite_type(f.type)}' for f in table.schema)
        self.con.execute(f"create table {physical} ({columns})")
        marks = ", ".join("?" for _ in table.schema)
        rows = zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True)
        self.con.executemany(f"insert into {physical} values ({marks})", rows)  # noqa: S608 - our identifier
        if old:
            self.con.execute(f"drop table {old}")
        return physical

    def create(self, name: str, sql: str) -> str:
        self.splink_api()
        old = self._new(name)
        self.con.execute(f"create table {self._names[name]} as {sql}")
        if old:
            self.con.execute(f"drop table {old}")
        return self._names[name]

    def physical(self, name: str) -> str:
        return self._names[name]

    def query(self, sql: str) -> pa.Table:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [r if isinstance(r, tuple) else tuple(r.values()) for r in cursor.fetchall()]
        return pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})

    def columns(self, name: str) -> list[str]:
        return [
            r["name"] if isinstance(r, dict) else r[1]
            for r in self.con.execute(f"pragma table_info({self._names[name]})")
        ]

    def close(self) -> None:
        self.con.close()


def test_the_sqlite_engine_is_an_engine():
    engine: Engine = SQLiteEngine()  # mypy checks the signatures
    try:
        assert isinstance(engine, Engine)  # every member of the protocol is there
        engine.load("t", pa.table({"a": ["x", None], "n": [1, 2]}))
        made = engine.create("u", f"select a, n * 2 as m from {engine.physical('t')}")  # noqa: S608 - ours
        assert engine.columns("u") == ["a", "m"]
        assert engine.query(f"select * from {made} order by m").to_pylist() == [  # noqa: S608 - ours
            {"a": "x", "m": 2},
            {"a": None, "m": 4},
        ]
        # A table rebuilt from itself gets a new physical name; the old one is gone.
        again = engine.create("u", f"select a, m + 1 as m from {made}")  # noqa: S608 - ours
        assert again != made and engine.physical("u") == again
        assert engine.query(f"select max(m) as m from {again}").to_pylist() == [{"m": 5}]  # noqa: S608 - ours
    finally:
        engine.close()
    assert not isinstance(object(), Engine)


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    gen = generate_registers(persons=100, wards=3, seed=7, out_dir=tmp_path_factory.mktemp("reg"))
    return normalize_table(read_registers(list(gen.files)), now=clock.now())


def _partition(clusters: pa.Table) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for rid, pid in zip(
        clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True
    ):
        groups.setdefault(pid, set()).add(rid)
    return {frozenset(g) for g in groups.values()}


def test_a_third_engine_written_only_here_gives_the_same_persons(registers):
    labels = [("x", "y", False)]  # a decision on unknown records changes nothing, exercises the SQL
    duck = link(registers, seed=2, labels=labels)
    lite = link(registers, seed=2, labels=labels, engine=SQLiteEngine)
    assert lite.stats["engine"] == "sqlite" and duck.stats["engine"] == "duckdb"
    assert lite.stats["comparisons"] == duck.stats["comparisons"] > 0
    assert [b["marginal"] for b in lite.stats["blocking"]] == [b["marginal"] for b in duck.stats["blocking"]]
    assert lite.stats["training"]["parameters"] == duck.stats["training"]["parameters"]
    assert _partition(lite.clusters) == _partition(duck.clusters)
    assert lite.clusters.equals(duck.clusters)
    assert lite.stats["n_persons"] < registers.num_rows  # duplicates were found
    assert (
        lite.review_pairs.column("record_id_l").to_pylist()
        == duck.review_pairs.column("record_id_l").to_pylist()
    )
    assert lite.guard.equals(duck.guard)
