"""The `conformance` command: a function over argv, tested without a subprocess."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO, cast

from conformance import __version__
from conformance.commands import (
    diff,
    doctor,
    export_openapi,
    init,
    listen,
    observe,
    package,
    reference_wallet,
    render,
    replay,
    run,
    verify_report,
)
from conformance.commands import listing as catalogue
from conformance.core.exitcodes import EXIT_USAGE, HELP
from conformance.core.sinks import Unbroken

# name -> (module that adds the parser, function that runs it)
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run.run,
    "doctor": doctor.run,
    "reference-wallet": reference_wallet.run,
    "requirements": catalogue.requirements,
    "faults": catalogue.faults,
    "verify-report": verify_report.run,
    "diff": diff.run,
    "package": package.run,
    "init": init.run,
    "export-openapi": export_openapi.run,
    "render": render.run,
    "listen": listen.run,
    "replay": replay.run,
    "observe": observe.run,
}
PARSERS = (
    init.add_parser,
    run.add_parser,
    doctor.add_parser,
    reference_wallet.add_parser,
    catalogue.add_parser,
    verify_report.add_parser,
    diff.add_parser,
    package.add_parser,
    export_openapi.add_parser,
    render.add_parser,
    listen.add_parser,
    replay.add_parser,
    observe.add_parser,
)
EPILOG = (
    HELP
    + """

environment:
  NO_COLOR     set to anything to turn colour off (it is on only on a terminal)
  any profile value may be written { env = "NAME" } to read it from the variable NAME;
  use it for every secret: access tokens, the suite's private key (PEM text or bare base64)"""
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="conformance",
        description="Alipay+ wallet (MPP) conformance suite",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"mpp-conformance {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for add in PARSERS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; --help, --version and usage errors return their exit code too."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 0 after --help/--version, 2 on a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return COMMANDS[args.command](args)


def entry() -> None:
    """Console-script entry: a closed standard output (| head) is quiet, and changes neither the
    run nor its exit code."""
    # SIGPIPE stays ignored (Python's default): a wallet closing its socket must raise, not kill the
    # run.
    sys.stdout = cast(TextIO, Unbroken(sys.stdout))
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
