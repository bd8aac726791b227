"""The `motcua` console script: Django's management commands plus `serve`.

`motcua migrate`, `motcua demo`, `motcua check --deploy`… are the management commands;
`motcua serve` runs gunicorn, the production server, and the background task worker
(`motcua db_worker`) beside it, so an operator needs nothing else.
"""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")
    from django.conf import settings

    # The embedded SQLite database and uploads live here; create it on first use.
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    argv = sys.argv
    if len(argv) > 1 and argv[1] == "serve":
        _serve(argv[2:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _serve(args: list[str]) -> None:
    from gunicorn.app.wsgiapp import run

    sys.argv = gunicorn_argv(args)
    run()


def gunicorn_argv(args: list[str]) -> list[str]:
    """gunicorn's command line. Workers default to 2×cores+1 (gunicorn's advice)."""
    workers = str(int(os.environ.get("MOTCUA_WORKERS", str(2 * (os.cpu_count() or 1) + 1))))
    bind = os.environ.get("MOTCUA_BIND", "127.0.0.1:8000")
    return [
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        workers,
        "--access-logfile",
        "-",
        # The path without the query string: lookups carry phone digits in it (?sdt=…), and
        # personal numbers must not reach the logs.
        "--access-logformat",
        '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss',
        # Starts and stops the background task worker with the master (register merges).
        "--config",
        "python:motcua.config.gunicorn_conf",
        *args,
        "motcua.config.wsgi:application",
    ]


if __name__ == "__main__":
    main()
