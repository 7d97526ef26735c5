"""Checks: small pure functions Exchange -> Outcomes, registered by decorator.

A check names requirement suffixes ("RESP-SCHEMA"); it applies to an API when the
catalogue holds `<prefix>-<suffix>` for that API's prefix, so the catalogue decides
which checks run where.
"""

from __future__ import annotations

from conformance.checks.registry import (
    REGISTRY,
    CheckFn,
    Context,
    RegisteredCheck,
    Violation,
    check,
    outcomes,
)
from conformance.core.model import Exchange, Outcome

__all__ = [
    "REGISTRY",
    "CheckFn",
    "Context",
    "RegisteredCheck",
    "Violation",
    "check",
    "judge",
    "outcomes",
    "registry",
]


def registry() -> list[RegisteredCheck]:
    """Every registered check (importing the modules that register them)."""
    from conformance.checks import annotated, behaviour, incoming, response  # noqa: F401  (registration)

    return REGISTRY


def judge(exchange: Exchange, ctx: Context, observed: bool = False) -> list[Outcome]:
    """Run every applicable registered check on one exchange (observed: only unchosen ones)."""
    found: list[Outcome] = []
    for chk in registry():
        if observed and chk.chosen:
            continue
        # A check with no fixed suffixes names its requirements per exchange.
        if (not chk.suffixes or any(ctx.has(s) for s in chk.suffixes)) and chk.applies(exchange):
            found.extend(outcomes(ctx, exchange, chk.fn(exchange, ctx)))
    return found
