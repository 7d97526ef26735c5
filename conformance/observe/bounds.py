"""How much the proxy grants a client, and how much it keeps: timeouts, connections, transcript.

A proxy in the path of real traffic meets clients that connect and say nothing, trickle their
headers (slowloris) or their body, or open connections by the thousand. Each gets a bound here,
with a default generous to every honest client; `conformance observe` sets them by flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProxyLimits:
    """The proxy's bounds on its clients and on what it writes."""

    idle: float = 30.0  # seconds a connection may wait for its next request's first byte
    head: float = 10.0  # seconds for a request's head, from its first byte
    body: float = 60.0  # seconds for a request's whole body, from the end of its head
    connections: int = 400  # client connections at once; more are closed as they arrive
    backlog: int = 128  # connections the kernel holds before the proxy accepts them
    transcript: int = 64 << 20  # bytes of --transcript; past them exchanges are only counted
    log_every: float = 10.0  # seconds: at most one stderr line per kind of error per interval
