"""Redaction: no secret reaches an output, not whole, not in part, not escaped.

Access tokens become a prefix plus a hash; private keys never appear. Signature values are shown:
a signature reveals nothing of the key that made it (it is checked with a public one, over
content the outputs show anyway), and the engineer fixing a failure compares it. A text cut
short, wrapped or escaped can still hold a piece of a secret, so besides the whole secret any run
of PIECE or more of its characters is replaced, in every form a secret is written out in (JSON,
repr and percent escapes in either case or a mix of both, HTML entities, and those escaped once
more; hex in either case; base64, standard or URL-safe, at any alignment inside a longer blob).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from conformance.profile import Profile

PIECE = 12  # this many characters of a secret, in a row, are a leak wherever they appear
# Candidates are found by looking up slices of the text: a slice of GRAM characters at every
# GRAM + 1 positions meets every run of 2 * GRAM characters. A form whose every run of PIECE
# characters is written longer (escapes) is looked up with longer slices, more selective.
GRAMS = (PIECE // 2, PIECE, 2 * PIECE)
KEY_TAG = "[private key redacted]"
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)

# How one character of a secret may be written out ...
_WRITTEN: tuple[Callable[[str], str], ...] = (
    lambda c: c,
    lambda c: json.dumps(c)[1:-1],  # \uXXXX
    lambda c: ascii(c)[1:-1],  # \xNN, \uXXXX
    lambda c: repr(c.encode("utf-8"))[2:-1],  # a bytes repr: \xNN per byte
    lambda c: quote(c, safe=""),
    lambda c: quote(c),
    lambda c: quote_plus(c),
    lambda c: _lower_escapes(quote(c, safe="")),  # %2f: percent-encoding in lower case
    lambda c: _lower_escapes(quote(c)),
    lambda c: _lower_escapes(quote_plus(c)),
)
# ... and written again: quoted in a JSON string or a repr (backslashes doubled), or in HTML.
_AGAIN: tuple[Callable[[str], str], ...] = (
    lambda w: w,
    lambda w: w.replace("\\", "\\\\"),
    html.escape,
    lambda w: html.escape(w.replace("\\", "\\\\")),
)
# JSON lets any character be written \uXXXX (and / as \/) one by one, so a secret may be spelt
# in a mix of forms no single form above matches: the text is also scanned with its JSON escapes
# undone, once and twice.
_JSON_ESCAPE = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u([0-9a-fA-F]{4})|\\([\"\\/bfnrt])"
)
_SHORT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _lower_escapes(quoted: str) -> str:
    return _PERCENT.sub(lambda m: m[0].lower(), quoted)


# Headers that carry a credential whatever its value, known by a part of their name (the parts
# observe/credentials.py knows): Authorization, Cookie, Set-Cookie, X-Api-Key, X-Session-Id...
# The wallet's Signature header is not one of them: it is public, and checked.
_CREDENTIAL_HEADER = re.compile(
    r"api-?key|token|secret|auth|cookie|password|passwd|session", re.IGNORECASE
)
HEADER_TAG = "[redacted]"


def is_credential(name: str) -> bool:
    """Whether a header of this name carries a credential (`X-Api-Key`, `Authorization`,
    `Set-Cookie`, `X-Session-Id`, ...): one of the parts above, in any case."""
    return _CREDENTIAL_HEADER.search(name) is not None


def header_redacted(name: str, value: str) -> str:
    """The value of a header as an output may show it: a credential header's value is hidden."""
    return HEADER_TAG if is_credential(name) else value


def token_tag(secret: str) -> str:
    """A short, stable stand-in for a secret: its first characters and a hash."""
    return f"{secret[:4]}…[sha256:{hashlib.sha256(secret.encode()).hexdigest()[:8]}]"


def json_forms(secret: str) -> tuple[str, ...]:
    """The forms a secret takes inside a JSON string: as is, or with \\u escapes."""
    escaped = json.dumps(secret)[1:-1]
    plain = json.dumps(secret, ensure_ascii=False)[1:-1]
    return (plain,) if escaped == plain else (plain, escaped)


@dataclass(frozen=True)
class Form:
    """A secret as written out one way, and where each of its characters starts in that text."""

    text: str
    starts: tuple[int, ...]  # one per character of the secret, then len(text)
    encoded: bool = False  # hex or base64 of its bytes, not written character by character

    def characters(self, begin: int, end: int) -> int:
        """How many whole characters of the secret text[begin:end] holds."""
        return max(0, bisect_right(self.starts, end) - 1 - bisect_left(self.starts, begin))


@cache
def forms(secret: str) -> tuple[Form, ...]:
    """Every way of writing the secret out that _WRITTEN and _AGAIN make, then its hex and base64
    forms, each once."""
    out = {f.text: f for f in _written(secret)}
    for form in _encoded(secret):
        out.setdefault(form.text, form)
    return tuple(out.values())


@cache
def _written(secret: str) -> tuple[Form, ...]:
    out: dict[str, Form] = {}
    spelt = [_spellings(c) for c in secret]
    for way in range(len(_WRITTEN) * len(_AGAIN)):
        chars = [s[way] for s in spelt]
        text = "".join(chars)
        out.setdefault(text, Form(text, tuple(accumulate(map(len, chars), initial=0))))
    return tuple(out.values())


@lru_cache(maxsize=4096)
def _spellings(c: str) -> tuple[str, ...]:
    """One character in every way _WRITTEN and _AGAIN write it (tokens share most characters)."""
    return tuple(again(written(c)) for written in _WRITTEN for again in _AGAIN)


def _encoded(secret: str) -> list[Form]:
    """The secret's UTF-8 bytes in hex, either case, and in base64, standard and URL-safe, at each
    of the three alignments it can have inside a longer blob: only the characters no byte around
    it changes."""
    raw = secret.encode("utf-8")
    edges = [0]
    for c in secret:
        edges.append(edges[-1] + len(c.encode("utf-8")))
    hexed = tuple(2 * e for e in edges)
    out = [Form(raw.hex(), hexed, encoded=True), Form(raw.hex().upper(), hexed, encoded=True)]
    for align in range(3):
        first, last = -(-8 * align // 6), 8 * (align + len(raw)) // 6
        text = base64.b64encode(bytes(align) + raw + bytes(2)).decode("ascii")[first:last]
        # A base64 character can hold bits of two characters of the secret: each character
        # starts at the one holding its first bit, so a run never counts fewer than it shows.
        starts = [min(max(8 * (align + e) // 6 - first, 0), len(text)) for e in edges[:-1]]
        starts.append(len(text))
        out.append(Form(text, tuple(starts), encoded=True))
        safe = text.translate(_URLSAFE)
        if safe != text:
            out.append(Form(safe, tuple(starts), encoded=True))
    return out


_URLSAFE = str.maketrans("+/", "-_")
MEMO_TEXT, MEMO_SIZE = 4096, 2048  # at most 8 MiB of redacted texts kept


class Redactor:
    """Replaces every form of every secret, whole or any piece of PIECE characters."""

    def __init__(self, secrets: Iterable[str] = (), keys: Iterable[str] = ()) -> None:
        tokens = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self.secrets = tokens
        self.whole, self.forms, self.index = _compiled(tuple(tokens), tuple(keys))
        self.memo: dict[str, str] = {}

    @classmethod
    def for_profile(cls, profile: Profile) -> Redactor:
        """The profile's tokens and every private key it holds (suite, gateway, provider)."""
        from conformance.signing import private_key_text

        gateway, provider = profile.gateway, profile.provider
        keys = [
            profile.suite_private_key,
            gateway.suite_private_key if gateway else None,
            provider.signing_key if provider else None,
        ]
        texts = [text for k in keys if k is not None for text in private_key_text(k)]
        return cls(profile.secrets, texts)

    def __call__(self, text: str) -> str:
        # Most of a run's texts repeat (answers, header values): each short one is redacted once.
        if len(text) > MEMO_TEXT:
            return self._redacted(text)
        done = self.memo.get(text)
        if done is None:
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            done = self.memo[text] = self._redacted(text)
        return done

    def _redacted(self, text: str) -> str:
        for form, tag in self.whole:
            if form in text:
                text = text.replace(form, tag)
        return self.pieces(_PEM.sub(KEY_TAG, text))

    def pieces(self, text: str) -> str:
        """Replace every run that holds PIECE or more characters of a secret, in any form."""
        views = _views(text)
        if not (self.forms and len(text) >= PIECE) and not views:
            return text
        spans = self._spans(text)
        for view, starts in views:  # a secret found in a view covers the escapes spelling it
            found = self._spans(view) + [
                (i, i + len(form), tag)
                for form, tag in self.whole
                for i in _occurrences(view, form)
            ]
            spans += [(starts[b], starts[e], tag) for b, e, tag in found]
        if not spans:
            return text
        for begin, end, tag in _merged(spans)[::-1]:
            text = text[:begin] + tag + text[end:]
        return text

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where text holds runs of PIECE or more characters of a secret, and their tags."""
        spans: list[tuple[int, int, str]] = []
        for gram, index in self.index.items():
            covered, lookup = 0, index.get
            for start in range(0, len(text) - gram + 1, gram + 1):
                hits = lookup(text[start : start + gram])
                if hits is None or start + gram <= covered:
                    continue
                runs = [self._extend(text, start, gram, *hit) for hit in hits]
                begin, end, tag = max(runs, key=lambda r: r[1] - r[0])
                if end > begin:
                    spans.append((begin, end, tag))
                    covered = max(covered, end)
        return spans

    def _extend(
        self, text: str, at: int, gram: int, which: int, offset: int
    ) -> tuple[int, int, str]:
        """The longest run around text[at:] matching the form from offset, when it holds PIECE
        characters of the secret (begin, end, tag); else an empty run."""
        form, tag = self.forms[which]
        begin, back = at, offset
        while begin > 0 and back > 0 and text[begin - 1] == form.text[back - 1]:
            begin, back = begin - 1, back - 1
        end, ahead = at + gram, offset + gram
        while end < len(text) and ahead < len(form.text) and text[end] == form.text[ahead]:
            end, ahead = end + 1, ahead + 1
        held = form.characters(back, ahead)
        # A base64 character holds bits of two characters of the secret: a run cut there shows
        # most of the character at each end, so those two count as shown.
        if held < PIECE - (2 if form.encoded else 0):
            return at, at, tag
        if held == len(form.starts) - 1 or tag == KEY_TAG:
            return begin, end, tag
        return begin, end, f"[part of {tag}]"


Compiled = tuple[
    list[tuple[str, str]], list[tuple[Form, str]], dict[int, dict[str, list[tuple[int, int]]]]
]


@lru_cache(maxsize=8)
def _compiled(tokens: tuple[str, ...], keys: tuple[str, ...]) -> Compiled:
    """What a Redactor looks for: short secrets whole, every form of the others by slices."""
    # Shorter than a piece: only found whole. Longest first, so a secret containing another
    # is replaced whole.
    # An encoded form shorter than a piece (a few base64 characters) would match by chance.
    short = {
        (f.text, token_tag(s))
        for s in tokens
        if len(s) < PIECE
        for f in forms(s)
        if not f.encoded or len(f.text) >= PIECE
    }
    whole = sorted(short, key=lambda p: len(p[0]), reverse=True)
    every = [(f, token_tag(s)) for s in tokens for f in forms(s)]
    every += [(f, KEY_TAG) for k in keys for f in forms(k)]
    found = [(f, tag) for f, tag in every if len(f.starts) > PIECE]
    index: dict[int, dict[str, list[tuple[int, int]]]] = {g: {} for g in GRAMS}
    for i, (form, _) in enumerate(found):
        shortest = min(b - a for a, b in zip(form.starts, form.starts[PIECE:]))
        # Every secret's plain form is looked up by the shortest slices: an encoded form, rarely
        # met by chance, is looked up with them too rather than cost a pass of its own.
        gram = GRAMS[0] if form.encoded else max(g for g in GRAMS if 2 * g <= max(shortest, PIECE))
        grams = index[gram]
        for offset in range(len(form.text) - gram + 1):
            grams.setdefault(form.text[offset : offset + gram], []).append((i, offset))
    return whole, found, index


def _unescaped(text: str) -> tuple[str, list[int]]:
    """text with one level of JSON escapes undone, and where each character of that view starts
    in text (then len(text)); no starts when text has no such escape."""
    if "\\" not in text:
        return text, []
    view: list[str] = []
    starts: list[int] = []
    at = 0
    for m in _JSON_ESCAPE.finditer(text):
        view.append(text[at : m.start()])
        starts.extend(range(at, m.start()))
        if m[1]:
            high, low = int(m[1], 16), int(m[2], 16)
            view.append(chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
        else:
            view.append(chr(int(m[3], 16)) if m[3] else _SHORT_ESCAPES.get(m[4], m[4]))
        starts.append(m.start())
        at = m.end()
    if not starts:
        return text, []
    view.append(text[at:])
    starts.extend(range(at, len(text) + 1))
    return "".join(view), starts


def _views(text: str) -> list[tuple[str, list[int]]]:
    """text with its JSON escapes undone once and twice, and with its percent escapes undone
    (when there are any), each with where its characters start in text."""
    views = []
    once, starts = _unescaped(text)
    if starts:
        twice, again = _unescaped(once)
        views += [(once, starts)] + ([(twice, [starts[i] for i in again])] if again else [])
    return views + _unpercented(text)


_PERCENT_RUN = re.compile(r"(?:%[0-9a-fA-F]{2})+")


def _unpercented(text: str) -> list[tuple[str, list[int]]]:
    """The stretches of text around its percent escapes with those undone, in whatever case (each
    escape may have its own), and where each character of a stretch starts in text.

    A run of PIECE characters of a secret that holds an escape lies within PIECE characters of
    it, so only those stretches are looked at again: a long body with a few escapes stays cheap."""
    if "%" not in text:
        return []
    stretches: list[list[int]] = []
    for m in _PERCENT_RUN.finditer(text):
        begin, end = max(0, m.start() - PIECE), min(len(text), m.end() + PIECE)
        if stretches and begin <= stretches[-1][1]:
            stretches[-1][1] = end
        else:
            stretches.append([begin, end])
    return [_decoded(text, begin, end) for begin, end in stretches]


def _decoded(text: str, begin: int, end: int) -> tuple[str, list[int]]:
    view: list[str] = []
    starts: list[int] = []
    at = begin
    for m in _PERCENT_RUN.finditer(text, begin, end):
        view.append(text[at : m.start()])
        starts.extend(range(at, m.start()))
        raw = bytes.fromhex(m.group().replace("%", ""))
        i = 0
        while i < len(raw):  # one character (its UTF-8 bytes) at a time, to know where it starts
            size = next((n for n in (4, 3, 2) if raw[i] >> (7 - n) == (1 << (n + 1)) - 2), 1)
            try:
                view.append(raw[i : i + size].decode("utf-8"))
            except UnicodeDecodeError:
                size = 1
                view.append("\ufffd")
            starts.append(m.start() + 3 * i)
            i += size
        at = m.end()
    view.append(text[at:end])
    starts.extend(range(at, end + 1))
    return "".join(view), starts


def _occurrences(text: str, part: str) -> list[int]:
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for begin, end, tag in sorted(spans):
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]), out[-1][2])
        else:
            out.append((begin, end, tag))
    return out
