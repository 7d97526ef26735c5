"""`conformance run`: certify a wallet and write the report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from conformance.commands.term import GREEN, RED, YELLOW, colour_enabled, error, paint
from conformance.core.exitcodes import (
    EXIT_CERTIFIED,
    EXIT_INCONCLUSIVE,
    EXIT_NOT_CERTIFIED,
    EXIT_PARTIAL,
    EXIT_PREFLIGHT,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    HELP,
)
from conformance.core.sinks import TerminalStream, for_terminal
from conformance.generation.spaces import DEFAULT_EXAMPLES, EXAMPLES_HELP
from conformance.pytest.console import Progress, make_console, show
from conformance.results.document import Results

SUITE = Path(__file__).resolve().parent.parent / "suite"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="certify a wallet (the embedded reference wallet without --profile)",
        description="Certify the wallet a profile describes; exit 0 only when certified.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profile", type=Path, help="target profile (TOML); default: the embedded reference wallet"
    )
    p.add_argument(
        "--fault",
        help="with no profile: certify this faulty (or correct) variant of the reference wallet",
    )
    p.add_argument(
        "--report", type=Path, default=Path("reports/report.html"), help="HTML report path"
    )
    p.add_argument("--results", type=Path, help="results JSON path (default: beside the report)")
    p.add_argument("--junit", type=Path, help="JUnit XML path (default: beside the report)")
    p.add_argument(
        "--transcript",
        type=Path,
        help="transcript path, every exchange as JSON lines (default: beside the report)",
    )
    p.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES, help=EXAMPLES_HELP)
    p.add_argument(
        "--seed", type=int, help="seed for a reproducible random run (default: derandomized)"
    )
    p.add_argument(
        "--only", action="append", default=[], metavar="TEST", help="run only this suite test"
    )
    p.add_argument(
        "--rate",
        type=float,
        help="requests per second, 0 for unlimited (default: the profile's "
        "[limits] rate, else 20; unlimited for the embedded reference wallet)",
    )
    p.add_argument(
        "--workers", type=int, help="requests in flight at once (default: [limits] workers, else 8)"
    )
    p.add_argument(
        "--max-requests", type=int, help="request budget; tests left when it is spent are not run"
    )
    p.add_argument(
        "--disturbance-budget",
        type=float,
        metavar="SHARE",
        help="share of the requests the network may disturb (reset, timeout, a 502/503/504 page) "
        "before the run is INCONCLUSIVE, exit 5 (default: [limits] disturbance_budget, or 0.05)",
    )
    p.add_argument(
        "--ca-bundle",
        type=Path,
        help="PEM file of the CAs to trust for an https target (private CA)",
    )
    p.add_argument(
        "--waivers",
        type=Path,
        help="waiver file (TOML) of accepted deviations; a waived MUST "
        "makes the run non-certifying (docs/report.md)",
    )
    p.add_argument(
        "--sign-key",
        type=Path,
        help="the certifier's RSA private key (PEM): sign results.json (results.json.sig) and "
        "embed the signature in the report",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's own output: every suite test"
    )


def pytest_args(args: argparse.Namespace) -> list[str]:
    report = args.report.resolve()
    results = (args.results or report.with_name("results.json")).resolve()
    junit = (args.junit or report.with_name("junit.xml")).resolve()
    transcript = (
        getattr(args, "transcript", None) or report.with_name("transcript.jsonl")
    ).resolve()
    out = [
        str(SUITE),
        "-c",
        str(SUITE / "pytest.ini"),
        "--rootdir",
        str(SUITE),
        f"--html={report}",
        "--self-contained-html",
        "--conformance-results",
        str(results),
        "--conformance-junit",
        str(junit),
        "--conformance-transcript",
        str(transcript),
        "--conformance-examples",
        str(args.examples),
        "-p",
        "no:cacheprovider",
        # Its end-of-run garbage collection costs a quarter of a second and only ever warns.
        "-p",
        "no:unraisableexception",
        # Only the plugins a certification needs: another one installed beside the tool (one that
        # reorders tests, say) must not change a run, and loading them all costs start-up time.
        "--disable-plugin-autoload",
        *("-p", "metadata", "-p", "html", "-p", "conformance"),
    ]
    if args.profile:
        out += ["--conformance-profile", str(args.profile.resolve())]
    else:
        out += ["--conformance-reference", args.fault or "reference"]
    if args.seed is not None:
        out += ["--conformance-seed", str(args.seed)]
    for opt, value in (
        ("rate", args.rate),
        ("workers", args.workers),
        ("max-requests", args.max_requests),
        ("disturbance-budget", getattr(args, "disturbance_budget", None)),
        ("ca-bundle", args.ca_bundle and args.ca_bundle.resolve()),
    ):
        if value is not None:
            out += [f"--conformance-{opt}", str(value)]
    if args.waivers:
        out += ["--conformance-waivers", str(args.waivers.resolve())]
    if args.sign_key:
        out += ["--conformance-sign-key", str(args.sign_key.resolve())]
    for name in args.only:
        out += ["--conformance-only", name]
    out += getattr(args, "pytest_extra", [])  # options of commands built on run (listen)
    # pytest's own output only with -v; otherwise no terminal reporter at all: the console
    # (pytest/console.py) shows progress and the requirements, or -q only the verdict line.
    if args.verbose:
        return out + ["-v", "--color=" + ("yes" if colour_enabled() else "no")]
    return out + ["-p", "no:terminal", "-p", "no:warnings", "--capture=sys"]


def run(args: argparse.Namespace) -> int:
    import pytest

    from conformance.core.errors import ConfigError
    from conformance.profile import load

    try:
        if args.profile:
            load(args.profile)
        if args.waivers:
            from conformance.contract.catalogue import catalogue
            from conformance.results.waivers import load as load_waivers

            load_waivers(args.waivers, catalogue())
        from conformance.report.signature import load_private

        if args.sign_key:
            load_private(args.sign_key)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    if not args.profile and args.fault:
        from conformance.reference.faults import variants

        FAULTS = variants()
        if args.fault not in FAULTS and args.fault != "reference":
            error(f"--fault {args.fault} is unknown; choose from {', '.join(sorted(FAULTS))}")
            return EXIT_USAGE
    for flag, value, low, high in (
        ("--rate", args.rate, 0, None),
        ("--workers", args.workers, 1, None),
        ("--max-requests", args.max_requests, 0, None),
        ("--disturbance-budget", args.disturbance_budget, 0, 1),
    ):
        if value is not None and high is not None and value > high:
            print(
                f"conformance: error: {flag} {value:g} is above {high}; pass a number from {low} "
                f"to {high}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if value is not None and value < low:
            print(
                f"conformance: error: {flag} {value:g} is below {low}; pass a number of at least "
                f"{low}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    if args.ca_bundle is not None:
        from conformance.profile.tls import Tls

        try:
            Tls(ca_bundle=args.ca_bundle).context()
        except ConfigError as exc:
            error(str(exc))
            return EXIT_USAGE
    argv = pytest_args(args)
    results_path = Path(argv[argv.index("--conformance-results") + 1])
    results_path.unlink(missing_ok=True)
    results_path.with_name(results_path.name + ".sig").unlink(missing_ok=True)
    console = None if args.quiet or args.verbose else make_console()
    plugins = [] if console is None else [Progress(console, levels(args))]
    if args.verbose:  # pytest's own report shows the target's answers: through the sink
        stdout = sys.stdout
        sys.stdout = TerminalStream(stdout, colour_enabled(stdout))
        try:
            code = pytest.main(argv, plugins=plugins)
        finally:
            sys.stdout = stdout
    else:
        code = pytest.main(argv, plugins=plugins)
    if not results_path.exists():
        print(
            f"conformance: error: the run did not complete (pytest exit {int(code)}); "
            "run again with -v to see pytest's report",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # Written by this run's plugin from the typed document.
    results = cast(Results, json.loads(results_path.read_text(encoding="utf-8")))
    if console is not None:
        show(console, results)
    colour = {"CERTIFIED": GREEN, "INCONCLUSIVE": YELLOW, "PARTIAL": YELLOW}.get(
        results["verdict"], RED
    )
    verdict = paint(results["verdict"], colour)
    where = for_terminal(f"report {args.report}, results {results_path}")
    print(f"{verdict}: {where}", flush=True)
    return exit_code(results)


def exit_code(results: Results) -> int:
    """The documented exit code of a run's results (conformance/core/exitcodes.py)."""
    from conformance.results.fold import CERTIFIED, INCONCLUSIVE, PARTIAL, unreachable

    if results["verdict"] == CERTIFIED:
        return EXIT_CERTIFIED
    if results["verdict"] == PARTIAL:
        return EXIT_PARTIAL
    if results["verdict"] == INCONCLUSIVE:
        return EXIT_INCONCLUSIVE
    if unreachable(results):
        return EXIT_UNREACHABLE
    passed = results["preflight"]["passed"] if "preflight" in results else True
    return EXIT_NOT_CERTIFIED if passed else EXIT_PREFLIGHT


def levels(args: argparse.Namespace) -> Mapping[str, str]:
    """Requirement -> level, as the profile sets them."""
    from conformance.contract.catalogue import catalogue
    from conformance.profile import load

    cat = catalogue()
    if args.profile:
        cat = cat.with_levels(load(args.profile, cat).levels)
    return {r.id: r.level for r in cat}
