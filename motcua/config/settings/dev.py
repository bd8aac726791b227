"""Local development and the demo: DEBUG on, SQLite by default."""

from .base import *  # noqa: F403

DEBUG = True

# Serve static files straight from the apps (no collectstatic) while developing and testing.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
