"""The terminal summary of a run, from the results document."""

from __future__ import annotations

from ..document import Results


def summary(r: Results) -> list[str]:
    """Failures, warnings and waivers with their evidence line, the waiver notices, then the
    counts."""
    lines = []
    for row in r["requirements"]:
        if row["status"] not in ("failed", "warned", "waived"):
            continue
        lines.append(f"{row['status'].upper():7} {row['id']} ({row['level']}): {row['text']}")
        if (w := row["waiver"]) is not None:
            lines.append(
                f"        waived ({w['was']}) by {w['owner']} until {w['expires']}: {w['reason']}"
            )
        for ev in row["evidence"][:1]:
            lines.append(
                f"        {ev['message']}; expected {ev['expected']}, got {ev['received']}"
            )
            lines.append(f"        rule: {row['rule']} ({row['source']})")
            lines.append(f"        reproduce: {ev.get('reproduce', '')}")
    for entry in r["waivers"]["entries"]:
        if entry["state"] != "applied" or entry["level"] == "MUST":
            lines.append(f"waiver {entry['requirement']} {entry['state']}: {entry['note']}")
    for row in r["requirements"]:
        if default := row.get("level_default"):
            lines.append(
                f"level of {row['id']} set to {row['level']} by the profile (documented: {default})"
            )
    # An observation certifies nothing; the failures above already say what its traffic broke.
    for reason in [] if "observation" in r else r["reasons"]:
        lines.append(f"not certified: {reason}")
    if not_run := r["run"].get("not_run"):
        lines.append(f"NOT RUN {len(not_run)} tests: {not_run[0]['reason']}")
    counts = ", ".join(f"{n} {s}" for s, n in r["counts"].items())
    lines.append(f"{counts} requirements; {r['run']['requests']} requests")
    return lines
