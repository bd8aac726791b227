"""The `motcua` console script: Django's management commands plus `serve`.

`motcua migrate`, `motcua demo`, `motcua check --deploy`… are the management commands;
`motcua serve` runs gunicorn, the production server, and the background task worker
(`motcua db_worker`) beside it, so an operator needs nothing else.

`motcua serve` refuses to serve DEBUG pages (settings, source, SQL of every error) on an address
other machines reach: with DEBUG on, every bind address must be loopback (or a unix socket)
unless MOTCUA_ALLOW_DEBUG_ON_NETWORK=1. It also tells the development settings the address it
serves (MOTCUA_SERVE_URL), which they use as the public URL when MOTCUA_PUBLIC_URL is unset;
the production settings ignore it.
"""

import ipaddress
import os
import socket
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:8000"
ALLOW_DEBUG_ON_NETWORK = "MOTCUA_ALLOW_DEBUG_ON_NETWORK"


def main() -> None:
    argv = sys.argv
    serving = len(argv) > 1 and argv[1] == "serve"
    if serving:
        # Before the settings are read: the development settings take it as their public URL.
        os.environ["MOTCUA_SERVE_URL"] = serve_url(binds(argv[2:], os.environ)[0])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")
    from django.conf import settings

    # The embedded SQLite database and uploads live here; create it on first use.
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    if serving:
        refusal = debug_bind_refusal(
            debug=bool(settings.DEBUG), binds=binds(argv[2:], os.environ), env=os.environ
        )
        if refusal:
            print(refusal, file=sys.stderr)
            sys.exit(2)
        _serve(argv[2:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _serve(args: list[str]) -> None:
    from gunicorn.app.wsgiapp import run

    start_timers()
    sys.argv = gunicorn_argv(args)
    run()


def start_timers(*, close_connections: bool = True) -> bool:
    """Queue the hourly background timers (the feedback deadlines) for the task worker that
    `motcua serve` starts, unless one is already queued or the task worker runs elsewhere
    (MOTCUA_TASK_WORKER=0: its own service queues them with `motcua feedback tick --enqueue`).
    A database not yet migrated only gets a warning. Connections are closed before gunicorn
    forks. True when a run was queued."""
    if os.environ.get("MOTCUA_TASK_WORKER", "1") == "0":
        return False
    import django
    from django.db import DatabaseError, connections

    django.setup()
    from motcua.feedback.tasks import enqueue_tick

    try:
        return enqueue_tick()
    except DatabaseError as exc:
        print(
            f"motcua serve: the feedback timer was not queued ({exc}); run `motcua migrate`", file=sys.stderr
        )
        return False
    finally:
        if close_connections:  # gunicorn forks next: no connection may be shared by the workers
            connections.close_all()


def binds(args: Iterable[str], env: Mapping[str, str]) -> list[str]:
    """Every address gunicorn will listen on: MOTCUA_BIND, then any --bind/-b among the extra
    arguments (gunicorn listens on all of them)."""
    found = [env.get("MOTCUA_BIND") or DEFAULT_BIND]
    args = list(args)
    for i, arg in enumerate(args):
        if arg in ("--bind", "-b") and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith("--bind="):
            found.append(arg.split("=", 1)[1])
        elif arg.startswith("-b") and len(arg) > 2:
            found.append(arg[2:])
    return found


def _host_port(bind: str) -> tuple[str, str]:
    """ "127.0.0.1:8000" → ("127.0.0.1", "8000"); "[::1]:8000" → ("::1", "8000"); "host" → ("host", "8000")."""
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        return host, rest.lstrip(":") or "8000"
    if bind.count(":") == 1:
        host, port = bind.split(":")
        return host, port or "8000"
    return bind, "8000"


def is_local_bind(bind: str) -> bool:
    """A unix socket or a loopback address: no other machine reaches it."""
    if bind.startswith(("unix:", "fd://")):
        return True
    host, _ = _host_port(bind)
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def debug_bind_refusal(*, debug: bool, binds: list[str], env: Mapping[str, str]) -> str:
    """Why `motcua serve` must not start (empty: it may)."""
    exposed = [b for b in binds if not is_local_bind(b)]
    if not debug or not exposed or env.get(ALLOW_DEBUG_ON_NETWORK) == "1":
        return ""
    return (
        f"motcua serve: từ chối chạy — DEBUG đang bật mà máy chủ lắng nghe trên {', '.join(exposed)}: "
        "trang lỗi DEBUG để lộ cấu hình và mã nguồn cho mọi máy trong mạng.\n"
        f"motcua serve: refusing to serve DEBUG pages on {', '.join(exposed)} (not loopback). "
        "Use the production settings (DJANGO_SETTINGS_MODULE=motcua.config.settings.production), "
        "bind to 127.0.0.1, or set MOTCUA_ALLOW_DEBUG_ON_NETWORK=1 if you really mean it."
    )


def serve_url(bind: str) -> str:
    """The URL a browser on the network opens for this bind address (development's public URL)."""
    if bind.startswith(("unix:", "fd://")):
        return "http://127.0.0.1:8000"
    host, port = _host_port(bind)
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising the wildcard, not binding to it
        host = _own_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _own_address() -> str:
    """This machine's address on its default route (no packet is sent), else its host name."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()


UVICORN_WORKER = "motcua.config.gunicorn_conf.Worker"
HANDOFF_WORKER = "motcua.config.handoff.HandoffWorker"


def gunicorn_argv(args: list[str]) -> list[str]:
    """gunicorn's command line. Workers default to 2×cores+1 (gunicorn's advice); each is a sync
    worker serving Django's WSGI application that hands the hall's event streams to the stream
    server gunicorn_conf starts beside them (motcua.config.handoff; docs/decisions.md).
    A worker class named among the extra arguments replaces it: a classic one (`-k sync`,
    `--worker-class gthread`) serves the WSGI application alone (an event stream answers a finite
    replay with a slow retry); the uvicorn one (UVICORN_WORKER) serves the ASGI application."""
    workers = str(int(os.environ.get("MOTCUA_WORKERS", str(2 * (os.cpu_count() or 1) + 1))))
    bind = os.environ.get("MOTCUA_BIND") or DEFAULT_BIND
    named = _named_worker_class(args)
    return [
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        workers,
        *([] if named else ["--worker-class", HANDOFF_WORKER]),
        "--access-logfile",
        "-",
        # The path without the query string: lookups carry phone digits in it (?sdt=…), and
        # personal numbers must not reach the logs. (The stream server and the uvicorn workers
        # write this same line themselves, from motcua.config.asgi.access_line.)
        "--access-logformat",
        '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss',
        # Starts and stops the stream server and the background task worker with the master.
        "--config",
        "python:motcua.config.gunicorn_conf",
        *args,
        "motcua.config.asgi:application" if named == UVICORN_WORKER else "motcua.config.wsgi:application",
    ]


def _named_worker_class(args: list[str]) -> str:
    """The worker class named among the extra arguments, or ""."""
    for i, arg in enumerate(args):
        if arg in ("-k", "--worker-class") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--worker-class="):
            return arg.split("=", 1)[1]
        if arg.startswith("-k") and len(arg) > 2:
            return arg[2:]
    return ""


if __name__ == "__main__":
    main()
