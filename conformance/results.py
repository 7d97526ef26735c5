"""Fold per-test records into the run's results: per requirement status and the verdict."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue

RESULTS_SCHEMA = "mpp-conformance/results/v1"
CERTIFIED, NOT_CERTIFIED = "CERTIFIED", "NOT CERTIFIED"


@dataclass
class Tally:
    exchanges: int = 0
    failures: int = 0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)


def fold(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Tally]:
    """(nodeid, {rid: record}) pairs -> one tally per requirement."""
    tallies: dict[str, Tally] = {}
    for nodeid, per_req in records:
        for rid, rec in per_req.items():
            t = tallies.setdefault(rid, Tally())
            t.exchanges += rec["exchanges"]
            t.failures += rec["failures"]
            t.tests.add(nodeid)
            if rec.get("evidence"):
                t.evidence.append(rec["evidence"])
    return tallies


def status(level: str, tally: Tally | None) -> str:
    if tally is None or tally.exchanges == 0:
        return "untested"
    if tally.failures == 0:
        return "passed"
    return "failed" if level == "MUST" else "warned"


def build(tallies: Mapping[str, Tally], catalogue: Catalogue, apis: Iterable[str],
          errors: list[dict[str, str]], meta: Mapping[str, Any]) -> dict[str, Any]:
    """The results document; the HTML, JUnit and exit code are all derived from it."""
    wanted = set(apis)
    rows: list[dict[str, Any]] = []
    for req in catalogue:
        if req.api not in wanted:
            continue
        tally = tallies.get(req.id)
        rows.append({
            "id": req.id, "api": req.api, "family": req.family, "level": req.level, "label": req.label,
            "basis": req.basis, "source": req.source, "rule": req.rule, "text": req.text,
            "status": status(req.level, tally),
            "exchanges": tally.exchanges if tally else 0, "failures": tally.failures if tally else 0,
            "tests": sorted(tally.tests) if tally else [],
            "evidence": tally.evidence[:3] if tally else [],
        })
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("passed", "failed", "warned", "untested")}
    answered = any(r["status"] != "untested" for r in rows if r["id"].endswith("TRANSPORT-ANSWER"))
    verdict = CERTIFIED if counts["failed"] == 0 and not errors and answered else NOT_CERTIFIED
    return {"schema": RESULTS_SCHEMA, "verdict": verdict, **meta, "counts": counts,
            "errors": errors, "requirements": rows}


def unreachable(results: Mapping[str, Any]) -> bool:
    """True when no request of the run got any HTTP answer."""
    rows = [r for r in results.get("requirements", []) if r["id"].endswith("TRANSPORT-ANSWER")]
    return bool(rows) and all(r["status"] == "failed" and r["failures"] >= r["exchanges"] for r in rows)


def write(results: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
