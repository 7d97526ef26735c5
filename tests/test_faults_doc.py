"""docs/faults.md is generated from the fault registry and the catalogue, and is current."""

from __future__ import annotations

from pathlib import Path

from conformance.reference.faultdoc import faults_markdown
from conformance.reference.faults import FAULTS

DOC = Path(__file__).resolve().parent.parent / "docs" / "faults.md"


def test_committed_fault_table_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == faults_markdown(), (
        "docs/faults.md is stale: run `conformance faults --markdown > docs/faults.md`"
    )


def test_table_names_every_fault_and_its_requirements() -> None:
    text = faults_markdown()
    for f in FAULTS.values():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{f.name}` |"))
        assert all(f"`{r}`" in row for r in f.catches)


def test_library_is_broad() -> None:
    assert len(FAULTS) >= 25
