"""What crosses the proxy, as data: the bytes of an exchange kept for judging, its timings, and
which headers are the connection's own (hop-by-hop) rather than the message's."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance import signing

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"expect",  # 100-continue is answered here; the upstream gets the body at once
    }
)
KEEP = 1 << 20  # bytes of each body kept for judging; the rest streams through unkept
CHUNK = 65536  # bytes read from a socket at once
PIPELINED = 1 << 20  # bytes of a client's next requests read while its answer is relayed
Headers = tuple[tuple[bytes, bytes], ...]
CLOSED = ("refused", "idle", "slow_head", "slow_body", "malformed")  # why the proxy closed one


@dataclass
class Kept:
    """The first KEEP bytes of a body, and whether more went by."""

    data: bytearray = field(default_factory=bytearray)
    truncated: bool = False

    def add(self, chunk: bytes) -> None:
        room = KEEP - len(self.data)
        self.data += chunk[:room]
        self.truncated = self.truncated or len(chunk) > room


@dataclass(frozen=True)
class Observed:
    """One exchange as the proxy saw it: the bytes kept for judging, what went wrong, timings."""

    number: int
    method: str
    target: str  # as received: an absolute-form one too
    url: str
    request_headers: Headers
    request_body: bytes
    status: int | None = None
    response_headers: Headers = ()
    response_body: bytes = b""
    truncated: bool = False
    error: str | None = None
    delivered: bool = False  # the client received the whole answer
    started: float = 0.0  # wall clock, when the request head arrived
    arrived: float = 0.0  # monotonic, when the request head arrived
    replied: float = 0.0  # monotonic, when the answer was delivered (or given up)
    upstream: float = 0.0  # seconds from sending upstream to the upstream's complete answer
    added: float = 0.0  # seconds the proxy itself added before and after the upstream
    aborted: bool = False  # the client left before its request was complete: nothing to judge

    @property
    def uri(self) -> str:
        """The Request-URI: the target's path and query, whatever its form."""
        return signing.origin_form(self.target)


def ambiguous(headers: Headers) -> str | None:
    """Why a request's framing is ambiguous (RFC 9112 §6.3), or None.

    h11 refuses a Content-Length that is not one number and a Transfer-Encoding other than
    chunked; both at once it reads as chunked. A proxy "ought to" treat that as an error (it is
    how requests are smuggled past one server to the next): it is refused, never forwarded."""
    names = {name.lower() for name, _ in headers}
    if b"transfer-encoding" in names and b"content-length" in names:
        return "Transfer-Encoding beside Content-Length"
    return None


def forwarded(headers: Headers, host: bytes | None = None) -> list[tuple[bytes, bytes]]:
    """Headers as received, without hop-by-hop ones (and those Connection names); Host replaced."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    out = []
    for name, value in headers:
        low = name.lower()
        if low in HOP_BY_HOP or low in named:
            continue
        out.append((name, host) if host is not None and low == b"host" else (name, value))
    return out
