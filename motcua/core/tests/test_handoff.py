"""The sync worker's hand-over of event streams (motcua.config.handoff): which request lines go,
that peeking consumes nothing, and that the stream server answers a connection handed to it."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from motcua.config.handoff import is_stream_request, peek_request_line

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "line",
    [
        b"GET /api/queue/centers/20209/events HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/queue/centers/20209/events/ HTTP/1.1\r\n",
        b"GET /api/queue/centers/20209/events?last=12 HTTP/1.0\r\n",
    ],
)
def test_stream_requests_are_handed_over(line):
    assert is_stream_request(line)


@pytest.mark.parametrize(
    "line",
    [
        b"POST /api/queue/centers/20209/events HTTP/1.1\r\n",  # only GET streams
        b"GET /api/queue/centers/20209/events",  # no end of line yet: served here
        b"GET /api/queue/centers/abc/events HTTP/1.1\r\n",
        b"GET /api/queue/centers/20209/eventsX HTTP/1.1\r\n",
        b"GET /api/queue/centers/1234567890/events HTTP/1.1\r\n",
        b"GET /x/api/queue/centers/20209/events HTTP/1.1\r\n",
        b"GET /api/queue/centers/20209/events HTTP/1.1 \r\n",
        b"GET /api/queue/tickets HTTP/1.1\r\n",
        b"",
    ],
)
def test_anything_else_stays_with_the_worker(line):
    assert not is_stream_request(line)


def test_peeking_consumes_nothing_and_waits_for_a_split_request_line():
    a, b = socket.socketpair()
    try:
        b.sendall(b"GET /api/queue/cen")
        rest = threading.Timer(0.1, b.sendall, [b"ters/20209/events HTTP/1.1\r\n\r\n"])
        rest.start()
        head = peek_request_line(a)
        rest.join()
        assert is_stream_request(head)
        assert a.recv(4096).startswith(b"GET /api/queue/centers/20209/events HTTP/1.1\r\n")
    finally:
        a.close()
        b.close()


def test_a_silent_client_is_given_back_after_the_limit():
    a, b = socket.socketpair()
    try:
        started = time.monotonic()
        assert peek_request_line(a, limit=0.2) == b""
        assert time.monotonic() - started < 1
    finally:
        a.close()
        b.close()


def test_the_stream_server_answers_a_connection_handed_to_it(tmp_path):
    """A socket sent over the hand-over channel, its request unread, gets its answer from the
    stream server (here a request for a page: the stream server serves any request, closing)."""
    path = str(tmp_path / "handoff.sock")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.test",
        "MOTCUA_VAR_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "motcua.config.streamserver", path], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the stream server did not start"
            time.sleep(0.05)
        client, server_side = socket.socketpair()
        with client, server_side:
            client.sendall(b"GET /api/queue/centers/abc/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
            channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            channel.connect(path)
            socket.send_fds(channel, [b"s"], [server_side.fileno()])
            channel.close()
            server_side.close()  # the stream server holds its own copy
            client.settimeout(10)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert head.startswith(b"http/1.1 ")
        assert b"connection: close" in head  # a handed-over connection is never reused
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not os.path.exists(path), "the socket is removed at exit"


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(int(stat.parent.name))
    return found


def _answer_via(path: str) -> bytes:
    client, server_side = socket.socketpair()
    with client, server_side:
        client.sendall(b"GET /api/queue/centers/abc/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        channel.connect(path)
        socket.send_fds(channel, [b"s"], [server_side.fileno()])
        channel.close()
        server_side.close()
        client.settimeout(10)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer


def test_a_stream_server_that_dies_is_started_again(tmp_path):
    path = str(tmp_path / "handoff.sock")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.test",
        "MOTCUA_VAR_DIR": str(tmp_path),
    }
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "motcua.config.streamserver", path], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (os.path.exists(path) and _children_of(supervisor.pid)):
            assert time.monotonic() < deadline and supervisor.poll() is None
            time.sleep(0.05)
        (first,) = _children_of(supervisor.pid)
        os.kill(first, 9)  # a crash: the socket file stays behind
        while True:
            children = _children_of(supervisor.pid)
            if children and children != [first]:
                break
            assert time.monotonic() < deadline + 30, "not started again"
            time.sleep(0.05)
        while True:  # the new server has bound the socket again
            try:
                answer = _answer_via(path)
                break
            except OSError:
                assert time.monotonic() < deadline + 30
                time.sleep(0.1)
        assert answer.startswith(b"HTTP/1.1 ")
    finally:
        supervisor.terminate()
        assert supervisor.wait(timeout=20) == 0
    assert not os.path.exists(path)
