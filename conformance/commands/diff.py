"""`conformance diff OLD NEW`: the release gate; requirements that regressed or were fixed
between two runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.commands.term import error
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from conformance.results.document import (
    CERTIFIED,
    NOT_APPLICABLE,
    RESULTS_SCHEMA,
    RequirementRow,
    Results,
)

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


def effective(row: RequirementRow | None) -> str:
    """The row's status, or the status a waiver accepted."""
    if row is None:
        return "absent"
    return row["waiver"]["was"] if row["waiver"] is not None else row["status"]


def severity(row: RequirementRow | None) -> int:
    return SEVERITY.get(effective(row), 0)


def _shortened(text: str, limit: int = 300) -> str:
    """A problem quoting a value of the file, cut to a readable length."""
    return text if len(text) <= limit else text[:limit] + "..."


def _load(path: Path) -> Results:
    try:
        raw = untrusted.read(
            path,
            limit=untrusted.RESULTS_BYTES,
            what=str(path),
            fix="give the path of a results.json",
        )
        doc = untrusted.load_json(raw, str(path), fix="give the results.json a run wrote")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    from conformance.report.schema import checked  # jsonschema: only once there is a file

    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        raise ValueError(
            f"{path}: is not a results document ({RESULTS_SCHEMA}); give the results.json a run "
            f"wrote"
        )
    results, found = checked(doc)
    if results is None:
        raise ValueError(f"{path}: breaks the results schema: {_shortened(found[0])}")
    return results


def _judged(doc: Results) -> dict[str, RequirementRow]:
    """Rows by ID; of an observation, only those its traffic judged."""
    rows = doc["requirements"]
    if "observation" in doc:
        rows = [r for r in rows if r["status"] not in ("untested", NOT_APPLICABLE)]
    return {r["id"]: r for r in rows}


def kind(doc: Results) -> str:
    if "observation" in doc:
        return f"observation ({doc['observation']['role']} role)"
    return "certification"


def compare(old: Results, new: Results) -> tuple[list[str], list[str], list[str]]:
    """(regressions not waived, waived regressions, fixes), one line each.

    When either side is an observation, only requirements both sides judged are compared: what
    traffic did not exercise is neither fixed nor broken."""
    before, after = _judged(old), _judged(new)
    if "observation" in old or "observation" in new:
        both = before.keys() & after.keys()
        before = {k: v for k, v in before.items() if k in both}
        after = {k: v for k, v in after.items() if k in both}
    regressed, accepted, fixed = [], [], []
    for rid in list(after) + [i for i in before if i not in after]:
        a, b = before.get(rid), after.get(rid)
        line = f"{rid}: {effective(a)} -> {effective(b)}"
        # A requirement judged before and not now is a lost proof (a partial run, a spent budget).
        unproven = effective(a) in ("passed", "warned") and effective(b) == "untested"
        if b is not None and (severity(b) > severity(a) or unproven):
            if (w := b["waiver"]) is not None:
                accepted.append(
                    f"{line} ({b['level']}, waived by {w['owner']} until {w['expires']})"
                )
            else:
                regressed.append(f"{line} ({b['level']}: {b['text']})")
        elif severity(b) < severity(a):
            fixed.append(line)
    return regressed, accepted, fixed


def run(args: argparse.Namespace) -> int:
    try:
        old, new = _load(args.old), _load(args.new)
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE
    if old["contract"]["digest"] != new["contract"]["digest"]:
        print(
            f"note: the contract changed ({old['contract']['digest'][:19]} -> "
            f"{new['contract']['digest'][:19]})"
        )
    observed = "observation" in old or "observation" in new  # never a certification
    if observed:
        print(f"comparing: {kind(old)} -> {kind(new)}; only requirements both judged")
    print(f"verdict: {old['verdict']} -> {new['verdict']}")
    regressed, accepted, fixed = compare(old, new)
    if old["verdict"] == CERTIFIED != new["verdict"] and not regressed and not observed:
        # A waived MUST or a suite error loses certification even when no row's severity rose.
        # An INCONCLUSIVE run (the network disturbed it) proves nothing: it is no longer certified.
        regressed.append(
            f"verdict: CERTIFIED -> {new['verdict']} (" + "; ".join(new["reasons"]) + ")"
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
