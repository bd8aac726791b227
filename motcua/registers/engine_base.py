"""What the linkage asks of an SQL engine (issue 12 §2): one small protocol, ``Engine``.

The model (``model``: features, blocking rules, comparisons — DuckDB SQL) and the orchestration
(``linkage``: Splink's linker, the household evidence, the clustering's SQL, the conflict guard)
are written once. An engine only keeps tables and runs SQL: it loads an Arrow table, makes a
table from a query, answers a query as Arrow, lists a table's columns, and gives Splink its
database API on the same tables. ``linkage`` writes every statement in DuckDB's dialect and
passes it through ``to_dialect`` for engines that speak another (Spark SQL, SQLite, ...).

An engine's tables have *logical* names (``features``, ``pairs``, ``edges``...). ``create`` may
be asked to rebuild a table from a query that reads the table itself (``pairs`` after the
household evidence): the engine must give the result a fresh physical name (or otherwise not
read what it is overwriting) and ``physical(name)`` must then name the new one.

Columns an engine must produce: none of its own — every column comes from the model's SQL and
Splink's; what it must keep are the *types* on the way back (``query``): text as Arrow
``string`` (or ``large_string``: ``linkage`` casts it), integers as ``int64`` (or narrower),
fractions as ``float64``, truth values as ``bool``. So the engine-neutral steps (the conflict
guard, the person numbering, the review list) see the same tables from every engine.

The engines: ``engine_duckdb.DuckDBEngine`` (embedded, the default), ``engine_spark.SparkEngine``
(a province on a cluster); a third, on SQLite, is written in a test
(``tests/test_engine_protocol.py``) to show the protocol is enough.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pyarrow as pa


@runtime_checkable
class Engine(Protocol):
    name: str  # "duckdb", "spark", ... (stats and logs)
    dialect: str  # sqlglot's name of its SQL dialect

    def splink_api(self) -> Any:
        """Splink's ``DatabaseAPI`` over this engine's tables (made once, on first call)."""

    def load(self, name: str, table: pa.Table) -> str:
        """Put ``table`` in as table ``name`` (replacing one of that name); its physical name."""

    def create(self, name: str, sql: str) -> str:
        """Make table ``name`` from the query ``sql`` (this engine's dialect), replacing one of that
        name — ``sql`` may read the table it replaces; its physical name."""

    def physical(self, name: str) -> str:
        """The name to write in SQL for the logical table ``name``."""

    def query(self, sql: str) -> pa.Table:
        """The query's result as Arrow (types: see the module docstring)."""

    def columns(self, name: str) -> list[str]:
        """The columns of table ``name``, in order."""

    def close(self) -> None:
        """Free the engine's tables and whatever it started (a session, a directory)."""


def to_dialect(sql: str, dialect: str) -> str:
    """DuckDB SQL (as the model and the orchestration write it) in ``dialect``."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=dialect))


def string_columns(table: pa.Table) -> pa.Table:
    """``table`` with large strings as strings (Spark's Arrow gives large ones; DuckDB's do not)."""
    fields = [pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))
