"""Local development and the demo: DEBUG on, SQLite by default."""

from .base import *  # noqa: F403

DEBUG = True
