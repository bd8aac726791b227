"""Tests: fast hashing, uploads in a scratch folder. The database comes from DATABASE_URL:
SQLite (in memory) unless tools/test sets PostgreSQL for the second run."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
UPLOAD_ROOT = VAR_DIR / "test-uploads"
REGISTERS_ROOT = VAR_DIR / "test-registers"

# Serve static files straight from the apps (no collectstatic) while developing and testing.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not SQLite's shared in-memory database: that one locks whole tables and fails a
    # second thread at once ("database table is locked"), while the browser tests run the live
    # server, the background task worker and the test in three threads, as production runs them
    # in three processes. One file per test process, removed by pytest-django at the end.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
