"""The proxy in front of hostile clients: idle, slow and surplus connections are closed, errors are
one rate-limited line each, framing is held to RFC 9112 §6.3, the transcript is bounded and
credential headers never reach an output."""

from __future__ import annotations

import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.core.redact import is_credential
from conformance.observe.bounds import ProxyLimits
from conformance.observe.proxy import Proxy
from conformance.observe.throttled import Throttled
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve
from conformance.report.schema import problems

from .observe_traffic import AlipayPlus, body, held_open, profile, raw_server, session, settings
from .test_observe_cli import Background
from .test_observe_proxy import RESPONSE, Raw

SMALL = ProxyLimits(idle=0.2, head=0.2, body=0.2, connections=8, log_every=60.0)
WITHIN = 3.0  # seconds a test waits for what should take a fraction of one


@pytest.fixture
def wallet() -> Iterator[str]:
    with serve(make_wallet(None).app()) as url:
        yield url


def read_until(sock: socket.socket, end: bytes) -> bytes:
    """What a client sends, up to its last bytes `end` (or until it closes)."""
    data = b""
    while not data.endswith(end) and (more := sock.recv(65536)):
        data += more
    return data


class Chunked(Raw):
    """The raw upstream, reading a chunked request body to its end before it answers."""

    def handle(self) -> None:
        self.received.append(read_until(self.request, b"0\r\n\r\n"))
        self.request.sendall(RESPONSE)


class Cookies(Raw):
    """The raw upstream, answering with a cookie and a token of its own."""

    def handle(self) -> None:
        self.received.append(read_until(self.request, b"{}"))
        answer = b'{"result": "none"}'
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Upstream-Token: up-7e6d5c4b3a29\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
        )


class Silent(Raw):
    """The raw upstream, reading a request and answering its head, its body never."""

    ended = threading.Event()

    def handle(self) -> None:
        self.received.append(self.request.recv(65536))
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        self.ended.wait(WITHIN)


@pytest.fixture
def raw(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[bytes]]]:
    Raw.received = []
    with raw_server(getattr(request, "param", Raw)) as url:
        yield url, Raw.received


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=WITHIN)


def until_closed(sock: socket.socket, within: float = WITHIN) -> tuple[bytes, bool]:
    """What the proxy sent, and whether it closed the connection within the deadline."""
    got, end = b"", time.monotonic() + within
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return got, False
        except ConnectionResetError:
            return got, True
        if not chunk:
            return got, True
        got += chunk
    return got, False


def trickle(sock: socket.socket, pieces: Iterator[bytes], within: float = WITHIN) -> bytes | None:
    """Send a piece every 50 ms until the proxy closes (what it sent) or the deadline (None)."""
    end = time.monotonic() + within
    for piece in pieces:
        try:
            sock.sendall(piece)
        except OSError:
            return b""
        got, closed = until_closed(sock, 0.05)
        if closed or got:
            return got
        if time.monotonic() > end:
            return None
    return None


def forever(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


def served(running: Any) -> int:
    """How many client connections the proxy holds, once it has accepted all it was offered."""
    return len(running.proxy.active)


def wait_for(condition: Any, within: float = WITHIN) -> bool:
    end = time.monotonic() + within
    while not condition():
        if time.monotonic() > end:
            return False
        threading.Event().wait(0.01)
    return True


def test_a_connection_that_says_nothing_is_closed(tmp_path: Path, wallet: str) -> None:
    s = settings(profile(), wallet, "wallet")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        got, closed = until_closed(sock)
    assert closed and got == b""
    assert running.results is not None
    assert running.results["observation"]["connections"]["idle"] == 1
    # The count is part of the versioned document: described by its schema, typed there.
    assert problems(running.results) == []
    wrong = json.loads(json.dumps(running.results))
    wrong["observation"]["connections"]["idle"] = "one"
    assert problems(wrong) == ["/observation/connections/idle: 'one' is not of type 'integer'"]


def test_headers_trickled_slowloris_are_cut_off_with_408(tmp_path: Path, wallet: str) -> None:
    s = settings(profile(), wallet, "wallet")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\n")
        got = trickle(sock, forever(b"X-Slow: y\r\n"))
    assert got is not None, "the proxy kept a slowloris connection open"
    assert got.startswith(b"HTTP/1.1 408 ")
    assert running.results is not None
    assert running.results["observation"]["connections"]["slow_head"] == 1


def test_a_trickled_body_is_cut_off_and_not_judged(tmp_path: Path, wallet: str) -> None:
    s = settings(profile(), wallet, "wallet")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        got = trickle(sock, forever(b" "))
    assert got is not None, "the proxy waited for a trickled body without end"
    assert got in (
        b"",
        b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    assert running.results is not None
    seen = running.results["observation"]
    assert seen["connections"]["slow_body"] == 1 and seen["not_judged"]["aborted"] == 1


def test_past_the_cap_new_connections_are_closed_and_open_ones_served(
    tmp_path: Path, wallet: str
) -> None:
    limits = ProxyLimits(head=30.0, connections=8, log_every=60.0)
    with session(settings(profile(), wallet, "wallet"), tmp_path, limits=limits) as running:
        held = [connect(running.url) for _ in range(8)]
        try:
            for sock in held:  # each mid-request: none is idle
                sock.sendall(b"GET /elsewhere HTTP/1.1\r\n")
            assert wait_for(lambda: served(running) == 8 and not running.proxy.waiting)
            with connect(running.url) as surplus:
                got, closed = until_closed(surplus)
            assert closed and got == b""
            held[0].sendall(b"Host: x\r\nConnection: close\r\n\r\n")
            answer, _ = until_closed(held[0])
            assert answer.startswith(b"HTTP/1.1 ")
        finally:
            for sock in held:
                sock.close()
    assert running.results is not None
    assert running.results["observation"]["connections"]["refused"] == 1


def test_at_the_cap_an_idle_connection_gives_way_to_a_new_client(
    tmp_path: Path, wallet: str
) -> None:
    """1,100 connections that say nothing must not keep a real request out."""
    limits = ProxyLimits(idle=30.0, connections=8, log_every=60.0)
    with session(settings(profile(), wallet, "wallet"), tmp_path, limits=limits) as running:
        idle = [connect(running.url) for _ in range(20)]
        try:
            assert wait_for(lambda: running.proxy.closed["idle"] == 12)
            client = AlipayPlus(running.url)
            b = body()
            client.send(b, client.headers(b))
            assert client.answers[0].status_code == 200  # type: ignore[union-attr]
            assert until_closed(idle[0], 0.5) == (b"", True)  # the longest idle gave way
        finally:
            for sock in idle:
                sock.close()
    assert running.results is not None
    seen = running.results["observation"]
    assert seen["connections"]["refused"] == 0 and seen["judged"] == 1


def test_an_unexpected_error_is_one_line_never_a_traceback(
    tmp_path: Path,
    wallet: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("an error nobody foresaw")

    monkeypatch.setattr(Proxy, "_exchange", broken)
    caplog.set_level(logging.DEBUG)
    with session(settings(profile(), wallet, "wallet"), tmp_path, limits=SMALL) as running:
        for _ in range(5):
            with connect(running.url) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert until_closed(sock)[1]
    err = capfd.readouterr().err
    assert "Traceback" not in err and not [r for r in caplog.records if r.exc_info]
    assert [line for line in err.splitlines() if "nobody foresaw" in line] == [
        "conformance observe: unexpected error: RuntimeError: an error nobody foresaw"
    ]


def test_a_token_in_an_error_line_is_redacted(
    tmp_path: Path, wallet: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    token = data.SEEDS[0].token  # one of the profile's tokens

    async def broken(*args: Any) -> None:
        raise RuntimeError(f"cannot judge {token}")

    monkeypatch.setattr(Proxy, "_exchange", broken)
    s = settings(profile(), wallet, "wallet")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert until_closed(sock)[1]
    err = capfd.readouterr().err
    assert "cannot judge" in err and token not in err and token[:12] not in err


def test_an_accept_that_fails_is_one_line_and_the_proxy_recovers(
    tmp_path: Path,
    wallet: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out of file descriptors: asyncio retries the accept; nothing but one line is printed."""
    original, failing = socket.socket.accept, threading.Event()

    def accept(self: socket.socket) -> Any:
        if failing.is_set() and self.getsockname()[1] == port:
            raise OSError(errno.EMFILE, "Too many open files")
        return original(self)

    monkeypatch.setattr(socket.socket, "accept", accept)
    caplog.set_level(logging.DEBUG)
    with session(settings(profile(), wallet, "wallet"), tmp_path, limits=SMALL) as running:
        port = int(running.url.rsplit(":", 1)[1])
        failing.set()
        with connect(running.url):
            assert wait_for(lambda: "accept" in capfd.readouterr().err or bool(caplog.records))
            failing.clear()
            b = body()
            client = AlipayPlus(running.url)
            client.send(b, client.headers(b))
            assert client.answers[0].status_code == 200  # type: ignore[union-attr]
    assert not [r for r in caplog.records if r.exc_info]
    assert "Traceback" not in capfd.readouterr().err


def test_every_kind_of_error_is_one_line_per_interval() -> None:
    lines: list[str] = []
    now = [100.0]
    log = Throttled(10.0, lines.append, lambda: now[0])
    for _ in range(3):
        log("slow client", "headers not complete within 0.2 s")
    log("connection cap", "8 connections open: a new one was closed")
    now[0] += 10.5
    log("slow client", "headers not complete within 0.2 s")
    assert lines == [
        "conformance observe: slow client: headers not complete within 0.2 s",
        "conformance observe: connection cap: 8 connections open: a new one was closed",
        (
            "conformance observe: slow client: headers not complete within 0.2 s "
            "(and 2 more in 10.5 s)"
        ),
    ]


BAD_FRAMING = {
    "transfer-encoding beside content-length": (
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    ),
    "chunked not the final coding": (
        b"Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    ),
    "no chunked coding": b"Transfer-Encoding: gzip\r\n\r\nhello",
    "transfer-encoding twice": (
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "content-length not a number": b"Content-Length: 5a\r\n\r\nhello",
    "content-length repeated, differing": b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    "content-length list, differing": b"Content-Length: 5, 6\r\n\r\nhello",
}


@pytest.mark.parametrize("rest", BAD_FRAMING.values(), ids=BAD_FRAMING.keys())
def test_ambiguous_framing_is_refused_with_400_and_closed(
    tmp_path: Path, raw: tuple[str, list[bytes]], rest: bytes
) -> None:
    upstream, received = raw
    s = settings(profile(), upstream, "wallet", path="*")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\n" + rest)
        got, closed = until_closed(sock)
    head = got.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 400 ") and b"\r\nconnection: close" in head
    assert closed and received == []
    assert running.results is not None
    assert running.results["observation"]["connections"]["malformed"] == 1


@pytest.mark.parametrize("raw", [Chunked], indirect=True)
def test_a_chunked_request_still_goes_through(tmp_path: Path, raw: tuple[str, list[bytes]]) -> None:
    upstream, received = raw
    s = settings(profile(), upstream, "wallet", path="*")
    with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
        sock.sendall(
            b"POST /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n"
        )
        got, _ = until_closed(sock, 1.0)
    assert got.startswith(b"HTTP/1.1 299 ")
    assert len(received) == 1 and b"content-length" not in received[0].lower()
    assert received[0].endswith(b"5\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("raw", [Silent], indirect=True)
def test_bytes_pipelined_behind_a_waiting_request_are_not_read_without_bound(
    tmp_path: Path, raw: tuple[str, list[bytes]]
) -> None:
    """While the answer comes, the client may send on; the proxy stops reading past a bound."""
    upstream, _ = raw
    s = settings(profile(), upstream, "wallet", path="*")
    Silent.ended.clear()
    try:
        with session(s, tmp_path, limits=SMALL) as running, connect(running.url) as sock:
            sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
            sock.settimeout(0.5)
            with pytest.raises(TimeoutError):
                sock.sendall(b"GET /y HTTP/1.1\r\nX-Fill: " + b"y" * (64 << 20))
            Silent.ended.set()
    finally:
        Silent.ended.set()


def test_the_transcript_is_bounded_and_says_what_it_left_out(tmp_path: Path, wallet: str) -> None:
    limits = ProxyLimits(transcript=5000)
    s = settings(profile(), wallet, "wallet")
    with session(s, tmp_path, transcript=True, limits=limits) as running:
        client = AlipayPlus(running.url)
        for _ in range(6):
            b = body()
            client.send(b, client.headers(b))
    assert running.results is not None
    transcript = running.results["transcript"]
    assert transcript is not None
    kept = transcript["exchanges"]
    cut = running.results["observation"]["transcript"]
    assert 0 < kept < 6 and cut == {"kept": kept, "left_out": 6 - kept, "limit_bytes": 5000}
    assert (tmp_path / "observation.jsonl").stat().st_size <= 5000
    html = (tmp_path / "observation.html").read_text()
    assert f"{6 - kept} exchanges left out" in html


API_KEY = "ak_live_51HxQ2v9ZqSecretValue"
SHORT = "k9"  # too short for value redaction: only its header's name gives it away
CREDENTIALS = {
    "X-Api-Key": API_KEY,
    "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
    "Cookie": "sid=s3ss10n-v4lue-xyz",
    "X-Session-Id": "sess-0f9e8d7c6b5a",
    "X-Auth-Token": SHORT,
    "X-Client-Secret": "cs-77aa88bb99cc",
    "X-Password": "hunter2hunter2",
}


@pytest.mark.parametrize("raw", [Cookies], indirect=True)
def test_credential_headers_are_redacted_in_every_output(
    tmp_path: Path, raw: tuple[str, list[bytes]]
) -> None:
    upstream, received = raw
    s = settings(profile(), upstream, "wallet", path="*")
    with session(s, tmp_path, transcript=True) as running, connect(running.url) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in CREDENTIALS.items()).encode()
        end = b"Connection: close\r\nContent-Length: 2\r\n\r\n{}"
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\n" + head + end)
        until_closed(sock, 1.0)
    assert f"X-Api-Key: {API_KEY}".encode() in received[0]  # forwarded unchanged
    outputs = [p.read_text() for p in tmp_path.iterdir() if p.is_file()]
    assert len(outputs) == 4  # report, results, JUnit, transcript
    for text in outputs:
        for value in CREDENTIALS.values():
            if value != SHORT:
                assert value not in text
        assert "up-7e6d5c4b3a29" not in text
    entry = json.loads((tmp_path / "observation.jsonl").read_text().splitlines()[0])
    shown = dict(entry["request"]["headers"])
    assert all(shown[name] == "[redacted]" for name in CREDENTIALS)
    answered = dict(entry["response"]["headers"])
    assert answered["Set-Cookie"] == answered["X-Upstream-Token"] == "[redacted]"
    assert shown["Content-Length"] == "2"


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("X-API-KEY", True),
        ("apikey", True),
        ("Api-Key", True),
        ("Authorization", True),
        ("Proxy-Authorization", True),
        ("X-Amz-Security-Token", True),
        ("Set-Cookie", True),
        ("X-Client-Secret", True),
        ("X-Password", True),
        ("X-Session-Id", True),
        ("Client-Id", False),
        ("Signature", False),
        ("Request-Time", False),
        ("Content-Type", False),
        ("Content-Length", False),
    ],
)
def test_credential_headers_are_known_by_name(name: str, credential: bool) -> None:
    assert is_credential(name) is credential


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--idle-timeout", "0"),
        ("--head-timeout", "-1"),
        ("--body-timeout", "nan"),
        ("--max-connections", "0"),
        ("--transcript-max-mib", "0"),
    ],
)
def test_a_bad_limit_is_one_line_and_exit_2(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["observe", "--upstream", "http://127.0.0.1:1", "--role", "wallet", flag, value])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and flag in err


def test_a_report_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "staging.toml").write_text(profile())
    (tmp_path / "a-file").write_text("")
    argv = ["observe", "--profile", str(tmp_path / "staging.toml"), "--role", "wallet"]
    argv += ["--upstream", "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "--duration", "0.1"]
    code = main([*argv, "-q", "--report", str(tmp_path / "a-file" / "observation.html")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "a-file" in err


def test_the_console_says_the_transcript_was_cut(
    tmp_path: Path, wallet: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "staging.toml").write_text(profile())
    argv = ["observe", "--profile", str(tmp_path / "staging.toml"), "--role", "wallet"]
    argv += ["--upstream", wallet, "--listen", "127.0.0.1:0", "--duration", "0.1", "--transcript"]
    argv += ["--report", str(tmp_path / "observation.html"), "--transcript-max-mib", "0.001"]
    sent = held_open(monkeypatch)  # the duration runs out only once both requests are answered
    run = Background(capsys, argv)
    try:
        client = AlipayPlus(run.url())
        for _ in range(2):
            b = body()
            client.send(b, client.headers(b))
    finally:
        sent.set()
    code, out = run.join()
    assert code == 0 and client.answers[1].status_code == 200  # type: ignore[union-attr]
    assert "transcript cut at its cap of 0.001 MiB: 2 exchanges left out, 0 written" in out
