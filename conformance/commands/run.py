"""`conformance run`: certify a wallet and write the report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import cast

from conformance.commands.term import GREEN, RED, YELLOW, colour_enabled, error, paint
from conformance.contract.catalogue import catalogue
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
from conformance.core.outputs import unwritable
from conformance.core.sinks import TerminalStream, for_terminal
from conformance.profile import Profile
from conformance.pytest import flags
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
    flags.add_to_run(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's own output: every suite test"
    )


# The files a run writes beside its report unless told where.
BESIDE = {"results": "results.json", "junit": "junit.xml", "transcript": "transcript.jsonl"}


def outputs(args: argparse.Namespace) -> dict[str, Path]:
    """Every file the run writes, by the option that places it."""
    report = args.report.resolve()
    placed = {"--report": report}
    for name, default in BESIDE.items():
        given = getattr(args, name, None)
        placed[f"--{name}"] = given.resolve() if given else report.with_name(default)
    return placed


def pytest_args(args: argparse.Namespace) -> list[str]:
    report = args.report.resolve()
    out = [
        str(SUITE),
        "-c",
        str(SUITE / "pytest.ini"),
        "--rootdir",
        str(SUITE),
        f"--html={report}",
        "--self-contained-html",
        "-p",
        "no:cacheprovider",
        # Its end-of-run garbage collection costs a quarter of a second and only ever warns.
        "-p",
        "no:unraisableexception",
        # Only the plugins a certification needs: another one installed beside the tool (one that
        # reorders tests, say) must not change a run, and loading them all costs start-up time.
        "--disable-plugin-autoload",
        *("-p", "metadata", "-p", "html", "-p", "conformance.plugin"),
    ]
    placed = outputs(args)
    for flag in flags.FLAGS:  # each option of the table passed on as the plugin spells it
        value = getattr(args, flag.dest, None) if flag.run and flag.plugin else None
        out += flag.argv(placed[f"--{flag.name}"] if flag.name in BESIDE else value)
    if not args.profile:
        out += ["--conformance-reference", args.fault or "reference"]
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
        # Read once: the plugin takes it as read here (options.Given), and so does the console;
        # named by the path the plugin is given, and in errors by the path the user wrote.
        profile = (
            replace(load(args.profile, catalogue()), source=str(args.profile.resolve()))
            if args.profile
            else None
        )
        if args.waivers:
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
    wrong = flags.check(vars(args))
    if wrong is None and args.only:
        from conformance.pytest.selection import no_test, unknown_tests

        typos = unknown_tests(tuple(args.only))
        wrong = no_test(typos[0]) if typos else None
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    if args.ca_bundle is not None:
        from conformance.profile.tls import Tls

        try:
            Tls(ca_bundle=args.ca_bundle).context()
        except ConfigError as exc:
            error(str(exc))
            return EXIT_USAGE
    argv = pytest_args(args)
    placed = outputs(args)
    results_path = placed["--results"]
    wrong = unwritable(placed)
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    for stale in (results_path, results_path.with_name(results_path.name + ".sig")):
        stale.unlink(missing_ok=True)
    from conformance.pytest.console import Progress, make_console, show
    from conformance.pytest.options import Given

    console = None if args.quiet or args.verbose else make_console()
    plugins: list[object] = [Given(profile)]
    if console is not None:
        plugins.append(Progress(console, levels(profile)))
    if args.verbose:  # pytest's own report shows the target's answers: through the sink
        stdout = sys.stdout
        sys.stdout = TerminalStream(stdout, colour_enabled(stdout))
        try:
            code = pytest.main(argv, plugins=plugins)
        finally:
            sys.stdout = stdout
    else:
        code = pytest.main(argv, plugins=plugins)
    if code == pytest.ExitCode.USAGE_ERROR:  # a choice found wrong once collected; pytest said it
        return EXIT_USAGE
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
    from conformance.results.document import CERTIFIED, INCONCLUSIVE, PARTIAL
    from conformance.results.fold import unreachable

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


def levels(profile: Profile | None) -> Mapping[str, str]:
    """Requirement -> level, as the profile sets them."""
    cat = catalogue()
    if profile is not None:
        cat = cat.with_levels(profile.levels)
    return {r.id: r.level for r in cat}
