"""What each place on the wire can carry: a profile value the request cannot send is refused when
the profile is read, never sent and blamed on the wallet."""

from __future__ import annotations

import ipaddress
import re
import string
import unicodedata
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

VISIBLE = frozenset(chr(c) for c in range(0x21, 0x7F))
# RFC 9110 5.6.2: tchar, the characters of a token (keyVersion=<token> in the Signature header).
TCHAR = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)
# RFC 3986 3.3: pchar (with % for percent-encoding) and /, the characters of an origin-form path;
# ? and the same characters after it for its query.
PCHAR = frozenset("-._~!$&'()*+,;=:@%/" + string.ascii_letters + string.digits)
QUERY = PCHAR | {"?"}
HOST = frozenset("-._" + string.ascii_letters + string.digits)
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
LONGEST_URL = 2048


@dataclass(frozen=True)
class Carrier:
    """One place on the wire: the characters it takes and what to write instead."""

    noun: str  # "an HTTP header value (RFC 9110)"
    allowed: frozenset[str] | None  # None: any character but a control character
    fix: str
    inner: frozenset[str] = frozenset()  # taken only between other characters (spaces)
    percent: bool = False  # % starts a percent-encoded octet


HEADER = Carrier(
    "an HTTP header value (RFC 9110: visible ASCII, spaces only inside)",
    VISIBLE,
    "use only visible ASCII characters",
    frozenset(" \t"),
)
TOKEN = Carrier(
    "a token of the Signature header (RFC 9110 5.6.2)",
    TCHAR,
    "use letters, digits and !#$%&'*+-.^_`|~ only",
)
TEXT = Carrier(
    "a value of the JSON body sent as it is (no control characters)",
    None,
    "remove the control characters",
)
PATH = Carrier(
    "the request-target (RFC 9110, RFC 3986: path and query characters)",
    QUERY,
    "percent-encode it (a space is %20)",
    percent=True,
)
URL = Carrier("a URL", VISIBLE, "percent-encode it (a space is %20)", percent=True)


NAMED = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\x00": "a NUL", " ": "a space"}


def _name(char: str) -> str:
    """A character described, and echoed only when it is visible ASCII."""
    if char in NAMED:
        return NAMED[char]
    if unicodedata.category(char) == "Cc":
        return f"the control character U+{ord(char):04X}"
    if not char.isascii():
        return f"the non-ASCII character U+{ord(char):04X}"
    return f"the character {char!r}"


def flaw(value: str, carrier: Carrier) -> str | None:
    """What in `value` the carrier cannot take (None when nothing): the first character named."""
    last = len(value) - 1
    for i, char in enumerate(value):
        if carrier.allowed is None:
            ok = unicodedata.category(char) != "Cc"
        else:
            ok = char in carrier.allowed or (char in carrier.inner and 0 < i < last)
        if not ok:
            return f"has {_name(char)} at character {i + 1}, which {carrier.noun} cannot carry"
    if carrier.percent and _PERCENT.search(value):
        return "has a % not followed by two hex digits (percent-encode % as %25)"
    return None


def _host_flaw(parts: SplitResult) -> str | None:
    """A host that is neither a DNS name nor an IP literal; an IPv6 literal is in brackets."""
    host = parts.hostname or ""
    if parts.netloc.rpartition("@")[2].startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has a bracketed host that is not an IPv6 address"
        return None
    if not host or not set(host) <= HOST or ".." in host or host.startswith((".", "-")):
        return "has no valid host name"
    return None


def url_flaw(value: str) -> str | None:
    """What keeps `value` from being an http(s) base URL the suite can send to, or None."""
    if len(value) > LONGEST_URL:
        return f"is longer than {LONGEST_URL} characters"
    if (found := flaw(value, URL)) is not None:
        return found
    try:
        parts = urlsplit(value)
    except ValueError:
        return "is not a URL (an IPv6 host is written in brackets: http://[::1]:8080)"
    if parts.scheme not in ("http", "https"):
        return "is not an http(s) URL"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "has a query or fragment; the API's path is appended to it"
    if (found := _host_flaw(parts)) is not None:
        return found
    try:
        port = parts.port  # out of range or not a number raises here
    except ValueError:
        port = 0
    if port == 0:
        return "has no valid port (1 to 65535)"
    return flaw(parts.path, PATH) if parts.path else None
