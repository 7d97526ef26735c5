"""The requirement catalogue: every rule the suite checks, with a stable ID."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from types import MappingProxyType

from conformance.contract.trace import TRACE_FILE
from conformance.core.errors import ContractError

LEVELS = ("MUST", "SHOULD")
LABELS = {
    "D": "documented for Alipay+",
    "S": "documented only for a sibling gateway",
    "I": "inferred",
    "P": "declared in the target profile",
}


@dataclass(frozen=True)
class Requirement:
    id: str
    api: str
    family: str
    level: str
    label: str
    source: str
    rule: str
    text: str
    # The catalogue's optional `basis` key: why the level is what it is, by the level rule (a
    # rule resting only on [S] or [I] facts is a SHOULD unless a [D] rule makes it a MUST).
    level_basis: str = ""

    @property
    def basis(self) -> str:
        return LABELS[self.label]


@dataclass(frozen=True)
class Catalogue:
    requirements: Mapping[str, Requirement]

    def __getitem__(self, rid: str) -> Requirement:
        return self.requirements[rid]

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements.values())

    def __contains__(self, rid: object) -> bool:
        return rid in self.requirements

    def with_levels(self, levels: Mapping[str, str]) -> Catalogue:
        """Apply a profile's level overrides; unknown IDs were refused earlier."""
        reqs = {
            rid: replace(r, level=levels.get(rid, r.level)) for rid, r in self.requirements.items()
        }
        return Catalogue(MappingProxyType(reqs))


_FIELDS = ("id", "api", "family", "level", "label", "source", "rule", "text")


def _parse(name: str, text: str) -> list[Requirement]:
    data = tomllib.loads(text)
    out = []
    for i, row in enumerate(data.get("requirement", [])):
        missing = [f for f in _FIELDS if not isinstance(row.get(f), str) or not row[f]]
        if missing:
            raise ContractError(
                f"{name} requirement #{i + 1}", f"lacks {', '.join(missing)}", "fill them in"
            )
        if row["level"] not in LEVELS or row["label"] not in LABELS:
            raise ContractError(
                f"{name} {row['id']}",
                "has an unknown level or label",
                f"use one of {LEVELS} and {tuple(LABELS)}",
            )
        basis = row.get("basis", "")
        if not isinstance(basis, str):
            raise ContractError(f"{name} {row['id']}", "has a basis that is not text", "quote it")
        out.append(Requirement(**{f: row[f] for f in _FIELDS}, level_basis=basis))
    return out


@cache
def catalogue() -> Catalogue:
    """Every requirement from conformance/contract/catalogue/*.toml (trace.toml holds the trace)."""
    reqs: dict[str, Requirement] = {}
    folder = resources.files("conformance.contract.catalogue")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or entry.name == TRACE_FILE:
            continue
        for req in _parse(entry.name, entry.read_text(encoding="utf-8")):
            if req.id in reqs:
                raise ContractError(entry.name, f"repeats requirement {req.id}", "give it a new ID")
            reqs[req.id] = req
    return Catalogue(MappingProxyType(reqs))
