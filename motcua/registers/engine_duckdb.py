"""The DuckDB engine of the register linkage (embedded, in memory; the default).

``engine_base.Engine`` on one in-memory DuckDB connection, two threads. An Arrow table is
registered as it is (no copy: DuckDB keeps a reference); a query's table is a real table; a table
rebuilt from itself gets a fresh physical name and the old one is dropped.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa


class DuckDBEngine:
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, *, threads: int = 2) -> None:
        import duckdb

        self.con = duckdb.connect(":memory:")
        self.con.execute(f"set threads to {int(threads)}")
        self._names: dict[str, str] = {}
        self._arrow: set[str] = set()
        self._serial = 0
        self._api: Any = None

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import DuckDBAPI

            self._api = DuckDBAPI(connection=self.con)
        return self._api

    def _fresh(self, name: str) -> str:
        self._serial += 1
        return f"motcua_{name}_{self._serial}"

    def _replace(self, name: str, physical: str) -> str:
        old = self._names.get(name)
        self._names[name] = physical
        if old in self._arrow:
            self.con.unregister(old)
            self._arrow.discard(old)
        elif old is not None:
            self.con.execute(f"drop table if exists {old}")
        return physical

    def load(self, name: str, table: pa.Table) -> str:
        physical = self._fresh(name)
        self.con.register(physical, table)
        self._arrow.add(physical)
        return self._replace(name, physical)

    def create(self, name: str, sql: str) -> str:
        physical = self._fresh(name)
        self.con.execute(f"create table {physical} as {sql}")
        return self._replace(name, physical)

    def physical(self, name: str) -> str:
        return self._names[name]

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def columns(self, name: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"describe {self._names[name]}").fetchall()]

    def close(self) -> None:
        self.con.close()
