"""`conformance doctor` against targets that misbehave on the socket: one that never answers, one
that resets the connection, one that answers something other than HTTP, one that answers HTTP but
not the API's JSON. Each fails with a diagnosis naming the fix, never an "ok"."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.core.exitcodes import EXIT_PREFLIGHT, EXIT_UNREACHABLE
from conformance.reference import data

# Short: a hanging target costs the test one of these (no re-send).
TIMEOUT = 0.3
FAST = "[limits]\nretries = 0\n"
HTML = b"<html><body>It works!</body></html>"

Behaviour = Callable[[socket.socket, threading.Event], None]


def _read_head(conn: socket.socket) -> None:
    """Read until the end of the request head (or the peer closes)."""
    seen = b""
    while b"\r\n\r\n" not in seen:
        chunk = conn.recv(65536)
        if not chunk:
            return
        seen += chunk


def hang(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    stop.wait(10)  # never answers; released when the test ends


def reset(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    # Linger 0: close sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def not_http(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")  # a banner first, as SSH and SMTP servers do
    _read_head(conn)
    conn.sendall(b"Protocol mismatch.\r\n\r\n")
    stop.wait(10)


def closes(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)  # and closes without a byte


def html(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
    conn.sendall(head % len(HTML) + HTML)


def json_not_api(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    body = b'{"status":"UP"}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    conn.sendall(head % len(body) + body)


@contextmanager
def scripted(behaviour: Behaviour) -> Iterator[str]:
    """A loopback server on a port of its own that treats every connection with `behaviour`."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)

    def one(conn: socket.socket) -> None:
        with conn:
            try:
                behaviour(conn, stop)
            except OSError:
                pass

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        server.join(5)
        listener.close()


def doctor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], behaviour: Behaviour
) -> tuple[int, str]:
    with scripted(behaviour) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url, timeout=TIMEOUT) + FAST)
        code = main(["doctor", "--profile", str(profile)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


CASES = [
    (hang, EXIT_UNREACHABLE, ["no answer within 0.3 s", "[target] timeout"]),
    (reset, EXIT_UNREACHABLE, ["reset the connection", "correct [target] base_url"]),
    (not_http, EXIT_UNREACHABLE, ["not HTTP", "correct [target] base_url"]),
    (closes, EXIT_UNREACHABLE, ["closed the connection", "correct [target] base_url"]),
    (html, EXIT_PREFLIGHT, ["not the inquiryUserInfo JSON answer", "text/html", "[target.paths]"]),
    (json_not_api, EXIT_PREFLIGHT, ["not the inquiryUserInfo JSON answer", "[target.paths]"]),
]


@pytest.mark.parametrize(("behaviour", "code", "says"), CASES, ids=[c[0].__name__ for c in CASES])
def test_doctor_fails_a_hostile_target_with_the_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    behaviour: Behaviour,
    code: int,
    says: list[str],
) -> None:
    found, out = doctor(tmp_path, capsys, behaviour)
    lines = out.splitlines()
    assert found == code, out
    assert lines[0].startswith("WRONG  wallet (inquiryUserInfo)"), out
    assert lines[1].startswith("       fix: "), out
    for phrase in says:
        assert phrase in out, (phrase, out)


TRIGGER = [
    (hang, "gave no answer within 0.3 s"),
    (reset, "reset the connection"),
    (not_http, "not HTTP"),
]


@pytest.mark.parametrize(("behaviour", "says"), TRIGGER, ids=[t[0].__name__ for t in TRIGGER])
def test_doctor_fails_a_trigger_that_gives_no_http_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], behaviour: Behaviour, says: str
) -> None:
    with scripted(behaviour) as url:
        toml = data.profile_toml(url, gateway_port=0, timeout=TIMEOUT)
        toml = toml.replace(f"timeout = {data.HARNESS_TIMEOUT}", f"timeout = {TIMEOUT}")
        profile = tmp_path / "staging.toml"
        profile.write_text(toml + FAST)
        assert main(["doctor", "--profile", str(profile)]) == EXIT_UNREACHABLE
    out = capsys.readouterr().out
    trigger = next(
        line
        for line in out.splitlines()
        if line.strip().startswith(("ok", "WRONG")) and " trigger at " in line
    )
    assert trigger.startswith("WRONG  trigger at "), out
    assert says in trigger, out


def test_doctor_fails_an_alipayplus_server_that_never_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with scripted(hang) as url:
        profile = tmp_path / "provider.toml"
        profile.write_text(
            "[provider]\n"
            f'base_url = "{url}"\n'
            f'client_id = "{data.WALLET_CLIENT_ID}"\n'
            f'signing_key = "{data.testdata("wallet-private.pem")}"\n'
            f'public_key = "{data.testdata("alipayplus-public.pem")}"\n'
            f"auth_urls = {json.dumps(list(data.AUTH_URLS[:1]))}\n"
            f"timeout = {TIMEOUT}\n" + FAST
        )
        assert main(["doctor", "--profile", str(profile)]) == EXIT_UNREACHABLE
    out = capsys.readouterr().out
    assert out.startswith("WRONG  Alipay+ server (prepareAuthInfo)"), out
    assert "gave no answer within 0.3 s" in out and "raise [provider] timeout" in out


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [(html, EXIT_PREFLIGHT), (reset, EXIT_UNREACHABLE)],
    ids=["html", "reset"],
)
def test_run_stops_at_the_same_diagnosis_as_doctor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], behaviour: Behaviour, code: int
) -> None:
    with scripted(behaviour) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url, timeout=TIMEOUT) + FAST)
        assert main(["doctor", "--profile", str(profile)]) == code
        wrong, fix = capsys.readouterr().out.splitlines()[:2]
        report = tmp_path / "report.html"
        assert main(["run", "-q", "--profile", str(profile), "--report", str(report)]) == code
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["preflight"]["passed"] is False and results["verdict"] == "NOT CERTIFIED"
    said = wrong.removeprefix("WRONG  ") + "; " + fix.strip()
    assert results["reasons"][0] == "preflight: " + said
