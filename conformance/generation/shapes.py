"""The legal shape of a field's value, derived from its schema and its valid value: a probe that
changes a value's length or content keeps every other property of it."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.contract.spec import Field

CATEGORIES = (string.digits, string.ascii_lowercase, string.ascii_uppercase)
URL_SAFE = string.ascii_letters + string.digits + "-._~"  # RFC 3986 unreserved: no escaping
PAD_PARAM = "pad"
# The longest run of drawn units a long value repeats.
MOTIF = 8


def runs(units: Sequence[str], lo: int, hi: int) -> st.SearchStrategy[str]:
    """Strings of lo to hi units: a short drawn motif repeated to a drawn length.

    Limits run to thousands of characters, and hypothesis checks and records every character it
    draws, so a value drawn unit by unit costs milliseconds. A motif holds the same classes of
    characters at the same lengths for two choices: the motif numbered by one integer (its units
    are its digits in base len(units)) and the length. It shrinks to the shortest run of the first
    unit.
    """
    units = tuple(units)
    motifs = st.integers(0, len(units) ** MOTIF - 1).map(lambda n: _motif(units, n))
    if lo == hi:
        return motifs.map(lambda m: _repeat(m, lo))
    return st.builds(_repeat, motifs, st.integers(lo, hi))


def _repeat(motif: list[str], size: int) -> str:
    whole, part = divmod(size, len(motif))
    return "".join(motif) * whole + "".join(motif[:part])


def _motif(units: tuple[str, ...], n: int) -> list[str]:
    digits = [units[n % len(units)]]
    while n := n // len(units):
        digits.append(units[n % len(units)])
    return digits


def _category(c: str) -> str | None:
    return next((cat for cat in CATEGORIES if c in cat), None)


@dataclass(frozen=True)
class Shape:
    """A valid value split where it can grow: head + content + tail, content of its alphabet."""

    valid: str
    head: str
    tail: str
    alphabet: str

    def wrap(self, content: str) -> str:
        return self.head + content + self.tail

    def room(self, size: int) -> int:
        """Characters of content that make a value of exactly size characters."""
        return size - len(self.head) - len(self.tail)

    def pad(self, size: int) -> st.SearchStrategy[str]:
        """Values of exactly size characters, in this shape."""
        n = max(self.room(size), 0)
        return runs(self.alphabet, n, n).map(self.wrap)

    def keeps(self, value: str) -> bool:
        """Whether value is this valid value grown in its own shape."""
        middle = value[len(self.head) : len(value) - len(self.tail)]
        return (
            len(value) >= len(self.head) + len(self.tail)
            and value.startswith(self.head)
            and value.endswith(self.tail)
            and set(middle) <= set(self.alphabet)
        )

    def other(self) -> st.SearchStrategy[str]:
        """Another value of the same length whose every character keeps its class (digits stay
        digits); characters outside the classes (punctuation) stay where they are."""
        parts = [st.sampled_from(cat) if (cat := _category(c)) else st.just(c) for c in self.valid]
        return st.tuples(*parts).map("".join).filter(lambda v: v != self.valid)

    def sibling(self) -> str:
        """One fixed other value of the same shape: each digit or letter moved on by one."""
        moved = "".join(
            cat[(cat.index(c) + 1) % len(cat)] if (cat := _category(c)) else c for c in self.valid
        )
        return moved if moved != self.valid else self.valid + self.alphabet[0]


def _url(valid: str) -> Shape:
    # One more query parameter, before any fragment: the URL still parses to the same scheme,
    # host, path and parameters.
    end = valid.find("#") if "#" in valid else len(valid)
    before = valid[:end]
    sep = "" if before.endswith(("?", "&")) else ("&" if "?" in before else "?")
    return Shape(valid, f"{before}{sep}{PAD_PARAM}=", valid[end:], URL_SAFE)


def char_shape(valid: str) -> Shape:
    # The classes the value is made of (digits, lower, upper); its own characters when none.
    alphabet = "".join(cat for cat in CATEGORIES if any(c in cat for c in valid))
    return Shape(valid, valid, "", alphabet or "".join(sorted(set(valid))) or string.digits)


SHAPES = {"uri": _url}


def shape_of(f: Field, valid: str) -> Shape:
    """The shape of a field's value: a URI when the schema says so (format), else its character
    classes."""
    return SHAPES.get(str(f.schema.get("format", "")), char_shape)(valid)
