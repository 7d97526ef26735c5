"""`conformance requirements` and `conformance faults`: list what the suite checks and catches."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from itertools import groupby
from types import MappingProxyType

from conformance.commands.term import error
from conformance.contract.catalogue import LABELS, Catalogue, Requirement
from conformance.contract.trace import DOCUMENTS, Statement, probes, trace
from conformance.core.exitcodes import EXIT_OK, EXIT_USAGE

REGENERATE = "conformance requirements --format markdown > docs/requirements.md"
TRACE_RULE = (
    "Every sentence of `inquiryUserInfo.txt`, `prepareAuthInfo.txt` and `contract-notes.md` is "
    "an entry of `conformance/contract/catalogue/trace.toml`, cut by "
    "`conformance/contract/sentences.py`: each line "
    "of a page (a paragraph, bullet or table row of the notes) is cut after `.`, `!` or `?` when "
    "the next word starts with a capital, a quote, a bracket, a backtick or `*` (never after "
    '"e.g." or "i.e."); a table row is one sentence; a parameter\'s heading line '
    "(`pspId String REQUIRED`) opens its section and is its first sentence; one-word lines and "
    "code fences are layout. A sentence is a statement unless its entry says why it is "
    "`informative`; a statement names the requirements whose checks catch its violation "
    "(the suite tests are those of the requirement's role marked with its family, `-m "
    "family_<family>`), or says why it is `unobservable`, or is a `gap`: no requirement yet, and "
    "the probe that would catch it. `tests/test_trace.py` fails when a sentence has no entry, a "
    "quote no longer reads so, or an ID is not in the catalogue."
)
_MATRIX_HEAD = (
    "| sentence | statement | requirements | suite tests (or why none) |",
    "|---|---|---|---|",
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser(
        "requirements",
        help="list the requirement catalogue",
        description="List every requirement the suite checks, with its ID, level and basis.",
    )
    r.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help=f"text (default), markdown (docs/requirements.md: {REGENERATE}) or json",
    )
    r.add_argument("--api", help="only this API, e.g. inquiryUserInfo")
    r.add_argument("--family", help="only this requirement family, e.g. signature")
    f = sub.add_parser(
        "faults",
        help="list the faulty reference wallets and what catches them",
        description="List the faulty variants of the reference wallet (run --fault NAME) "
        "and the requirements that catch each.",
    )
    f.add_argument(
        "--markdown", action="store_true", help="print docs/faults.md: the table of faults"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(cat: Catalogue, statements: Sequence[Statement] | None = None) -> str:
    """docs/requirements.md: every requirement, grouped by API and family, generated from the
    catalogue, then the trace from the documents (all of it unless statements are given)."""
    reqs = sorted(cat, key=lambda r: (r.api, r.family, r.id))
    lines = [
        "# Requirements",
        "",
        f"Generated from the requirement catalogue by `{REGENERATE}`; do not edit by hand.",
        "",
        (
            "**MUST** fails certification, **SHOULD** is a warning; a profile may change a level "
            "in its"
        ),
        "`[requirements]` table. Basis: "
        + "; ".join(f"**{k}** {v}" for k, v in LABELS.items())
        + ".",
        (
            "Select a family's tests inside pytest with `-m family_<family>`, an API's with `-m "
            "<api>`."
        ),
        "",
        f"{len(reqs)} requirements.",
    ]
    for api, in_api in groupby(reqs, key=lambda r: r.api):
        lines += ["", f"## {api}"]
        for family, rows in groupby(in_api, key=lambda r: r.family):
            lines += [
                "",
                f"### {family}",
                "",
                "| ID | level | basis | requirement | rule (source) | why this level |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| `{r.id}` | {r.level} | {r.label} | {_cell(r.text)} | {_cell(r.rule)} "
                f"({_cell(r.source)}) | {_cell(r.level_basis) or '-'} |"
                for r in rows
            ]
    lines += _matrix(cat, trace() if statements is None else statements)
    return "\n".join(lines) + "\n"


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids) or "-"


def _row(s: Statement, cat: Catalogue) -> str:
    reqs = [r for r in s.requirements if r in cat]
    tests = dict.fromkeys(t for r in reqs for t in probes(r, cat[r].family))
    if s.unobservable:
        probed = f"unobservable: {s.unobservable}"
    elif s.gap:
        probed = f"gap: {s.gap}"
    else:
        probed = _ids(tests)
    return f"| {s.section} #{s.sentence} | {_cell(s.quote)} | {_ids(reqs)} | {_cell(probed)} |"


def _matrix(cat: Catalogue, statements: Sequence[Statement]) -> list[str]:
    """The traceability matrix: statement -> requirements -> suite tests, or why there are none."""
    normative = [s for s in statements if s.normative]
    told = [s for s in statements if s.informative]
    gaps = [s for s in normative if s.gap]
    lines = [
        "",
        "## Traceability",
        "",
        TRACE_RULE,
        "",
        (
            f"{len(normative)} statements: {len(normative) - len(gaps)} traced, of them "
            f"{sum(1 for s in normative if s.unobservable)} unobservable; {len(gaps)} gaps "
            f"(no requirement yet); {len(told)} sentences are not statements."
        ),
    ]
    for document in DOCUMENTS:
        rows = [s for s in normative if s.document == document]
        if rows:
            lines += ["", f"### {document}", "", *_MATRIX_HEAD]
            lines += [_row(s, cat) for s in rows]
    if gaps:
        lines += ["", "### Gaps", ""]
        lines += [f"- {s.anchor}: {_cell(s.gap)}" for s in gaps]
    named = {r for s in trace() for r in s.requirements}
    unnamed = [r.id for r in cat if r.id not in named]
    if unnamed:
        why = "declared by the profile [P], or not traced yet"
        lines += ["", f"Requirements no sentence names ({why}): {_ids(unnamed)}."]
    if told:
        lines += ["", "### Not statements", "", "| sentence | text | why |", "|---|---|---|"]
        lines += [f"| {s.anchor} | {_cell(s.quote)} | {_cell(s.informative)} |" for s in told]
    return lines


def _select(cat: Catalogue, api: str | None, family: str | None) -> list[Requirement]:
    rows: Iterable[Requirement] = cat
    return [
        r for r in rows if (api is None or r.api == api) and (family is None or r.family == family)
    ]


def requirements(args: argparse.Namespace) -> int:
    from conformance.contract.catalogue import catalogue

    cat = catalogue()
    rows = _select(cat, getattr(args, "api", None), getattr(args, "family", None))
    if not rows:
        error(
            f"no requirement matches --api {args.api} --family {args.family}; "
            "see `conformance requirements` for the names"
        )
        return EXIT_USAGE
    fmt = getattr(args, "format", "text")
    if fmt == "markdown":
        ids = {r.id for r in rows}
        whole = len(rows) == len(cat.requirements)
        shown = trace() if whole else [s for s in trace() if ids & set(s.requirements)]
        print(markdown(_subset(rows), shown), end="")
    elif fmt == "json":
        print(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r.id:32} {r.level:6} [{r.label}] {r.text}")
            if r.level_basis:
                print(f"{'':32} basis: {r.level_basis}")
    return EXIT_OK


def _subset(rows: list[Requirement]) -> Catalogue:
    return Catalogue(MappingProxyType({r.id: r for r in rows}))


def faults(args: argparse.Namespace) -> int:
    from conformance.reference.faults import all_faults

    if getattr(args, "markdown", False):
        from conformance.reference.faultdoc import faults_markdown

        print(faults_markdown(), end="")
        return EXIT_OK
    for f in all_faults().values():
        print(f"{f.name:32} caught by {', '.join(f.catches)}: {f.summary}")
    return EXIT_OK
