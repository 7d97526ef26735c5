"""Waivers: accepted deviations, each with a requirement ID, reason, owner and expiry (TOML)."""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conformance.core import tomlfile
from conformance.core.errors import ConfigError
from conformance.profile.table import Table
from conformance.results.document import RequirementRow, RowWaiver, WaiverEntry

FIELDS = ("requirement", "reason", "owner", "expires")
EXAMPLE = {
    "requirement": '"IUI-TRANSPORT-CONTENT-TYPE"',
    "reason": '"gateway adds its own media type"',
    "owner": '"payments-team@wallet.example"',
    "expires": "2027-03-31",
}
# A waived MUST is shown, never hidden, and it makes the run non-certifying: see results.verdict.
RULE = (
    "a waived MUST requirement makes the run non-certifying (NOT CERTIFIED); only SHOULD "
    "waivers keep it certifiable"
)


class WaiverError(ConfigError):
    """The waiver file is invalid."""


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    owner: str
    expires: date

    def active(self, today: date) -> bool:
        """A waiver applies up to and including its expiry day."""
        return today <= self.expires


@dataclass(frozen=True)
class Waivers:
    entries: tuple[Waiver, ...] = ()
    source: str = ""
    digest: str = ""

    def for_requirement(self, rid: str) -> Waiver | None:
        return next((w for w in self.entries if w.requirement == rid), None)


NONE = Waivers()


def _expires(row: Table) -> date:
    value = row.raw("expires")
    if value is None:
        row.fail("expires", "is missing", "add expires = 2027-03-31 (a TOML date, no quotes)")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    row.fail("expires", f"{value!r} is not a date", "write expires = 2027-03-31 (YYYY-MM-DD)")


def parse(
    data: Mapping[str, Any], known: Container[str], source: str = "(inline)"
) -> tuple[Waiver, ...]:
    """Waivers from parsed TOML; every problem is one WaiverError line naming the field and the
    fix."""
    table = Table(data, source, error=WaiverError, env=False, source=source)
    fix = "write each waiver as [[waiver]]"
    table.only(("waiver",), "waiver table", fix)
    out: list[Waiver] = []
    for row in table.tables("waiver", fix):
        row.only(FIELDS, "waiver field")
        rid, reason, owner = (row.text(k, hint=EXAMPLE[k], strip=True) for k in FIELDS[:3])
        if rid not in known:
            row.fail(
                "requirement",
                f"{rid!r} is not a known requirement ID",
                "see `conformance requirements` for the list",
            )
        if any(w.requirement == rid for w in out):
            row.fail("requirement", f"{rid} is waived twice", "keep one waiver per requirement")
        out.append(Waiver(rid, reason, owner, _expires(row)))
    return tuple(out)


def load(path: Path, known: Container[str]) -> Waivers:
    """Read a waiver file."""
    data, digest = tomlfile.read(path, WaiverError, "--waivers")
    return Waivers(parse(data, known, str(path)), str(path), digest)


def _state(w: Waiver, row: RequirementRow | None, today: date) -> tuple[str, str]:
    """applied, expired or unused, and what the owner should do about it."""
    deviates = row is not None and row["status"] in ("failed", "warned")
    expires = w.expires.isoformat()
    if not w.active(today):
        if deviates:
            return "expired", (
                f"expired on {expires}: the requirement counts again; fix the deviation or renew "
                "the waiver"
            )
        return (
            "expired",
            f"expired on {expires} and the deviation no longer occurs: remove the waiver",
        )
    if row is None or not deviates:
        return "unused", "the deviation no longer occurs in this run: remove the waiver"
    if row["level"] == "MUST":
        return "applied", f"MUST waived: {RULE}"
    return "applied", "SHOULD waived: the warning is accepted"


def _entry(w: Waiver, row: RequirementRow | None, today: date) -> WaiverEntry:
    state, note = _state(w, row, today)
    return {
        "requirement": w.requirement,
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "level": row["level"] if row is not None else None,
        "state": state,
        "note": note,
    }


def _waived(row: RequirementRow, w: Waiver) -> RequirementRow:
    """A copy of row shown WAIVED, keeping the status it had."""
    waiver: RowWaiver = {
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "was": row["status"],
    }
    return {**row, "status": "waived", "waiver": waiver}


def apply(
    rows: Sequence[RequirementRow], waivers: Waivers, today: date
) -> tuple[list[RequirementRow], list[WaiverEntry]]:
    """The rows with every applied waiver marked WAIVED (new rows; the given ones are left as they
    are), and every waiver with its state (applied, expired, unused)."""
    by_id = {r["id"]: r for r in rows}
    entries = [_entry(w, by_id.get(w.requirement), today) for w in waivers.entries]
    applied = {
        e["requirement"]: w for e, w in zip(entries, waivers.entries) if e["state"] == "applied"
    }
    return [_waived(r, applied[r["id"]]) if r["id"] in applied else r for r in rows], entries
