"""The terminal summary of a run, from the results document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """A failed, warned or waived requirement as the console shows it."""

    rid: str
    level: str
    status: str
    text: str
    found: str  # what the evidence shows, or the requirement's text when there is none
    reproduce: str
    rule: str


def findings(r: Mapping[str, Any]) -> list[Finding]:
    """Failed, warned and waived requirements, in catalogue order."""
    out = []
    for row in r["requirements"]:
        if row["status"] not in ("failed", "warned", "waived"):
            continue
        ev = (row["evidence"] or [{}])[0]
        found = (
            f"{ev['message']}; expected {ev['expected']}, got {ev['received']}"
            if ev
            else row["text"]
        )
        out.append(
            Finding(
                row["id"],
                row["level"],
                row["status"],
                row["text"],
                found,
                ev.get("reproduce", ""),
                f"{row['rule']} ({row['source']})",
            )
        )
    return out


def notes(r: Mapping[str, Any], every_reason: bool = False) -> list[str]:
    """Waiver notices, levels the profile changed, reasons of the verdict and tests not run.

    Reasons that name a failed requirement or the preflight are left out unless every_reason:
    the console shows those on their own."""
    lines = []
    for w in (r.get("waivers") or {}).get("entries", []):
        if w["state"] != "applied" or w["level"] == "MUST":
            lines.append(f"waiver {w['requirement']} {w['state']}: {w['note']}")
    for row in r["requirements"]:
        if row.get("level_default"):
            lines.append(
                f"level of {row['id']} set to {row['level']} by the profile (documented: "
                f"{row['level_default']})"
            )
    shown = ("preflight", "(run) could not complete")  # the preflight and NOT RUN lines
    for reason in r.get("reasons", []):
        if every_reason or not (reason.endswith("(MUST) failed") or reason.startswith(shown)):
            lines.append(f"not certified: {reason}")
    if r["run"].get("not_run"):
        lines.append(
            f"NOT RUN {len(r['run']['not_run'])} tests: {r['run']['not_run'][0]['reason']}"
        )
    return lines


def summary(r: Mapping[str, Any]) -> list[str]:
    """Failures, warnings and waivers with their evidence line, the waiver notices, then the
    counts."""
    lines = []
    rows = {row["id"]: row for row in r["requirements"]}
    for f in findings(r):
        lines.append(f"{f.status.upper():7} {f.rid} ({f.level}): {f.text}")
        w = rows[f.rid].get("waiver")
        if w:
            lines.append(
                f"        waived ({w['was']}) by {w['owner']} until {w['expires']}: {w['reason']}"
            )
        if rows[f.rid]["evidence"]:
            lines.append(f"        {f.found}")
            lines.append(f"        rule: {f.rule}")
            lines.append(f"        reproduce: {f.reproduce}")
    lines += notes(r, every_reason=True)
    counts = ", ".join(f"{n} {s}" for s, n in r["counts"].items())
    lines.append(f"{counts} requirements; {r['run']['requests']} requests")
    return lines
