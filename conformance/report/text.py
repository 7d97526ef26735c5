"""The terminal summary of a run, from the results document."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.results.document import Results


@dataclass(frozen=True)
class Finding:
    """A failed, warned or waived requirement as the console shows it."""

    rid: str
    level: str
    status: str
    text: str
    found: str  # what the evidence shows, or the requirement's text when there is none
    reproduce: str  # the run that finds it again ("" when none can: an observation)
    rule: str
    replay: str = ""  # re-sends the recorded minimal case alone, re-signed now

    def commands(self) -> list[tuple[str, str]]:
        """(how, command line) of each way to see it again; none for an observation."""
        return [
            (how, line)
            for how, line in (("reproduce", self.reproduce), ("replay", self.replay))
            if line
        ]


def findings(r: Results) -> list[Finding]:
    """Failed, warned and waived requirements, in catalogue order."""
    out = []
    for row in r["requirements"]:
        if row["status"] not in ("failed", "warned", "waived"):
            continue
        found, reproduce, replay = row["text"], "", ""
        for ev in row["evidence"][:1]:
            found = f"{ev['message']}; expected {ev['expected']}, got {ev['received']}"
            reproduce, replay = ev.get("reproduce", ""), ev.get("replay", "")
        rule = f"{row['rule']} ({row['source']})"
        out.append(
            Finding(
                row["id"], row["level"], row["status"], row["text"], found, reproduce, rule, replay
            )
        )
    return out


def notes(r: Results, every_reason: bool = False) -> list[str]:
    """Waiver notices, levels the profile changed, reasons of the verdict and tests not run.

    Reasons that name a failed requirement or the preflight are left out unless every_reason:
    the console shows those on their own."""
    lines = []
    for entry in r["waivers"]["entries"]:
        if entry["state"] != "applied" or entry["level"] == "MUST":
            lines.append(f"waiver {entry['requirement']} {entry['state']}: {entry['note']}")
    for row in r["requirements"]:
        if default := row.get("level_default"):
            lines.append(
                f"level of {row['id']} set to {row['level']} by the profile (documented: {default})"
            )
    shown = ("preflight", "(run) could not complete")  # the preflight and NOT RUN lines
    # An observation certifies nothing; the failures already say what its traffic broke.
    for reason in [] if "observation" in r else r["reasons"]:
        if every_reason or not (reason.endswith("(MUST) failed") or reason.startswith(shown)):
            lines.append(f"{r['verdict'].lower()}: {reason}")
    if not_run := r["run"].get("not_run"):
        lines.append(f"NOT RUN {len(not_run)} tests: {not_run[0]['reason']}")
    return lines


def summary(r: Results) -> list[str]:
    """Failures, warnings and waivers with their evidence line, the waiver notices, then the
    counts."""
    lines = []
    rows = {row["id"]: row for row in r["requirements"]}
    for f in findings(r):
        lines.append(f"{f.status.upper():7} {f.rid} ({f.level}): {f.text}")
        if (w := rows[f.rid]["waiver"]) is not None:
            lines.append(
                f"        waived ({w['was']}) by {w['owner']} until {w['expires']}: {w['reason']}"
            )
        if rows[f.rid]["evidence"]:
            lines.append(f"        {f.found}")
            lines.append(f"        rule: {f.rule}")
            lines += [f"        {how}: {line}" for how, line in f.commands()]
    lines += notes(r, every_reason=True)
    counts = ", ".join(f"{n} {s}" for s, n in r["counts"].items())
    lines.append(f"{counts} requirements; {r['run']['requests']} requests")
    if (spoiled := disturbed(r)) is not None:
        lines.append(f"network disturbances: {spoiled}")
    return lines


def left_out(r: Results) -> str | None:
    """What left suite tests out of the run, in one line; None for a whole run."""
    choices = [*r["run"].get("selection", [])]
    if r["run"].get("not_run"):
        choices.append(f"{len(r['run']['not_run'])} tests not run")
    return "; ".join(choices) or None


def plan_line(planned: int, rate: float | None) -> str:
    """How long the run will take, said before its first request."""
    if not rate:
        return f"plan: at most {planned:,} requests, at an unlimited rate"
    seconds = planned / rate
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    return f"plan: at most {planned:,} requests; at {rate:g} per second, about {took}"


def plan(r: Results) -> str | None:
    """What the run planned before its first request; None for a run that made no plan."""
    planned = r["run"].get("planned")
    if not planned:
        return None
    return plan_line(planned, r["run"].get("limits", {}).get("rate")).removeprefix("plan: ")


def disturbed(r: Results) -> str | None:
    """What the network did to the run's requests, in one line; None when it was not counted."""
    spoiled = r["run"].get("disturbances")
    if spoiled is None:
        return None
    budget = f"budget {spoiled['budget']:.1%} of the requests"
    if not spoiled["total"]:
        return f"none ({budget})"
    share = spoiled["total"] / max(r["run"]["requests"], 1)
    kinds = ", ".join(f"{kind} {n}" for kind, n in spoiled["kinds"].items())
    return (
        f"{spoiled['total']} of {r['run']['requests']} requests ({share:.1%}; {budget}): "
        f"{kinds}; each re-sent"
    )
