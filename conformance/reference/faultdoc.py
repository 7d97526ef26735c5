"""docs/faults.md: the table of faulty wallets and the requirements that catch them, from FAULTS
and the catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.contract.catalogue import Catalogue, catalogue
from conformance.reference.correct import CORRECT, CorrectVariant
from conformance.reference.faults import Fault, all_faults

HEADER = """# Faulty implementations and the requirements that catch them

Generated from `conformance/reference/faults*.py`, `correct.py` and the
requirement catalogue by `conformance faults --markdown`; `tests/test_faults_doc.py` keeps it
current.

Each fault is a small variation of the reference wallet, or of the reference Alipay+ server for
provider mode (`pas-*`), selected with `conformance run --fault NAME`: a variant of one step of
the protocol pipeline both share, or of its business. Most `pas-*` faults are the wallet fault of
the same name, its pipeline composed with the Alipay+ business: they break the same step of the
server as it does of the wallet.
`tests/test_fault_matrix.py` (the server roles) and `tests/test_prepare_faults.py` (the wallet as
client) certify every one and assert that it is caught by exactly the requirements listed (and by
nothing else except those under "also breaks"), that a fault caught by a MUST requirement is NOT
CERTIFIED (exit 1), and that a fault caught only by SHOULD requirements is CERTIFIED with a
warning (exit 0). The unmodified reference passes with no failure, no warning and no untested
requirement, and so does each correct variant at the end of this page: each differs from the
reference only where the documents leave the choice open.
"""


def _verdict(fault: Fault, cat: Catalogue) -> str:
    must = any(cat[r].level == "MUST" for r in fault.catches)
    return "NOT CERTIFIED" if must else "CERTIFIED, warning"


def _caught_by(fault: Fault, cat: Catalogue) -> str:
    return "<br>".join(f"`{r}` ({cat[r].level}, [{cat[r].label}])" for r in fault.catches)


def faults_markdown(
    faults: Mapping[str, Fault] | None = None,
    cat: Catalogue | None = None,
    correct: Mapping[str, CorrectVariant] | None = None,
) -> str:
    """The whole document, grouped by the family of each fault's first catching requirement,
    then the correct variants."""
    faults = all_faults() if faults is None else faults
    correct = CORRECT if correct is None else correct
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
    lines += [
        "## correct variants",
        "",
        "| variant | what it does differently | verdict |",
        "|---|---|---|",
        *(f"| `{v.name}` | {v.summary} | CERTIFIED, no warning |" for v in correct.values()),
        "",
    ]
    return "\n".join(lines)
