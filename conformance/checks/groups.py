"""Checks over a group of exchanges: the same request twice, or twin values that differ only in
length."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from conformance.checks.registry import Context
from conformance.core.model import Exchange, Outcome

GroupFn = Callable[[Sequence[Exchange], Context], list[Outcome]]
GROUPS: dict[str, GroupFn] = {}


def group(*suffixes: str) -> Callable[[GroupFn], GroupFn]:
    """Register a group check for the requirement suffixes it judges (replay finds it by suffix)."""

    def register(fn: GroupFn) -> GroupFn:
        for s in suffixes:
            GROUPS[s] = fn
        return fn

    return register


def _field_value(ex: Exchange) -> Any:
    try:
        return json.loads(ex.case.body).get(ex.case.field or "")
    except (ValueError, AttributeError):
        return None


def _illegal(ex: Exchange) -> bool:
    return ex.code == "PARAM_ILLEGAL"


@group("LIMIT-WITHIN", "LIMIT-CHARS")
def twins(exchanges: Sequence[Exchange], ctx: Context) -> list[Outcome]:
    """A value within its limit must not be refused as illegal when three of its characters are
    not. A value at the limit sent one character shorter too tells which count refused it."""
    within, short, *below = exchanges
    field = next(f for f in ctx.api.request_fields() if f.name == within.case.field)
    value = _field_value(within)
    if not isinstance(value, str) or field.max_length is None:
        return []
    # Over in UTF-16 units is over in UTF-8 bytes too: one requirement for every other count.
    over_bytes = len(value.encode("utf-8")) > field.max_length
    # Still over in bytes one character shorter, yet not refused: the limit is off by one.
    off_by_one = any(b.code is not None and not _illegal(b) for b in below)
    rid = ctx.rid("LIMIT-CHARS" if over_bytes and not off_by_one else "LIMIT-WITHIN")
    if not ctx.has(rid.removeprefix(ctx.prefix + "-")):
        return []
    ok = not (_illegal(within) and short.code not in (None, "PARAM_ILLEGAL"))
    units = len(value.encode("utf-16-le")) // 2
    size = f"{len(value)} characters, {units} UTF-16 units, {len(value.encode('utf-8'))} bytes"
    return [
        Outcome(
            rid,
            ok,
            ""
            if ok
            else f"{field.name} within its limit of {field.max_length} characters "
            f"refused as illegal ({size})",
            f"the same answer as for 3 such characters ({short.result_status}/{short.code})",
            f"{within.result_status}/{within.code}",
            (within, short, *below),
        )
    ]


def _answer(ex: Exchange) -> dict[str, Any]:
    """What an answer carries besides its result: userInfo, or the authorization information."""
    body = ex.body
    return {k: v for k, v in body.items() if k != "result"} if isinstance(body, dict) else {}


@group("IDEMPOTENT")
def repeat(exchanges: Sequence[Exchange], ctx: Context) -> list[Outcome]:
    """The same request twice gets the same definitive result and the same fields with it."""
    first, second = exchanges
    if (
        not ctx.has("IDEMPOTENT")
        or first.result_status not in ("S", "F")
        or second.result_status not in ("S", "F")
    ):
        return []  # a U answer or none is to be retried, not compared
    a = (first.result_status, first.code, _answer(first))
    b = (second.result_status, second.code, _answer(second))
    ok = a == b
    return [
        Outcome(
            ctx.rid("IDEMPOTENT"),
            ok,
            "" if ok else "the same request got a different answer",
            f"{a[0]}/{a[1]} {json.dumps(a[2], ensure_ascii=False)}",
            f"{b[0]}/{b[1]} {json.dumps(b[2], ensure_ascii=False)}",
            (first, second),
        )
    ]
