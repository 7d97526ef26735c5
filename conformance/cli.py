"""The `conformance` command: a function over argv, tested without a subprocess."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .commands import catalogue, diff, package, reference_wallet, run, verify_report

# name -> (module that adds the parser, function that runs it)
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run.run,
    "reference-wallet": reference_wallet.run,
    "requirements": catalogue.requirements,
    "faults": catalogue.faults,
    "verify-report": verify_report.run,
    "diff": diff.run,
    "package": package.run,
}
PARSERS = (run.add_parser, reference_wallet.add_parser, catalogue.add_parser, verify_report.add_parser,
           diff.add_parser, package.add_parser)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="conformance", description="Alipay+ wallet (MPP) conformance suite")
    p.add_argument("--version", action="version", version=f"mpp-conformance {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for add in PARSERS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return COMMANDS[args.command](args)


def entry() -> None:
    """Console-script entry: a closed pipe (| head) ends quietly."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
