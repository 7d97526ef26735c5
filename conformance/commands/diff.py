"""`conformance diff OLD NEW`: the release gate; requirements that regressed or were fixed
between two runs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from ..results import CERTIFIED, RESULTS_SCHEMA

# How bad a status is; a waived row counts as what it was, so a waiver never passes for a fix.
SEVERITY = {"failed": 2, "warned": 1}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        help="compare two results JSON files; exit 1 on a regression",
        description="List requirements that regressed or were fixed between two runs. A regression "
        "(a requirement that now fails or warns, or fails where it warned) exits 1 "
        "unless a waiver in the new run accepts it; losing the CERTIFIED verdict "
        "always exits 1 (a waived MUST never certifies).",
    )
    p.add_argument("old", type=Path, help="results.json of the earlier run (e.g. the last release)")
    p.add_argument("new", type=Path, help="results.json of this run")


def effective(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "absent"
    return str(row["waiver"]["was"]) if row.get("waiver") else str(row["status"])


def severity(row: Mapping[str, Any] | None) -> int:
    return SEVERITY.get(effective(row), 0)


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(
            f"{path}: cannot be read ({exc.strerror}); give the path of a results.json"
        )
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{path}: is not JSON; give the results.json a run wrote")
    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        raise ValueError(
            f"{path}: is not a results document ({RESULTS_SCHEMA}); give the results.json a run "
            f"wrote"
        )
    return doc


def _judged(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Rows by ID; of an observation, only those its traffic judged."""
    rows = doc["requirements"]
    if doc.get("observation"):
        rows = [r for r in rows if r["status"] not in ("untested", "not applicable")]
    return {r["id"]: r for r in rows}


def kind(doc: Mapping[str, Any]) -> str:
    seen = doc.get("observation")
    return f"observation ({seen['role']} role)" if seen else "certification"


def compare(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """(regressions not waived, waived regressions, fixes), one line each.

    When either side is an observation, only requirements both sides judged are compared: what
    traffic did not exercise is neither fixed nor broken."""
    before, after = _judged(old), _judged(new)
    if old.get("observation") or new.get("observation"):
        both = before.keys() & after.keys()
        before = {k: v for k, v in before.items() if k in both}
        after = {k: v for k, v in after.items() if k in both}
    regressed, accepted, fixed = [], [], []
    for rid in list(after) + [i for i in before if i not in after]:
        a, b = before.get(rid), after.get(rid)
        line = f"{rid}: {effective(a)} -> {effective(b)}"
        if severity(b) > severity(a):
            level = b["level"] if b else ""
            if b and b.get("waiver"):
                accepted.append(
                    f"{line} ({level}, waived by {b['waiver']['owner']} until "
                    f"{b['waiver']['expires']})"
                )
            else:
                regressed.append(f"{line} ({level}: {b['text'] if b else ''})")
        elif severity(b) < severity(a):
            fixed.append(line)
    return regressed, accepted, fixed


def run(args: argparse.Namespace) -> int:
    try:
        old, new = _load(args.old), _load(args.new)
    except ValueError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if old["contract"]["digest"] != new["contract"]["digest"]:
        print(
            f"note: the contract changed ({old['contract']['digest'][:19]} -> "
            f"{new['contract']['digest'][:19]})"
        )
    if old.get("observation") or new.get("observation"):
        print(f"comparing: {kind(old)} -> {kind(new)}; only requirements both judged")
    print(f"verdict: {old['verdict']} -> {new['verdict']}")
    regressed, accepted, fixed = compare(old, new)
    observed = bool(old.get("observation") or new.get("observation"))  # never a certification
    if old["verdict"] == CERTIFIED != new["verdict"] and not regressed and not observed:
        # A waived MUST or a suite error loses certification even when no row's severity rose.
        regressed.append(
            "verdict: CERTIFIED -> NOT CERTIFIED (" + "; ".join(new.get("reasons", [])) + ")"
        )
    for title, lines in (
        ("regressed", regressed),
        ("regressed, accepted by a waiver", accepted),
        ("fixed", fixed),
    ):
        print(f"{title}: {len(lines)}")
        for line in lines:
            print(f"  {line}")
    return EXIT_NOT_CERTIFIED if regressed else EXIT_CERTIFIED
