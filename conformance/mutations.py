"""Request mutations: one small handler per kind, each a strategy of field values or body bytes."""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from .spec import Field

MISSING: Any = object()  # a field value that removes the field
SEPARATORS = ((",", ":"), (", ", ": "))
OVERSIZED_CHARS = 16 * 1024  # 128 times the longest limit, yet under any front end's body limit

ASCII = string.ascii_letters + string.digits
BMP_MULTIBYTE = "éüñßøçΩЖ中文字あア한"  # 2 and 3 bytes in UTF-8
ASTRAL = "😀𝄞𠀀𝒜🜁"  # 4 bytes in UTF-8, 2 UTF-16 units
COMBINING = ("e\u0301", "a\u0308", "n\u0303")  # base + mark: 2 code points, 3 bytes, 1 grapheme
RTL = ("\u200f", "\u200e", "م", "ر", "ح", "א", "ש")  # marks (3 bytes) and right-to-left letters (2)
CONTROL = ("\x00", "\x01", "\x1f", "\x7f", "\t", "a", "b")  # NUL and other controls, 1 byte each
# Each one character under every reading (code point, grapheme) and never fewer in UTF-16 units.
STANDALONE = ASCII + BMP_MULTIBYTE + ASTRAL


def encode(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """Any key order, either separator style, escaped or raw non-ASCII: all equally valid JSON."""
    return st.builds(
        lambda order, sep, ascii_only: json.dumps(
            {k: body[k] for k in order}, separators=sep, ensure_ascii=ascii_only
        ).encode("utf-8"),
        _orders(tuple(body)),
        _SEPARATOR_STYLES,
        _ASCII_ONLY,
    )


# Made once: a flatmap calls encode for every example, and hypothesis validates each new strategy.
_SEPARATOR_STYLES = st.sampled_from(SEPARATORS)
_ASCII_ONLY = st.booleans()


@cache
def _orders(keys: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.permutations(keys)


def compact(body: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(body), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mutated(body: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    out = dict(body)
    if value is MISSING:
        out.pop(name, None)
    else:
        out[name] = value
    return out


# -- field mutations that break the schema: Field -> strategy of replacement values --------


def _too_long(f: Field) -> st.SearchStrategy[Any]:
    # Standalone characters only, so the value is over the limit however characters are counted.
    limit = f.max_length or 0
    return st.text(STANDALONE, min_size=limit + 1, max_size=limit + 1)


def _oversized(f: Field) -> st.SearchStrategy[Any]:
    return st.sampled_from(STANDALONE).map(lambda c: c * OVERSIZED_CHARS)


def _number(f: Field) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def _array(f: Field) -> st.SearchStrategy[Any]:
    return st.lists(st.text(STANDALONE, max_size=4), max_size=2)


def _object(f: Field) -> st.SearchStrategy[Any]:
    return st.dictionaries(
        st.text(ASCII, min_size=1, max_size=4), st.text(STANDALONE, max_size=4), max_size=2
    )


@dataclass(frozen=True)
class Mutation:
    values: Callable[[Field], st.SearchStrategy[Any]]
    applies: Callable[[Field], bool]

    def __call__(self, f: Field) -> st.SearchStrategy[Any]:
        return self.values(f)


def _limited(f: Field) -> bool:
    return f.max_length is not None


def _required(f: Field) -> bool:
    return f.required


def _non_empty(f: Field) -> bool:
    return int(f.schema.get("minLength", 0)) > 0


def _always(f: Field) -> bool:
    return True


MUTATIONS: Mapping[str, Mutation] = {
    "too_long": Mutation(_too_long, _limited),
    "oversized": Mutation(_oversized, _limited),
    "number": Mutation(_number, _always),
    "boolean": Mutation(lambda f: st.booleans(), _always),
    "array": Mutation(_array, _always),
    "object": Mutation(_object, _always),
    "null": Mutation(lambda f: st.just(None), _required),
    "missing": Mutation(lambda f: st.just(MISSING), _required),
    "empty": Mutation(lambda f: st.just(""), _non_empty),
}


def applicable(kind: str, f: Field) -> bool:
    """Whether this mutation makes a body invalid for this field."""
    return MUTATIONS[kind].applies(f)


# -- values within the schema: character classes for length probes ------------------------


@dataclass(frozen=True)
class CharClass:
    units: tuple[str, ...]
    # (fewest, most) units for a limit: within it however characters are counted, and short of it
    # but for the ASCII class, so that only that class probes the boundary itself.
    sizes: Callable[[int], tuple[int, int]]

    def values(self, limit: int) -> st.SearchStrategy[str]:
        # One string draw over unit indices: far cheaper to generate and shrink than a list of
        # draws.
        lo, hi = self.sizes(limit)
        index = "".join(chr(0x41 + i) for i in range(len(self.units)))
        return st.text(index, min_size=lo, max_size=hi).map(
            lambda s: "".join(self.units[ord(c) - 0x41] for c in s)
        )

    def short(self, value: str) -> str:
        """Three units of the same kind: the same characters, far from any limit."""
        return next((u for u in self.units if u in value), self.units[0]) * 3


CHAR_CLASSES: Mapping[str, CharClass] = {
    "ascii-at-limit": CharClass(tuple(ASCII), lambda n: (n, n)),
    "multibyte": CharClass(tuple(BMP_MULTIBYTE), lambda n: (n // 2 + 1, n - 1)),
    "astral": CharClass(tuple(ASTRAL), lambda n: (n // 4 + 1, n // 2)),
    "combining": CharClass(COMBINING, lambda n: (n // 3 + 1, (n - 1) // 2)),
    "rtl": CharClass(RTL, lambda n: (n // 2 + 1, n - 1)),
    "control": CharClass(CONTROL, lambda n: (1, n)),
}


# -- whole-body mutations: a valid body -> strategy of raw bytes ---------------------------


def _invalid_json(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    return encode(body).flatmap(
        lambda raw: st.sampled_from(
            (raw[:-1], raw.replace(b'"', b"'"), raw + b",", b"{" + raw, raw.replace(b":", b"=", 1))
        )
    )


def _not_utf8(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    text = json.dumps(dict(body), ensure_ascii=False)
    latin = json.dumps({**body, min(body): "caf\u00e9"}, ensure_ascii=False).encode(
        "latin-1", errors="replace"
    )
    return st.sampled_from((text.encode("utf-16"), latin, b"\xff\xfe" + text.encode("utf-8")))


def _not_object(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    return encode(body).flatmap(
        lambda raw: st.sampled_from(
            (b"[" + raw + b"]", b"null", b'"' + raw.replace(b'"', b'\\"') + b'"', b"42")
        )
    )


def _duplicate_keys(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """A key repeated with the same value: the body means the same whichever occurrence is read."""

    def repeat(raw: bytes, name: str) -> bytes:
        pair = json.dumps({name: body[name]}, ensure_ascii=False)[1:-1].encode("utf-8")
        return raw[:-1] + b"," + pair + b"}"

    return st.tuples(encode(body), st.sampled_from(sorted(body))).map(lambda t: repeat(*t))


UNKNOWN_VALUES = st.one_of(
    st.text(STANDALONE, max_size=8),
    st.none(),
    st.dictionaries(st.sampled_from(("a", "b")), st.text(ASCII, max_size=4), max_size=2),
)


def _unknown_field(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    names = st.text(string.ascii_letters, min_size=3, max_size=12).filter(lambda n: n not in body)
    return st.dictionaries(names, UNKNOWN_VALUES, min_size=1, max_size=2).flatmap(
        lambda extra: encode({**body, **extra})
    )


# kind -> (bytes strategy, whether the bytes are a valid request)
BODY_MUTATIONS: Mapping[
    str, tuple[Callable[[Mapping[str, Any]], st.SearchStrategy[bytes]], bool]
] = {
    "invalid-json": (_invalid_json, False),
    "empty-body": (lambda body: st.just(b""), False),
    "not-utf8": (_not_utf8, False),
    "not-object": (_not_object, False),
    "duplicate-keys": (_duplicate_keys, True),
    "unknown-field": (_unknown_field, True),
}
