"""Checks driven by the response schema's annotations: x-when (SUCCESS-only fields) and x-fixed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.checks.registry import Context, Violation, check
from conformance.checks.response import has_result
from conformance.core.model import Exchange


def _annotated(ctx: Context, key: str) -> dict[str, Any]:
    props = ctx.api.response.get("properties", {})
    return {name: sub[key] for name, sub in props.items() if isinstance(sub, dict) and key in sub}


def _body(ex: Exchange) -> dict[str, Any]:
    body = ex.body
    return body if isinstance(body, dict) else {}


@check("SUCCESS-FIELDS", "ONLY-SUCCESS", applies=has_result)
def success_fields(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    body, when = _body(ex), _annotated(ctx, "x-when")
    if ex.code == "SUCCESS":
        return {
            "SUCCESS-FIELDS": [
                (f"{name} missing from a SUCCESS", name, "(absent or null)")
                for name, code in when.items()
                if code == "SUCCESS" and body.get(name) is None
            ]
        }
    return {
        "ONLY-SUCCESS": [
            (f"{name} returned with {ex.code}", f"{name} only with SUCCESS", "present")
            for name, code in when.items()
            if code == "SUCCESS" and body.get(name) is not None
        ]
    }


@check("SCOPES-FIXED", applies=lambda ex: has_result(ex) and ex.code == "SUCCESS")
def fixed(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    body = _body(ex)
    return {
        "SCOPES-FIXED": [
            (f"{name} is not the documented value", repr(value), repr(body.get(name)))
            for name, value in _annotated(ctx, "x-fixed").items()
            if body.get(name) is not None and body.get(name) != value
        ]
    }
