"""The suite's HTTP/1.1 client (conformance/transport/wire.py) against scripted servers on real
sockets:
kept connections, servers that close them, answers cut at the bound, and failures named as the
diagnosis reads them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from conformance.transport import wire
from conformance.transport.sender import default_tls

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Case: Kept\r\n"
    b"Content-Length: 2\r\n\r\n{}"
)
HEADERS = [("Host", "x"), ("Content-Type", "application/json"), ("Content-Length", "2")]


async def _request(reader: asyncio.StreamReader) -> bytes:
    """One request's head and its two-byte body, or b"" when the client closed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return b""
    return head + await reader.readexactly(2)


def run(script: Script, *urls_and_calls: Any) -> tuple[list[Any], int]:
    """Serve `script` per connection, make the calls in order (each gets the Wire and the URL),
    and return their results (or raised Failures) with the number of connections accepted.
    Every connection but the kept ones must be closed once the calls are made."""
    connections, ended = 0, 0

    async def main() -> list[Any]:
        nonlocal connections

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections, ended
            connections += 1
            try:
                await script(reader, writer)  # those that loop end when the client closes
            finally:
                ended += 1
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/pay?x=1"
        transport = wire.Wire(default_tls(), 2.0)
        out: list[Any] = []
        for call in urls_and_calls:
            try:
                out.append(await call(transport, url))
            except wire.Failure as exc:
                out.append(exc)
        await asyncio.sleep(0.05)
        open_ = connections - ended  # still served: kept by the client, or leaked
        assert open_ <= sum(map(len, transport.idle.values())), "a connection leaked"
        await transport.aclose()
        server.close()
        return out

    results = asyncio.run(main())
    return results, connections


def post(max_bytes: int = 1 << 20) -> Callable[[wire.Wire, str], Awaitable[wire.Received]]:
    async def call(transport: wire.Wire, url: str) -> wire.Received:
        return await transport.exchange("POST", url, HEADERS, b"{}", max_bytes)

    return call


def pause(seconds: float) -> Callable[[wire.Wire, str], Awaitable[None]]:
    async def call(transport: wire.Wire, url: str) -> None:
        await asyncio.sleep(seconds)

    return call


async def keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await _request(reader):
        writer.write(OK)
        await writer.drain()


def test_answer_as_received_and_connection_kept() -> None:
    seen: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while request := await _request(reader):
            seen.append(request)
            writer.write(OK)
            await writer.drain()

    (first, second), connections = run(script, post(), post())
    assert (
        first
        == second
        == wire.Received(
            200,
            (("Content-Type", "application/json"), ("X-Case", "Kept"), ("Content-Length", "2")),
            b"{}",
            False,
        )
    )
    assert connections == 1  # the second request went over the kept connection
    # The request line carries the path and query; headers go out in the case and order given.
    assert seen[0].startswith(
        b"POST /pay?x=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
    )


def test_connection_the_server_closed_is_not_reused() -> None:
    async def one_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(OK)  # keep-alive by default, yet the server closes right after
        await writer.drain()

    results, connections = run(one_each, post(), pause(0.05), post())
    assert [r.status for r in results if isinstance(r, wire.Received)] == [200, 200]
    assert connections == 2


def test_connection_close_answer_is_not_reused() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await _request(reader):
            writer.write(OK.replace(b"X-Case: Kept", b"Connection: close"))
            await writer.drain()

    results, connections = run(script, post(), post())
    assert all(isinstance(r, wire.Received) for r in results) and connections == 2


def test_long_answer_is_cut_at_the_bound_and_its_connection_closed() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await _request(reader):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"a" * 100000)
            await writer.drain()

    (cut, again), connections = run(script, post(max_bytes=1000), post(max_bytes=1 << 20))
    assert cut.truncated and cut.body == b"a" * 1000
    assert not again.truncated and len(again.body) == 100000 and connections == 2


def test_dropped_and_malformed_answers_are_named() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()

    (dropped,), _ = run(drop, post())
    (bad,), _ = run(garbage, post())
    assert isinstance(dropped, wire.Failure) and dropped.name == "RemoteProtocolError"
    assert str(dropped) == "Server disconnected without sending a response."
    assert isinstance(bad, wire.Failure) and bad.name == "RemoteProtocolError"


def test_answer_without_length_ends_with_the_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}")
        await writer.drain()

    (reply, again), connections = run(script, post(), post())
    assert reply.body == b"{}" and again.body == b"{}" and connections == 2


def test_informational_answer_is_read_past() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
        await writer.drain()

    (reply,), _ = run(script, post())
    assert reply.status == 200 and reply.body == b"{}"


def test_cancelled_exchange_closes_its_connection() -> None:
    async def slow_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        n = 0
        while await _request(reader):
            n += 1
            await asyncio.sleep(0.3 if n == 1 else 0)
            writer.write(OK)
            await writer.drain()

    async def deadline(transport: wire.Wire, url: str) -> str:
        try:
            async with asyncio.timeout(0.05):
                await transport.exchange("POST", url, HEADERS, b"{}", 1 << 20)
        except TimeoutError:
            return "timeout"
        return "answered"

    (first, second), connections = run(slow_first, deadline, post())
    # The late answer to the first request must not be read as the second's.
    assert first == "timeout" and second.status == 200 and connections == 2


def test_a_header_that_cannot_be_written_is_a_named_failure() -> None:
    async def unwritable(transport: wire.Wire, url: str) -> wire.Received:
        return await transport.exchange("POST", url, [*HEADERS, ("X-Name", "café")], b"{}", 100)

    (failure,), _ = run(keep_answering, unwritable)
    assert isinstance(failure, wire.Failure) and failure.name == "LocalProtocolError"


def test_refused_connection_names_its_cause() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused

    async def main() -> wire.Failure:
        transport = wire.Wire(default_tls(), 2.0)
        with pytest.raises(wire.Failure) as caught:
            await transport.exchange("POST", f"http://127.0.0.1:{port}/", HEADERS, b"{}", 100)
        return caught.value

    failure = asyncio.run(main())
    assert failure.name == "ConnectError" and str(failure) == "[Errno 111] Connection refused"


def test_environment_proxy_routes_through_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    routes = wire.open_transport(default_tls(), 2, 5.0, 5.0)
    assert routes._route("https://wallet.example/pay") is routes.via_httpx
    assert routes._route("https://bypassed.example/pay") is routes.direct
    assert routes._route("http://wallet.example/pay") is routes.direct  # no HTTP_PROXY set
    asyncio.run(routes.aclose())
