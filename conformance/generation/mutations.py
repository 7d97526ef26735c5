"""Request mutations: one small handler per kind, each breaking one property of a valid value or
body and keeping every other."""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

from conformance.contract.spec import Field
from conformance.generation.shapes import Shape, runs, shape_of

T = TypeVar("T")
MISSING: Any = object()  # a field value that removes the field
SEPARATORS = ((",", ":"), (", ", ": "))
OVERSIZED_CHARS = 16 * 1024  # 8 times the longest limit, yet under any front end's body limit

ASCII = string.ascii_letters + string.digits
BMP_MULTIBYTE = "éüñßøçΩЖ中文字あア한"  # 2 and 3 bytes in UTF-8
ASTRAL = "😀𝄞𠀀𝒜🜁"  # 4 bytes in UTF-8, 2 UTF-16 units
COMBINING = ("e\u0301", "a\u0308", "n\u0303")  # base + mark: 2 code points, 3 bytes, 1 grapheme
RTL = ("\u200f", "\u200e", "م", "ر", "ح", "א", "ש")  # marks (3 bytes) and right-to-left letters (2)
CONTROL = ("\x00", "\x01", "\x1f", "\x7f", "\t", "a", "b")  # NUL and other controls, 1 byte each
# Each one character under every reading (code point, grapheme) and never fewer in UTF-16 units.
STANDALONE = ASCII + BMP_MULTIBYTE + ASTRAL


@dataclass(frozen=True)
class Layout:
    """How a body is written: its keys in the order of `ranks` (a permutation, one rank for each
    key position), one separator style, non-ASCII escaped or raw: all equally valid JSON."""

    ranks: tuple[int, ...]
    separators: tuple[str, str]
    ascii_only: bool

    def write(self, body: Mapping[str, Any]) -> bytes:
        keys = list(body)
        order = sorted(range(len(keys)), key=lambda i: self.ranks[i])
        return json.dumps(
            {keys[i]: body[keys[i]] for i in order},
            separators=self.separators,
            ensure_ascii=self.ascii_only,
        ).encode("utf-8")


@cache
def layouts(width: int, escapable: bool) -> st.SearchStrategy[Layout]:
    """Layouts for bodies of `width` keys; whether non-ASCII is escaped is drawn only when the
    body has some (`escapable`). No two choices write the same bytes, so hypothesis sees a small
    space whole and stops rather than draw the same request again.

    One integer numbers every layout: a body's layout costs hypothesis one choice, not one per
    key, and shrinks toward the body as written (its own key order, compact, unescaped)."""
    orders, escapes = math.factorial(width), 2 if escapable else 1
    return st.integers(0, orders * len(SEPARATORS) * escapes - 1).map(
        lambda n: _nth_layout(width, n, escapes)
    )


def _nth_layout(width: int, n: int, escapes: int) -> Layout:
    n, escaped = divmod(n, escapes)
    n, sep = divmod(n, len(SEPARATORS))
    keys, ranks = list(range(width)), []
    for left in range(width, 0, -1):  # the n-th permutation, by its factorial digits
        digit, n = divmod(n, math.factorial(left - 1))
        ranks.append(keys.pop(digit))
    return Layout(tuple(ranks), SEPARATORS[sep], bool(escaped))


def layouts_for(body: Mapping[str, Any]) -> st.SearchStrategy[Layout]:
    text = json.dumps(dict(body), ensure_ascii=False)
    return layouts(len(body), not text.isascii())


def encode(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """The body in any layout."""
    return layouts_for(body).map(lambda layout: layout.write(body))


def encode_each(
    values: st.SearchStrategy[T], body_of: Callable[[T], Mapping[str, Any]]
) -> st.SearchStrategy[tuple[T, bytes]]:
    """Each drawn value's body, in any layout. The layout is drawn from a strategy made once per
    kind of body, not built anew for every example as a flatmap would."""
    return _written(values, body_of)


@st.composite  # at module level: hypothesis reads a composite's source once, where it is defined
def _written(
    draw: st.DrawFn, values: st.SearchStrategy[T], body_of: Callable[[T], Mapping[str, Any]]
) -> tuple[T, bytes]:
    value = draw(values)
    body = body_of(value)
    return value, draw(layouts_for(body)).write(body)


def encode_with(
    body: Mapping[str, Any], name: str, values: st.SearchStrategy[Any]
) -> st.SearchStrategy[tuple[Any, bytes]]:
    """Each value set as field `name` of the body (MISSING removes it), in any layout."""
    return encode_each(values, lambda value: mutated(body, name, value))


def compact(body: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(body), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mutated(body: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    out = dict(body)
    if value is MISSING:
        out.pop(name, None)
    else:
        out[name] = value
    return out


# -- field mutations that break the schema: (Field, valid value) -> strategy of values ------
# Each keeps what the one property it breaks leaves: an over-long value keeps the shape of the
# valid one, and a value of another JSON type carries the valid value, so a server that refuses
# it can only be refusing that property.


def _too_long(f: Field, valid: Any) -> st.SearchStrategy[Any]:
    return shape_of(f, valid).pad((f.max_length or 0) + 1)


def _oversized(f: Field, valid: Any) -> st.SearchStrategy[Any]:
    return shape_of(f, valid).pad(OVERSIZED_CHARS)


@dataclass(frozen=True)
class Mutation:
    values: Callable[[Field, Any], st.SearchStrategy[Any]]
    applies: Callable[[Field, Any], bool]

    def __call__(self, f: Field, valid: Any) -> st.SearchStrategy[Any]:
        return self.values(f, valid)


def _limited(f: Field, valid: Any) -> bool:
    return f.max_length is not None and isinstance(valid, str)


def _required(f: Field, valid: Any) -> bool:
    return f.required


def _non_empty(f: Field, valid: Any) -> bool:
    return int(f.schema.get("minLength", 0)) > 0


def _string(f: Field, valid: Any) -> bool:
    return isinstance(valid, str)


def _integer(f: Field, valid: Any) -> bool:
    """A value a JSON integer writes exactly: digits with no leading zero."""
    return (
        isinstance(valid, str) and valid.isascii() and valid.isdigit() and valid == str(int(valid))
    )


def _truth(f: Field, valid: Any) -> bool:
    return valid in ("true", "false")


MUTATIONS: Mapping[str, Mutation] = {
    "too_long": Mutation(_too_long, _limited),
    "oversized": Mutation(_oversized, _limited),
    "number": Mutation(lambda f, v: st.just(int(v)), _integer),
    "boolean": Mutation(lambda f, v: st.just(v == "true"), _truth),
    "array": Mutation(lambda f, v: st.just([v]), _string),
    "object": Mutation(lambda f, v: st.just({f.name: v}), _string),
    "null": Mutation(lambda f, v: st.just(None), _required),
    "missing": Mutation(lambda f, v: st.just(MISSING), _required),
    "empty": Mutation(lambda f, v: st.just(""), _non_empty),
}


def applicable(kind: str, f: Field, valid: Any) -> bool:
    """Whether this mutation breaks this field's valid value in exactly one property."""
    return MUTATIONS[kind].applies(f, valid)


# -- values within the schema: character classes for length probes ------------------------


@dataclass(frozen=True)
class CharClass:
    # None: the characters of the field's own shape (digits for an ID of digits).
    units: tuple[str, ...] | None
    # (fewest, most) units for a limit: within it however characters are counted (code points or
    # grapheme clusters, composed or not); exactly at it for the classes of AT_LIMIT_CLASSES.
    sizes: Callable[[int], tuple[int, int]]

    def values(self, shape: Shape, limit: int) -> st.SearchStrategy[str]:
        """Values of the shape whose content is of this class, within limit in every count."""
        units = self.units or tuple(shape.alphabet)
        lo, hi = self.sizes(shape.room(limit))
        return runs(units, max(lo, 1), max(hi, lo, 1)).map(shape.wrap)

    def shorter(self, shape: Shape, value: str) -> str:
        """The value one character shorter, in the same characters."""
        content = value[len(shape.head) : len(value) - len(shape.tail)]
        return shape.wrap(content[:-1])

    def short(self, shape: Shape, value: str) -> str:
        """The shape with three units of the same kind: the same characters, far from any limit."""
        units = self.units or tuple(shape.alphabet)
        content = value[len(shape.head) : len(value) - len(shape.tail)]
        return shape.wrap(next((u for u in units if u in content), units[0]) * 3)


AT_LIMIT = "ascii-at-limit"  # the limit in the field's own characters: every count agrees
# Exactly `limit` code points that are each one grapheme cluster and already composed, so the
# value is at the limit however characters are read, while the other counts run furthest over:
# astral, 2 UTF-16 units and 4 UTF-8 bytes each; BMP letters, 2 or 3 bytes, more code points
# once decomposed (é, 한). A value at the limit in graphemes but over it in code points (combining
# marks) is legal under one reading only, and is never sent.
AT_LIMIT_CLASSES = frozenset({AT_LIMIT, "astral-at-limit", "multibyte-at-limit"})
# At the limit in characters, over it in bytes or UTF-16 units: one character shorter tells a
# limit off by one from a count in other units.
UNEVEN_AT_LIMIT = AT_LIMIT_CLASSES - {AT_LIMIT}
CHAR_CLASSES: Mapping[str, CharClass] = {
    AT_LIMIT: CharClass(None, lambda n: (n, n)),
    "astral-at-limit": CharClass(tuple(ASTRAL), lambda n: (n, n)),
    "multibyte-at-limit": CharClass(tuple(BMP_MULTIBYTE), lambda n: (n, n)),
    "multibyte": CharClass(tuple(BMP_MULTIBYTE), lambda n: (n // 2 + 1, n - 1)),
    "astral": CharClass(tuple(ASTRAL), lambda n: (n // 4 + 1, n // 2)),
    "combining": CharClass(COMBINING, lambda n: (n // 3 + 1, (n - 1) // 2)),
    "rtl": CharClass(RTL, lambda n: (n // 2 + 1, n - 1)),
    "control": CharClass(CONTROL, lambda n: (1, n)),
}
