"""Redaction: no secret reaches an output, not whole, not in part, not escaped.

Access tokens become a prefix plus a hash; signatures and private keys never appear. A text cut
short, wrapped or escaped can still hold a piece of a secret, so besides the whole secret any run
of PIECE or more of its characters is replaced, in every form a secret is written out in (JSON,
repr and percent escapes, HTML entities).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from .profile import Profile

PIECE = 12  # this many characters of a secret, in a row, are a leak wherever they appear
_GRAM = 6
# Every run of PIECE characters holds a _GRAM slice starting at a multiple of _STRIDE, so only
# those slices are looked up: a seventh of the positions of the text.
_STRIDE = PIECE - _GRAM + 1
KEY_TAG = "[private key redacted]"
_SIGNATURE = re.compile(r"(signature=)[^,\s\"'&\\]+", re.IGNORECASE)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)


def token_tag(secret: str) -> str:
    """A short, stable stand-in for a secret: its first characters and a hash."""
    return f"{secret[:4]}…[sha256:{hashlib.sha256(secret.encode()).hexdigest()[:8]}]"


def forms(secret: str) -> set[str]:
    """How a secret may be written out: as is, JSON-, repr- or percent-escaped, HTML-escaped."""
    written = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(secret.encode("utf-8"))[2:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
    return written | {html.escape(w) for w in written}


class Redactor:
    """Replaces every form of every secret, whole or any piece of PIECE characters."""

    def __init__(self, secrets: Iterable[str] = (), keys: Iterable[str] = ()) -> None:
        tokens = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self.secrets = tokens
        tagged = {(f, token_tag(s)) for s in tokens for f in forms(s) if len(f) >= 4}
        # Longest first, so a secret containing another is replaced whole.
        self.whole = sorted(tagged, key=lambda p: len(p[0]), reverse=True)
        pieces = {f: f"[part of {token_tag(s)}]" for s in tokens for f in forms(s)}
        pieces |= {f: KEY_TAG for k in keys for f in (k, quote(k, safe=""))}
        self.forms = [(f, tag) for f, tag in pieces.items() if len(f) >= PIECE]
        self.index: dict[str, list[tuple[int, int]]] = {}
        for i, (form, _) in enumerate(self.forms):
            for offset in range(len(form) - _GRAM + 1):
                self.index.setdefault(form[offset : offset + _GRAM], []).append((i, offset))

    @classmethod
    def for_profile(cls, profile: Profile) -> Redactor:
        """The profile's tokens and every private key it holds (suite, gateway, provider)."""
        from .signing import private_key_text

        keys = [profile.suite_private_key]
        if profile.gateway is not None:
            keys.append(profile.gateway.suite_private_key)
        if profile.provider is not None:
            keys.append(profile.provider.signing_key)
        return cls(profile.secrets, [text for k in keys for text in private_key_text(k)])

    def __call__(self, text: str) -> str:
        for form, tag in self.whole:
            if form in text:
                text = text.replace(form, tag)
        text = _SIGNATURE.sub(r"\1[redacted]", text)
        return self.pieces(_PEM.sub(KEY_TAG, text))

    def pieces(self, text: str) -> str:
        """Replace every run of PIECE or more characters that any form of a secret holds."""
        if not self.index or len(text) < PIECE:
            return text
        spans: list[tuple[int, int, str]] = []
        covered, lookup = 0, self.index.get
        for start in range(0, len(text) - _GRAM + 1, _STRIDE):
            hits = lookup(text[start : start + _GRAM])
            if hits is None or start + _GRAM <= covered:
                continue
            runs = [self._extend(text, start, *hit) for hit in hits]
            begin, end, tag = max(runs, key=lambda r: r[1] - r[0])
            if end - begin >= PIECE:
                spans.append((begin, end, tag))
                covered = max(covered, end)
        if not spans:
            return text
        for begin, end, tag in _merged(spans)[::-1]:
            text = text[:begin] + tag + text[end:]
        return text

    def _extend(self, text: str, at: int, which: int, offset: int) -> tuple[int, int, str]:
        """The longest run around text[at:] that matches the form from offset (begin, end, tag)."""
        form, tag = self.forms[which]
        begin, back = at, offset
        while begin > 0 and back > 0 and text[begin - 1] == form[back - 1]:
            begin, back = begin - 1, back - 1
        end, ahead = at + _GRAM, offset + _GRAM
        while end < len(text) and ahead < len(form) and text[end] == form[ahead]:
            end, ahead = end + 1, ahead + 1
        return begin, end, tag


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for begin, end, tag in sorted(spans):
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]), out[-1][2])
        else:
            out.append((begin, end, tag))
    return out
