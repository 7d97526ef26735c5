"""Whole-body probes: JSON layouts a server must accept, and body mutations that break one
property of a valid body (each variant with the edit that restores it)."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from conformance.generation.mutations import ASCII, STANDALONE, compact, encode

# -- layouts: the same body in other forms JSON allows ---------------------------------------

# Characters common encoders escape: PHP's json_encode writes / as \/, Gson's HTML-safe default
# writes < > & = ' as \u escapes.
_ESCAPED = re.compile(r"[/<>&=']")


def _escape(text: str) -> str:
    """text as a JSON string whose first character, and each of those, is written escaped."""
    head = json.dumps(text[:1])[1:-1]  # \uXXXX (or a surrogate pair) unless plain ASCII
    if head == text[:1] and head:
        head = f"\\u{ord(head):04x}"
    tail = json.dumps(text[1:], ensure_ascii=False)[1:-1]
    tail = _ESCAPED.sub(lambda m: "\\/" if m[0] == "/" else f"\\u{ord(m[0]):04x}", tail)
    return f'"{head}{tail}"'


def _tabs_and_crlf(body: Mapping[str, Any]) -> bytes:
    pairs = (f"{json.dumps(k)}\t:\t{json.dumps(v, ensure_ascii=False)}" for k, v in body.items())
    return ("{\r\n\t" + ",\r\n\t".join(pairs) + "\r\n}").encode("utf-8")


def _escaped(body: Mapping[str, Any]) -> bytes:
    pairs = (
        json.dumps(k) + ":" + (_escape(v) if isinstance(v, str) else json.dumps(v))
        for k, v in body.items()
    )
    return ("{" + ",".join(pairs) + "}").encode("utf-8")


# name -> the valid body written that way; every one parses to the very same object.
LAYOUTS: Mapping[str, Callable[[Mapping[str, Any]], bytes]] = {
    "indented": lambda body: json.dumps(dict(body), indent=2, ensure_ascii=False).encode("utf-8"),
    "tabs-and-crlf": _tabs_and_crlf,
    "keys-reversed": lambda body: compact(dict(reversed(list(body.items())))),
    "escaped-characters": _escaped,
}


# -- body mutations: a valid encoding -> one broken property, and the edit undoing it ---------


@dataclass(frozen=True)
class Variant:
    """One way to break a body, and its inverse: restore(apply(raw)) is the valid body again."""

    apply: Callable[[bytes], st.SearchStrategy[bytes]]
    restore: Callable[[bytes, Mapping[str, Any]], bytes]


def _edit(apply: Callable[[bytes], bytes], restore: Callable[[bytes], bytes]) -> Variant:
    return Variant(lambda raw: st.just(apply(raw)), lambda broken, body: restore(broken))


def _single_quoted(raw: bytes) -> bytes:
    # An apostrophe already in a value is written \u0027 first, so the swap can be undone.
    return raw.replace(b"'", b"\\u0027").replace(b'"', b"'")


def _first_pair(raw: bytes) -> bytes:
    key, value = next(iter(json.loads(raw).items()))
    return json.dumps({key: value}, ensure_ascii=False)[1:-1].encode("utf-8")


def _unknown_fields(raw: bytes) -> st.SearchStrategy[bytes]:
    known = set(json.loads(raw))
    names = st.text(string.ascii_letters, min_size=3, max_size=12).filter(lambda n: n not in known)
    extra = st.dictionaries(names, UNKNOWN_VALUES, min_size=1, max_size=2)
    return extra.map(lambda e: raw[:-1] + b"," + compact(e)[1:-1] + b"}")


def _known_only(broken: bytes, body: Mapping[str, Any]) -> bytes:
    return compact({k: v for k, v in json.loads(broken).items() if k in body})


UNKNOWN_VALUES = st.one_of(
    st.text(STANDALONE, max_size=8),
    st.none(),
    st.dictionaries(st.sampled_from(("a", "b")), st.text(ASCII, max_size=4), max_size=2),
)


@dataclass(frozen=True)
class BodyMutation:
    variants: Mapping[str, Variant]
    valid: bool  # whether the bytes are still a valid request

    def only(self, variant: str) -> BodyMutation:
        """This mutation with one of its variants."""
        return replace(self, variants={variant: self.variants[variant]})

    def __call__(self, body: Mapping[str, Any]) -> st.SearchStrategy[tuple[str, bytes]]:
        """(variant name, bytes) from any valid encoding of body."""
        return st.tuples(encode(body), st.sampled_from(sorted(self.variants))).flatmap(
            lambda t: self.variants[t[1]].apply(t[0]).map(lambda raw: (t[1], raw))
        )


BODY_MUTATIONS: Mapping[str, BodyMutation] = {
    "invalid-json": BodyMutation(
        {
            "truncated": _edit(lambda r: r[:-1], lambda b: b + b"}"),
            "trailing-comma": _edit(lambda r: r + b",", lambda b: b[:-1]),
            "doubled-brace": _edit(lambda r: b"{" + r, lambda b: b[1:]),
            "equals-for-colon": _edit(
                lambda r: r.replace(b":", b"=", 1), lambda b: b.replace(b"=", b":", 1)
            ),
            "single-quoted": _edit(_single_quoted, lambda b: b.replace(b"'", b'"')),
        },
        valid=False,
    ),
    "empty-body": BodyMutation(
        {"empty": Variant(lambda raw: st.just(b""), lambda broken, body: compact(body))},
        valid=False,
    ),
    "not-utf8": BodyMutation(
        {
            "utf-16": _edit(
                lambda r: r.decode("utf-8").encode("utf-16"),
                lambda b: b.decode("utf-16").encode("utf-8"),
            ),
            "leading-ff-fe": _edit(lambda r: b"\xff\xfe" + r, lambda b: b[2:]),
        },
        valid=False,
    ),
    # The valid object wrapped in another JSON type: the value is there, the type is not.
    "not-object": BodyMutation(
        {
            "array": _edit(lambda r: b"[" + r + b"]", lambda b: b[1:-1]),
            "string": _edit(
                lambda r: json.dumps(r.decode("utf-8"), ensure_ascii=False).encode("utf-8"),
                lambda b: json.loads(b).encode("utf-8"),
            ),
        },
        valid=False,
    ),
    # A key repeated with the same value: the body means the same whichever occurrence is read.
    "duplicate-keys": BodyMutation(
        {
            "first-key-again": _edit(
                lambda r: r[:-1] + b"," + _first_pair(r) + b"}",
                lambda b: b[: -len(_first_pair(b)) - 2] + b"}",
            )
        },
        valid=True,
    ),
    "unknown-field": BodyMutation(
        {"extra-fields": Variant(_unknown_fields, _known_only)}, valid=True
    ),
}
