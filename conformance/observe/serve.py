"""Run an observation: the proxy's event loop on a thread, the judge on another, the report at
the end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conformance.core.errors import ConfigError
from conformance.core.redact import Redactor
from conformance.observe.bounds import ProxyLimits
from conformance.observe.proxy import Proxy
from conformance.observe.session import Paths, Session
from conformance.observe.settings import ObserveSettings
from conformance.observe.throttled import Throttled
from conformance.results.document import Results

GRACE = 10.0  # seconds exchanges in flight may take to finish when the session ends


@dataclass
class Running:
    """A session being observed: where to send traffic, and its state so far."""

    url: str
    session: Session
    proxy: Proxy
    results: Results | None = None  # the final results, once the session has ended


@contextmanager
def observe(
    settings: ObserveSettings, paths: Paths, limits: ProxyLimits | None = None
) -> Iterator[Running]:
    """Listen and forward until the block ends; then judge what remains and write the report."""
    assert settings.upstream is not None
    limits = limits or ProxyLimits()
    log = Throttled(limits.log_every, redact=Redactor(settings.secrets))
    session = Session(settings, paths, limits.transcript)
    proxy = Proxy(
        settings.upstream,
        settings.timeout,
        settings.upstream_context(),
        session.offer,
        limits,
        log,
    )
    session.connections = proxy.closed
    loop = asyncio.new_event_loop()
    # What asyncio would log with a traceback (an accept out of file descriptors, a callback's
    # error) is one rate-limited line: a flood of connections never floods stderr.
    loop.set_exception_handler(lambda _, context: log("event loop", _said(context)))
    ready: list[Any] = []
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            server = await asyncio.start_server(
                proxy.serve,
                settings.host,
                settings.port,
                ssl=settings.listen_context(),
                backlog=limits.backlog,
            )
        except OSError as exc:
            ready.append(exc)
            started.set()
            return
        ready.append(server.sockets[0].getsockname()[1])
        started.set()
        await stop.wait()
        server.close()  # no new connections; exchanges in flight may finish
        for _ in range(int(min(GRACE, settings.timeout) / 0.02)):
            if not proxy.inflight:
                break
            await asyncio.sleep(0.02)
        for task in list(proxy.active):
            task.cancel()
        await asyncio.gather(*proxy.active, return_exceptions=True)
        await proxy.pool.aclose()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="observe-proxy")
    thread.start()
    started.wait()
    try:
        if isinstance(ready[0], OSError):
            session.close()
            raise ConfigError(
                "--listen / [observe] listen",
                f"{settings.host}:{settings.port} cannot be served ({ready[0].strerror})",
                "choose a free port, or stop what holds it",
            )
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        scheme = "https" if settings.listen_cert else "http"
        running = Running(f"{scheme}://{host}:{ready[0]}", session, proxy)
        session.listen = running.url
        try:
            yield running
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join()
            session.close()
            running.results = session.write(final=True)
    finally:
        thread.join()
        loop.close()


def _said(context: dict[str, Any]) -> str:
    """What asyncio reports, in a line: its message and the exception, never a traceback."""
    exc = context.get("exception")
    message = str(context.get("message", "error"))
    return message if exc is None else f"{message}: {type(exc).__name__}: {exc}"
