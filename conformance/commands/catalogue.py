"""`conformance requirements` and `conformance faults`: list what the suite checks and catches."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("requirements", help="list the requirement catalogue")
    sub.add_parser("faults", help="list the faulty reference wallets and what catches them")


def requirements(args: argparse.Namespace) -> int:
    from ..catalogue import catalogue

    for r in catalogue():
        print(f"{r.id:32} {r.level:6} [{r.label}] {r.text}")
    return 0


def faults(args: argparse.Namespace) -> int:
    from ..reference.faults import FAULTS

    for f in FAULTS.values():
        print(f"{f.name:32} caught by {', '.join(f.catches)}: {f.summary}")
    return 0
