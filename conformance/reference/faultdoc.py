"""docs/faults.md: the table of faulty wallets and the requirements that catch them, from FAULTS
and the catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from ..catalogue import Catalogue, catalogue
from .faults import Fault, all_faults

HEADER = """# Faulty wallets and the requirements that catch them

Generated from `conformance/reference/faults*.py`, `prepare_faults.py` and the requirement
catalogue by `conformance faults --markdown`; `tests/test_faults_doc.py` keeps it current.

Each fault is a small variation of the reference wallet (`conformance run --fault NAME`).
`tests/test_fault_matrix.py` (inquiryUserInfo) and `tests/test_prepare_faults.py`
(prepareAuthInfo) certify every one and assert that it is caught by exactly the
requirements listed (and by nothing else except those under "also breaks"), that a fault caught
by a MUST requirement is NOT CERTIFIED (exit 1), and that a fault caught only by SHOULD
requirements is CERTIFIED with a warning (exit 0). The unmodified reference wallet passes with
no failure, no warning and no untested requirement.
"""


def _verdict(fault: Fault, cat: Catalogue) -> str:
    must = any(cat[r].level == "MUST" for r in fault.catches)
    return "NOT CERTIFIED" if must else "CERTIFIED, warning"


def _caught_by(fault: Fault, cat: Catalogue) -> str:
    return "<br>".join(f"`{r}` ({cat[r].level}, [{cat[r].label}])" for r in fault.catches)


def faults_markdown(faults: Mapping[str, Fault] | None = None, cat: Catalogue | None = None) -> str:
    """The whole document, grouped by the family of each fault's first catching requirement."""
    faults = all_faults() if faults is None else faults
    cat = catalogue() if cat is None else cat
    families: dict[str, list[Fault]] = {}
    for f in faults.values():
        families.setdefault(cat[f.catches[0]].family, []).append(f)
    lines = [HEADER, f"{len(faults)} faults.", ""]
    for family in sorted(families):
        lines += [
            f"## {family}",
            "",
            "| fault | what it does wrong | caught by | verdict | also breaks |",
            "|---|---|---|---|---|",
        ]
        for f in sorted(families[family], key=lambda f: f.name):
            also = ", ".join(f"`{r}`" for r in f.also) or "-"
            lines.append(
                f"| `{f.name}` | {f.summary} | {_caught_by(f, cat)} | {_verdict(f, cat)} | {also} |"
            )
        lines.append("")
    return "\n".join(lines)
