"""`conformance requirements` and `conformance faults`: list what the suite checks and catches."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import asdict
from itertools import groupby
from types import MappingProxyType

from ..catalogue import LABELS, Catalogue, Requirement
from ..exitcodes import EXIT_OK, EXIT_USAGE
from .term import error

REGENERATE = "conformance requirements --format markdown > docs/requirements.md"


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


def markdown(cat: Catalogue) -> str:
    """docs/requirements.md: every requirement, grouped by API and family, generated from the
    catalogue."""
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
    return "\n".join(lines) + "\n"


def _select(cat: Catalogue, api: str | None, family: str | None) -> list[Requirement]:
    rows: Iterable[Requirement] = cat
    return [
        r for r in rows if (api is None or r.api == api) and (family is None or r.family == family)
    ]


def requirements(args: argparse.Namespace) -> int:
    from ..catalogue import catalogue

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
        print(markdown(_subset(rows)), end="")
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
    from ..reference.faults import all_faults

    if getattr(args, "markdown", False):
        from ..reference.faultdoc import faults_markdown

        print(faults_markdown(), end="")
        return EXIT_OK
    for f in all_faults().values():
        print(f"{f.name:32} caught by {', '.join(f.catches)}: {f.summary}")
    return EXIT_OK
