"""The schema and scalar checks of a JSON body, one implementation for either direction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from conformance.checks.registry import Violation


@dataclass(frozen=True)
class Side:
    """How a body of one direction is judged: its requirement prefix and what others report."""

    prefix: str  # "RESP" or "REQ"
    noun: str  # "response" or "request"
    others: frozenset[str]  # validator keywords another requirement reports
    soft_limits: bool  # a maxLength whose x-label is not D is a SHOULD (<prefix>-LIMIT-SOFT)


# minLength is <prefix>-NO-EMPTY's; enum on resultStatus is RESULT-STATUS'.
RESPONSE = Side("RESP", "response", frozenset({"minLength", "enum"}), soft_limits=True)
REQUEST = Side("REQ", "request", frozenset({"minLength"}), soft_limits=False)


def path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "(body)"


def leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*at, i))
    else:
        yield at, value


Found = dict[str, list[Violation]]
# Bodies judged so far, by direction and text: most answers of a run repeat a few bodies.
_SEEN: dict[tuple[str, Side, int, str], tuple[object, Found]] = {}
SEEN_MAX = 1024


def _once(kind: str, side: Side, by: object, body: Any, judge: Callable[[], Found]) -> Found:
    """judge()'s violations of a body, worked out once for each distinct body (key order and
    JSON types included) and each validator."""
    key = (kind, side, id(by), json.dumps(body, ensure_ascii=False))
    held = _SEEN.get(key)
    if held is None or held[0] is not by:
        if len(_SEEN) >= SEEN_MAX:
            _SEEN.clear()
        held = _SEEN[key] = (by, judge())
    return {rid: list(found) for rid, found in held[1].items()}


def schema(side: Side, validator: Draft202012Validator, body: Any) -> Found:
    """<prefix>-SCHEMA and the length limits; non-string scalars are <prefix>-STRING's."""
    return _once("schema", side, validator, body, lambda: _schema(side, validator, body))


def _schema(side: Side, validator: Draft202012Validator, body: Any) -> Found:
    p = side.prefix
    hard, soft_key = f"{p}-LIMIT", f"{p}-LIMIT-SOFT"
    found: dict[str, list[Violation]] = {f"{p}-SCHEMA": [], hard: []}
    if side.soft_limits:
        found[soft_key] = []
    for err in validator.iter_errors(body):
        where = path(err.absolute_path)
        if err.validator == "type" and isinstance(err.instance, (bool, int, float)):
            continue
        if err.validator in side.others:
            continue
        if err.validator == "maxLength":
            size = len(err.instance)
            labelled = err.schema.get("x-label", "D") if isinstance(err.schema, dict) else "D"
            soft = side.soft_limits and labelled != "D"
            found[soft_key if soft else hard].append(
                (
                    f"{where} is {size} characters, over its limit",
                    f"at most {err.validator_value} characters",
                    str(size),
                )
            )
            continue
        found[f"{p}-SCHEMA"].append((f"{where}: {err.message}", f"the {side.noun} schema", where))
    return found


def scalars(side: Side, body: Any) -> Found:
    """<prefix>-STRING for a non-string scalar, <prefix>-NO-EMPTY for ""."""
    return _once("scalars", side, None, body, lambda: _scalars(side, body))


def _scalars(side: Side, body: Any) -> Found:
    text, empty = f"{side.prefix}-STRING", f"{side.prefix}-NO-EMPTY"
    found: dict[str, list[Violation]] = {text: [], empty: []}
    for at, value in leaves(body):
        if isinstance(value, (bool, int, float)):
            found[text].append(
                (f"{path(at)} is a JSON {type(value).__name__}", "a JSON string", repr(value))
            )
        elif value == "":
            found[empty].append((f'{path(at)} is ""', "omitted or null", '""'))
    return found
