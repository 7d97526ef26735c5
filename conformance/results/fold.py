"""Fold per-test records into the run's results: per requirement status and the verdict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from conformance.contract.catalogue import Catalogue, Requirement
from conformance.contract.catalogue import catalogue as documented
from conformance.results.document import (
    CERTIFIED,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    NOT_CERTIFIED,
    PARTIAL,
    RESULTS_SCHEMA,
    Described,
    Disturbances,
    Evidence,
    Meta,
    RequirementRow,
    Results,
    Run,
    SuiteError,
)
from conformance.results.waivers import NONE, RULE, Waivers, apply

if TYPE_CHECKING:
    from conformance.results.rows import Row

# Always counted, in this order; any other status a run produces is counted after them.
STATUSES = ("passed", "failed", "warned", "waived", "untested")


@dataclass
class Tally:
    exchanges: int = 0
    failures: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)


def fold(
    rows: Iterable[Row], finish: Callable[[str, Evidence], Evidence] = lambda rid, ev: ev
) -> dict[str, Tally]:
    """Each test's row -> one tally per requirement; `finish(requirement, evidence)` gives each
    piece of evidence as the results show it (with the commands that reproduce it)."""
    tallies: dict[str, Tally] = {}
    for row in rows:
        for rid, rec in row.judged.items():
            t = tallies.setdefault(rid, Tally())
            t.exchanges += rec.exchanges
            t.failures += rec.failures
            t.tests.add(row.test)
            if rec.evidence:
                t.evidence.append(finish(rid, rec.evidence))
    return tallies


def status(level: str, tally: Tally | None) -> str:
    if tally is None or tally.exchanges == 0:
        return "untested"
    if tally.failures == 0:
        return "passed"
    return "failed" if level == "MUST" else "warned"


def count(rows: Sequence[RequirementRow]) -> dict[str, int]:
    """Requirements per status: the fixed ones first, then any other status seen."""
    seen = list(STATUSES) + sorted({r["status"] for r in rows} - set(STATUSES))
    return {s: sum(1 for r in rows if r["status"] == s) for s in seen}


def verdict(
    rows: Sequence[RequirementRow], errors: Sequence[SuiteError], run: Run | None = None
) -> tuple[str, list[str]]:
    """The verdict with every reason: what the wallet failed first, then what leaves it unproven."""
    chosen = bool(run is not None and run.get("selection"))
    failures, left_out, doubts = failed(rows, errors, chosen), partial(run), doubted(run)
    # A failing run's reproduction is itself a selection: the failures say why, not the --only.
    return pick(failures, left_out, doubts), failures + ([] if failures else left_out) + doubts


def pick(failures: Sequence[str], left_out: Sequence[str], doubts: Sequence[str]) -> str:
    """A failure on the wallet's own answers outranks a run that proves too little: one the
    network disturbed (INCONCLUSIVE: run it again), or one that left tests out (PARTIAL)."""
    if failures:
        return NOT_CERTIFIED
    if doubts:
        return INCONCLUSIVE
    return PARTIAL if left_out else CERTIFIED


def partial(run: Run | None) -> list[str]:
    """Why the run covers less than the whole suite: a selection, tests not run, an early stop."""
    if run is None:
        return []
    reasons = [
        choice if choice.startswith("the run") else f"{choice} leaves suite tests out"
        for choice in run.get("selection", [])
    ]
    not_run = run.get("not_run", [])
    if not_run:
        why = "; ".join(sorted({n["reason"] for n in not_run}))
        reasons.append(f"{len(not_run)} tests not run: {why}")
    return reasons


def doubted(run: Run | None) -> list[str]:
    """Why a run without a failure still proves nothing: the network disturbed too much of it."""
    spoiled: Disturbances | None = run.get("disturbances") if run is not None else None
    if run is None or spoiled is None or not run["requests"] or not spoiled["total"]:
        return []
    share = spoiled["total"] / run["requests"]
    if share <= spoiled["budget"]:
        return []
    kinds = ", ".join(f"{kind} {n}" for kind, n in spoiled["kinds"].items())
    reason = (
        f"the network disturbed {spoiled['total']} of {run['requests']} requests ({share:.1%}: "
        f"{kinds}), more than the budget of {spoiled['budget']:.1%}: run again over a steadier "
        "network, or raise [limits] disturbance_budget"
    )
    return [reason]


def failed(
    rows: Sequence[RequirementRow], errors: Sequence[SuiteError], chosen: bool = False
) -> list[str]:
    """Why the run is NOT CERTIFIED; a waived MUST can never certify. `chosen`: the run ran the
    tests a selection named (--only, -k, -m), so it is PARTIAL at best."""
    reasons = [f"{r['id']} (MUST) failed" for r in rows if r["status"] == "failed"]
    reasons += [
        f"{r['id']} (MUST) is waived: {RULE}"
        for r in rows
        if r["status"] == "waived" and r["level"] == "MUST"
    ]
    reasons += [f"{e['test']} could not complete: {e['message'][:200]}" for e in errors]
    applicable = [r for r in rows if r["status"] != NOT_APPLICABLE]
    # A whole run has judged the target's answers. Without a request the suite sends (a passive
    # gateway), or in a run of chosen tests (one prepareAuthInfo flow, say), anything judged
    # shows the run happened.
    sent = [r for r in applicable if r["id"].endswith("TRANSPORT-ANSWER")]
    answers = applicable if chosen else sent or applicable
    if not answers or all(r["status"] == "untested" for r in answers):
        reasons.append("no request was answered or judged")
    return reasons


def observed(rows: Sequence[RequirementRow], exchanges: int) -> tuple[str, list[str]]:
    """An observation's verdict: what the traffic broke, never a certification."""
    broken = [r for r in rows if r["status"] in ("failed", "warned")]
    reasons = [
        f"{r['id']} ({r['level']}) violated on {r['failures']} of {r['exchanges']} judged"
        for r in broken
    ]
    plural = ("" if exchanges == 1 else "s", "" if len(broken) == 1 else "s")
    return (
        f"observed: {exchanges} exchange{plural[0]}, {len(broken)} requirement{plural[1]} violated",
        reasons,
    )


def verdict_of(results: Results) -> tuple[str, list[str]]:
    """The verdict a results document's rows give: a certification's, or an observation's."""
    if "observation" in results:
        return observed(results["requirements"], results["observation"]["exchanges"])
    return verdict(results["requirements"], results["errors"], results["run"])


def described(req: Requirement) -> Described:
    """The catalogue's part of a requirement row."""
    return {
        "id": req.id,
        "api": req.api,
        "family": req.family,
        "level": req.level,
        "label": req.label,
        "basis": req.basis,
        "source": req.source,
        "rule": req.rule,
        "text": req.text,
    }


def judged(
    req: Requirement, tally: Tally | None, inapplicable: Mapping[str, str]
) -> RequirementRow:
    """One requirement row: what the catalogue says of it and what the run found."""
    row: RequirementRow = {
        **described(req),
        "status": NOT_APPLICABLE if req.id in inapplicable else status(req.level, tally),
        "reason": inapplicable.get(req.id, ""),
        "exchanges": tally.exchanges if tally else 0,
        "failures": tally.failures if tally else 0,
        "tests": sorted(tally.tests) if tally else [],
        "evidence": tally.evidence[:3] if tally else [],
        "waiver": None,
    }
    default = documented().requirements.get(req.id)
    if default is not None and default.level != req.level:
        # A profile may raise or lower a level; the report must show that it did.
        row["level_default"] = default.level
    return row


def build(
    tallies: Mapping[str, Tally],
    catalogue: Catalogue,
    apis: Iterable[str],
    errors: Sequence[SuiteError],
    meta: Meta,
    waivers: Waivers = NONE,
    today: date | None = None,
    inapplicable: Mapping[str, str] | None = None,
) -> Results:
    """The results document; the HTML, JUnit and exit code are all derived from it.

    Of an observation (`conformance observe`), the verdict counts what the traffic broke."""
    wanted = set(apis)
    rows, applied = apply(
        [judged(r, tallies.get(r.id), inapplicable or {}) for r in catalogue if r.api in wanted],
        waivers,
        today or date.today(),
    )
    if "observation" in meta:
        outcome, reasons = observed(rows, meta["observation"]["exchanges"])
    else:
        outcome, reasons = verdict(rows, errors, meta["run"])
    return {
        "schema": RESULTS_SCHEMA,
        "verdict": outcome,
        "reasons": reasons,
        **meta,
        "counts": count(rows),
        "errors": list(errors),
        "waivers": {
            "source": waivers.source or None,
            "digest": waivers.digest or None,
            "entries": applied,
        },
        "requirements": rows,
    }


def unreachable(results: Results) -> bool:
    """True when no request of the run got any HTTP answer."""
    rows = [
        r
        for r in results["requirements"]
        if r["id"].endswith("TRANSPORT-ANSWER") and r["status"] != NOT_APPLICABLE
    ]
    return bool(rows) and all(
        r["status"] == "failed" and r["failures"] >= r["exchanges"] for r in rows
    )


def dumps(results: Results) -> bytes:
    """The exact bytes of results.json; the report states their SHA-256."""
    return (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
