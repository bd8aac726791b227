"""Review finding 7 (issue 8 hardening): the ASGI router's access line is one line whatever the
request's path held once percent-decoded (`%0A` would forge a second line, `%22` close the
request's quotes); still the path only, with residents' secrets masked."""

from __future__ import annotations

import asyncio
import logging

import pytest

from motcua.config.asgi import Router, access_line, log_atom


def _scope(path: str) -> dict:
    return {"type": "http", "client": ("10.0.0.7", 5000), "method": "GET", "path": path,
            "http_version": "1.1", "query_string": b"sdt=0912345678"}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (
            '/a\n10.0.0.9 - - [x] "GET /admin/ HTTP/1.1" 200',
            '/a\\n10.0.0.9 - - [x] \\"GET /admin/ HTTP/1.1\\" 200',
        ),
        ("/a\r\nb", "/a\\r\\nb"),
        ("/a\x00b\x1b[31mc\x7f", "/a\\x00b\\x1b[31mc\\x7f"),
        ("/a\u2028b\u202ec\x85", "/a\\u2028b\\u202ec\\x85"),
        ("/a\\x0ab", "/a\\\\x0ab"),  # a literal backslash is not taken for an escape
        ("/thủ-tục/đăng-ký/", "/thủ-tục/đăng-ký/"),  # printable letters stay as they are
    ],
)
def test_control_and_non_printable_characters_are_escaped(path, shown):
    assert log_atom(path) == shown
    line = access_line(_scope(path), 404, 0, 0.01)
    assert "\n" not in line and "\r" not in line and line.isprintable()
    assert f'"GET {shown} HTTP/1.1" 404 - 0.010000s' in line


def test_a_secret_is_still_masked_next_to_an_escaped_character():
    line = access_line(_scope("/lay-so/ve/12/S3cr3tS3cr3t/\n"), 200, 10, 0.01)
    assert "S3cr3t" not in line and "/lay-so/ve/12/***/\\n" in line
    assert "0912345678" not in line


def test_the_router_writes_one_line_for_a_forged_path(caplog):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})

    async def send(message):
        pass

    router = Router(streams=app, pages=app)
    with caplog.at_level(logging.INFO, logger="motcua.access"):
        asyncio.run(
            router(
                _scope('/x\n127.0.0.1 [01/Jan/2026:00:00:00 +0700] "GET /forged HTTP/1.1" 200'), None, send
            )
        )  # type: ignore[arg-type]
    (record,) = [r for r in caplog.records if r.name == "motcua.access"]
    message = record.getMessage()
    assert "\n" not in message and message.replace('\\"', "").count('"') == 2
    assert (
        '"GET /x\\n127.0.0.1 [01/Jan/2026:00:00:00 +0700] \\"GET /forged HTTP/1.1\\" 200 HTTP/1.1" 404 1 '
        in message
    )
