"""Dossier codes: `<agency code>-<YYMMDD>-<NNNN>` (Circular 01/2018/TT-VPCP).

The number comes from one row per agency and day, incremented with a single
INSERT … ON CONFLICT DO UPDATE … RETURNING inside the caller's transaction. PostgreSQL takes
a row lock for the update, so concurrent receipts queue on that row and each gets the next
number; if the receipt rolls back, its increment rolls back with it — no gaps, no repeats.
SQLite serialises writers, so the same statement is correct there too.
"""

import datetime as dt

from django.db import connection, transaction

from .models import DossierSequence

_SQL = f"""
INSERT INTO {DossierSequence._meta.db_table} (agency_code, day, last) VALUES (%s, %s, 1)
ON CONFLICT (agency_code, day) DO UPDATE SET last = {DossierSequence._meta.db_table}.last + 1
RETURNING last
"""  # noqa: S608 - the table name is ours, values are parameters


def dossier_code_next(*, agency_code: str, day: dt.date) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("dossier_code_next must run inside the receipt's transaction")
    with connection.cursor() as cur:
        cur.execute(_SQL, [agency_code, day])
        (number,) = cur.fetchone()
    if number > 9999:
        raise OverflowError("more than 9,999 dossiers in one day for one agency")
    # Upper-case, so that the public lookup (which upper-cases what residents type) finds the
    # code through the unique index with an exact match.
    return f"{agency_code.upper()}-{day:%y%m%d}-{number:04d}"
