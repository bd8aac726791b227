"""Only motcua/core/clock.py reads the time (issue 7 §5): ruff's banned-api rule (TID251, run by
`ruff check .` in tools/test) refuses `timezone.now()`, `datetime.now()`, `datetime.utcnow()`,
`datetime.today()` and `date.today()` everywhere else, in whatever form they are imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

READS = """\
import datetime
import datetime as dt
from datetime import date
from datetime import datetime as DT

from django.utils import timezone

a = timezone.now()
b = dt.datetime.now(dt.UTC)
c = DT.now()
d = dt.date.today()
e = date.today()
f = datetime.datetime.utcnow()
g = dt.datetime.today()
h = timezone.now
"""
FINE = """\
import datetime as dt

from django.utils import timezone

from motcua.core import clock

now = clock.now()
day = timezone.localdate(now)
moment = dt.datetime(2026, 2, 10, 8, 30, tzinfo=dt.UTC)
"""


def banned(source: str, filename: str) -> list[int]:
    """The lines of `source` that the project's ruff configuration refuses as a clock read."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251", "--output-format", "json",
         "--stdin-filename", filename, "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return sorted(row["location"]["row"] for row in json.loads(result.stdout))


@pytest.mark.parametrize(
    "filename",
    [
        "motcua/portal/views.py",
        "motcua/org/management/commands/x.py",
        "motcua/org/tests/test_x.py",
        "bench/x.py",
    ],
)
def test_every_form_of_reading_the_clock_is_refused(filename):
    assert banned(READS, filename) == [8, 9, 10, 11, 12, 13, 14, 15]


def test_from_import_of_now_is_refused():
    assert banned("from django.utils.timezone import now\n", "motcua/catalog/services.py") == [1]


def test_the_clock_module_and_passing_now_are_allowed():
    assert banned(READS, "motcua/core/clock.py") == []
    assert banned(FINE, "motcua/dossiers/services.py") == []
