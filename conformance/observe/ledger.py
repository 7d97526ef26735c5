"""Outcomes of many exchanges folded per requirement: how often judged and broken, and the first
and the latest evidence (redacted as a certification run's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from conformance.core.model import Outcome
from conformance.core.redact import Redactor
from conformance.engine.evidence import exchange_evidence
from conformance.observe.credentials import masked
from conformance.observe.judge import secrets
from conformance.results.document import Evidence, ExchangeRecord
from conformance.results.fold import Tally


@dataclass
class Group:
    """One requirement over the session: judgements, failing ones, first and latest evidence."""

    judged: int = 0
    failures: int = 0
    first: Evidence | None = None
    latest: Evidence | None = None


def evidence(failing: list[Outcome], label: str, known: tuple[str, ...]) -> Evidence:
    """The evidence of one failing judgement; every token and credential it shows is redacted
    (a credential header's value whatever its length, by its name)."""
    o = failing[0]
    redact = Redactor(known + tuple(s for ex in o.exchanges for s in secrets(ex)))
    return {
        "test": label,
        "message": redact("; ".join(dict.fromkeys(f.message for f in failing))),
        "expected": redact(o.expected),
        "received": redact(o.received),
        # The engine writes exchange records as plain dicts shaped as the schema's exchange.
        "exchanges": [
            cast(ExchangeRecord, exchange_evidence(masked(ex), redact)) for ex in o.exchanges
        ],
    }


@dataclass
class Ledger:
    """Requirement ID -> Group; one judgement counts once per requirement, however many
    violations it shows."""

    known: tuple[str, ...] = ()  # the profile's tokens
    groups: dict[str, Group] = field(default_factory=dict)

    def add(self, outcomes: Iterable[Outcome], label: str) -> list[str]:
        """Fold one judgement (an exchange, or a flow); return the requirements it broke."""
        by: dict[str, list[Outcome]] = {}
        for o in outcomes:
            by.setdefault(o.requirement, []).append(o)
        broken = []
        for rid, found in by.items():
            group = self.groups.setdefault(rid, Group())
            group.judged += 1
            failing = [o for o in found if not o.ok]
            if not failing:
                continue
            broken.append(rid)
            group.failures += 1
            shown = evidence(failing, label, self.known)
            if group.first is None:
                group.first = {**shown, "test": f"first failure: {label}"}
            else:
                group.latest = {**shown, "test": f"latest failure: {label}"}
        return sorted(broken)

    def tallies(self, role: str) -> dict[str, Tally]:
        return {
            rid: Tally(
                g.judged,
                g.failures,
                [e for e in (g.first, g.latest) if e is not None],
                {f"observed traffic ({role} role)"},
            )
            for rid, g in self.groups.items()
        }
