from motcua.cli import gunicorn_argv


def test_access_log_never_records_query_strings(monkeypatch):
    monkeypatch.setenv("MOTCUA_BIND", "127.0.0.1:9999")
    argv = gunicorn_argv(["--timeout", "30"])
    log_format = argv[argv.index("--access-logformat") + 1]
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format and "%(q)s" not in log_format
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9999"
    assert argv[-3:] == ["--timeout", "30", "motcua.config.wsgi:application"]
