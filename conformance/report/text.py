"""The terminal summary of a run, from the results document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def summary(r: Mapping[str, Any]) -> list[str]:
    """Failures, warnings and waivers with their evidence line, the waiver notices, then the
    counts."""
    lines = []
    for row in r["requirements"]:
        if row["status"] not in ("failed", "warned", "waived"):
            continue
        lines.append(f"{row['status'].upper():7} {row['id']} ({row['level']}): {row['text']}")
        if row.get("waiver"):
            w = row["waiver"]
            lines.append(
                f"        waived ({w['was']}) by {w['owner']} until {w['expires']}: {w['reason']}"
            )
        for ev in row["evidence"][:1]:
            lines.append(
                f"        {ev['message']}; expected {ev['expected']}, got {ev['received']}"
            )
            lines.append(f"        rule: {row['rule']} ({row['source']})")
            lines.append(f"        reproduce: {ev.get('reproduce', '')}")
    for w in (r.get("waivers") or {}).get("entries", []):
        if w["state"] != "applied" or w["level"] == "MUST":
            lines.append(f"waiver {w['requirement']} {w['state']}: {w['note']}")
    for row in r["requirements"]:
        if row.get("level_default"):
            lines.append(
                f"level of {row['id']} set to {row['level']} by the profile (documented: "
                f"{row['level_default']})"
            )
    for reason in [] if r.get("observation") else r.get("reasons", []):
        lines.append(f"not certified: {reason}")
    if r["run"].get("not_run"):
        lines.append(
            f"NOT RUN {len(r['run']['not_run'])} tests: {r['run']['not_run'][0]['reason']}"
        )
    counts = ", ".join(f"{n} {s}" for s, n in r["counts"].items())
    lines.append(f"{counts} requirements; {r['run']['requests']} requests")
    return lines
