"""A Case as plain JSON data for the evidence, secrets replaced by tags, and back for a replay."""

from __future__ import annotations

import base64
import types
from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from conformance.core.model import Case, Expect
from conformance.core.redact import json_forms, token_tag
from conformance.signing import Tamper


def _swap(data: bytes, pairs: Iterable[tuple[str, str]]) -> bytes:
    # Longest first, so a secret containing another is replaced whole.
    for old, new in sorted(pairs, key=lambda p: len(p[0]), reverse=True):
        data = data.replace(old.encode("utf-8"), new.encode("utf-8"))
    return data


def _hide(secrets: Iterable[str]) -> list[tuple[str, str]]:
    # A body may hold a token \u-escaped: that form gets a tag of its own, to come back as it was.
    return [
        (form, token_tag(s) + ("" if i == 0 else "(escaped)"))
        for s in secrets
        if len(s) >= 4
        for i, form in enumerate(json_forms(s))
    ]


def _fits(value: Any, hint: Any) -> bool:
    """True when value has the annotated type (the few forms Case and its parts use)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is Literal:
        return value in args
    if origin is frozenset:
        return isinstance(value, frozenset) and all(_fits(v, args[0]) for v in value)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return len(value) == len(args) and all(map(_fits, value, args))
    return isinstance(value, origin or hint)


T = TypeVar("T")


def _typed(obj: T) -> T:
    """obj when every field has its annotated type; ValueError naming the field otherwise."""
    for name, hint in get_type_hints(type(obj)).items():
        value = getattr(obj, name)
        if is_dataclass(value):
            _typed(value)
        elif not _fits(value, hint):
            raise ValueError(f"{type(obj).__name__}.{name} is {type(value).__name__}")
    return obj


def dump(case: Case, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The case as JSON-ready data; every secret in it replaced by its tag."""
    hide = _hide(secrets)
    tamper: dict[str, Any] = {}
    for f in fields(Tamper):
        value = getattr(case.tamper, f.name)
        if value == f.default:
            continue
        if isinstance(value, bytes):
            value = base64.b64encode(_swap(value, hide)).decode("ascii")
        elif isinstance(value, frozenset):
            value = sorted(value)
        tamper[f.name] = value
    expect = asdict(case.expect)
    expect.update(
        codes=sorted(case.expect.codes),
        scopes=sorted(case.expect.scopes),
        values=[list(v) for v in case.expect.values],
    )
    token = _swap(case.token.encode("utf-8"), hide).decode("utf-8") if case.token else None
    return {
        "api": case.api,
        "kind": case.kind,
        "method": case.method,
        "content_type": case.content_type,
        "body_base64": base64.b64encode(_swap(case.body, hide)).decode("ascii"),
        "tamper": tamper,
        "expect": expect,
        "field": case.field,
        "token": token,
        "note": case.note,
    }


def load(data: Mapping[str, Any], secrets: Iterable[str] = ()) -> Case:
    """The case back from dump(); tags of the given secrets become the secrets again.

    Malformed data raises KeyError, TypeError, ValueError or AttributeError, never a half-typed
    Case."""
    show = [(tag, s) for s, tag in _hide(secrets)]
    tamper: dict[str, Any] = {}
    for name, value in data.get("tamper", {}).items():
        if name == "sign_body":
            value = _swap(base64.b64decode(value), show)
        elif name == "omit":
            value = frozenset(value)
        tamper[name] = value
    e = data.get("expect", {})
    expect = Expect(
        e.get("outcome", "any"),
        e.get("requirement"),
        e.get("code_requirement"),
        frozenset(e.get("codes", ())),
        frozenset(e.get("scopes", ())),
        tuple((k, v) for k, v in e.get("values", ())),
    )
    token = data.get("token")
    return _typed(
        Case(
            api=data["api"],
            kind=data["kind"],
            body=_swap(base64.b64decode(data["body_base64"]), show),
            expect=expect,
            method=data.get("method", "POST"),
            content_type=data.get("content_type"),
            tamper=Tamper(**tamper),
            field=data.get("field"),
            token=_swap(token.encode("utf-8"), show).decode("utf-8") if token else None,
            note=data.get("note", ""),
        )
    )
