from motcua.cli import gunicorn_argv


def test_access_log_never_records_query_strings(monkeypatch):
    monkeypatch.setenv("MOTCUA_BIND", "127.0.0.1:9999")
    argv = gunicorn_argv(["--timeout", "30"])
    log_format = argv[argv.index("--access-logformat") + 1]
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format and "%(q)s" not in log_format
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9999"
    assert argv[-3:] == ["--timeout", "30", "motcua.config.wsgi:application"]
    # Sync workers that hand event streams to the stream server, which (like the uvicorn workers
    # one may choose) writes the access line itself, in the same format, path only.
    assert argv[argv.index("--worker-class") + 1] == "motcua.config.handoff.HandoffWorker"
    from motcua.config.asgi import access_line

    scope = {"client": ("10.0.0.7", 5000), "method": "GET", "path": "/tra-cuu/", "http_version": "1.1",
             "query_string": b"sdt=0912345678"}  # fmt: skip
    line = access_line(scope, 200, 1234, 0.05)
    assert line.startswith("10.0.0.7 [") and '"GET /tra-cuu/ HTTP/1.1" 200 1234 0.050000s' in line
    assert "0912345678" not in line


def test_a_classic_worker_class_serves_the_wsgi_application():
    for extra in (
        ["--worker-class", "sync"],
        ["-k", "gthread", "--threads", "2"],
        ["--worker-class=sync"],
        ["-ksync"],
    ):
        argv = gunicorn_argv(extra)
        assert argv[-1] == "motcua.config.wsgi:application"
        assert "motcua.config.handoff.HandoffWorker" not in argv
    # The uvicorn workers (measured, not the default) serve the ASGI application.
    argv = gunicorn_argv(["-k", "motcua.config.gunicorn_conf.Worker"])
    assert argv[-1] == "motcua.config.asgi:application" and argv.count("--worker-class") == 0


def test_serve_starts_and_stops_the_task_worker(monkeypatch):
    from motcua.config import gunicorn_conf

    argv = gunicorn_argv([])
    assert argv[argv.index("--config") + 1] == "python:motcua.config.gunicorn_conf"

    class Log:
        def info(self, *args):
            pass

    class Server:
        log = Log()

        class cfg:
            worker_class_str = "sync"  # no stream server for a plain sync worker

    # A stand-in for db_worker: a process that sleeps until terminated.
    monkeypatch.setattr(gunicorn_conf, "worker_argv", lambda: ["sleep", "60"])
    gunicorn_conf.on_starting(Server())
    worker = gunicorn_conf._worker
    assert worker is not None and worker.poll() is None
    gunicorn_conf.on_exit(Server())
    assert worker.poll() is not None and gunicorn_conf._worker is None


def test_the_task_worker_can_be_left_to_its_own_service(monkeypatch):
    from motcua.config import gunicorn_conf

    class Server:
        class log:
            @staticmethod
            def info(*args):
                pass

        class cfg:
            worker_class_str = "sync"

    monkeypatch.setenv("MOTCUA_TASK_WORKER", "0")
    monkeypatch.setattr(gunicorn_conf, "_worker", None)
    gunicorn_conf.on_starting(Server())
    assert gunicorn_conf._worker is None


def test_worker_argv_runs_the_database_worker():
    from motcua.config import gunicorn_conf

    argv = gunicorn_conf.worker_argv()
    assert argv[1:4] == ["-m", "motcua.cli", "db_worker"]


def test_serve_queues_the_feedback_timer_once(db, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from motcua.cli import start_timers

    monkeypatch.delenv("MOTCUA_TASK_WORKER", raising=False)
    assert start_timers(close_connections=False) is True
    assert start_timers(close_connections=False) is False  # one run waiting is enough
    assert DBTaskResult.objects.filter(task_path__endswith="feedback_tick_task").count() == 1
    monkeypatch.setenv("MOTCUA_TASK_WORKER", "0")
    DBTaskResult.objects.all().delete()
    assert start_timers(close_connections=False) is False and not DBTaskResult.objects.exists()
