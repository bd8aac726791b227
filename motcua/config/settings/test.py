"""Tests: fast hashing, uploads in a scratch folder. The database comes from DATABASE_URL:
SQLite (in memory) unless tools/test sets PostgreSQL for the second run."""

from .base import *  # noqa: F403
from .base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
UPLOAD_ROOT = VAR_DIR / "test-uploads"

# Serve static files straight from the apps (no collectstatic) while developing and testing.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
