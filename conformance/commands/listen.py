"""`conformance listen`: serve the prepareAuthInfo gateway passively, judge what arrives, report
like run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.core.exitcodes import EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "listen",
        help="serve the prepareAuthInfo gateway for a while and judge what the wallet sends",
        description="Serve the profile's [gateway] for --duration seconds (scan QR codes "
        "meanwhile), "
        "judge every request that arrives and write the report.",
    )
    p.add_argument(
        "--profile", type=Path, required=True, help="target profile (TOML) with a [gateway] section"
    )
    p.add_argument("--duration", type=float, default=120.0, help="seconds to listen (default 120)")
    p.add_argument(
        "--scenario",
        default="success",
        help="how the gateway replies, e.g. f-PROCESS_FAIL or u-UNKNOWN_EXCEPTION (default "
        "success)",
    )
    p.add_argument(
        "--report", type=Path, default=Path("reports/report.html"), help="HTML report path"
    )
    p.add_argument("--results", type=Path, help="results JSON path (default: beside the report)")
    p.add_argument("--junit", type=Path, help="JUnit XML path (default: beside the report)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")


def _refuse(message: str) -> int:
    print(f"conformance: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from conformance.commands import run as run_command
    from conformance.core.errors import ConfigError
    from conformance.core.outputs import unwritable
    from conformance.gateway.scenarios import SCENARIOS
    from conformance.profile import load

    if args.scenario not in SCENARIOS:
        return _refuse(f"--scenario {args.scenario} is unknown; choose from {', '.join(SCENARIOS)}")
    if not 0 < args.duration <= 86400:
        return _refuse("--duration must be a number of seconds in (0, 86400]")
    try:
        profile = load(args.profile)
    except ConfigError as exc:
        return _refuse(str(exc))
    if profile.gateway is None:
        return _refuse(
            f"{args.profile}: [gateway] is missing; add [gateway] with host, port and path"
        )
    # Every other option of `run` keeps its default, whatever options `run` gains.
    parser = argparse.ArgumentParser(prog="conformance")
    run_command.add_parser(parser.add_subparsers(dest="command"))
    argv = ["run", "--profile", str(args.profile), "--report", str(args.report), "--examples", "1"]
    for flag, value in (("--results", args.results), ("--junit", args.junit)):
        argv += [flag, str(value)] if value else []
    forwarded = parser.parse_args(argv + (["-q"] if args.quiet else []))
    forwarded.pytest_extra = [
        "--conformance-listen",
        str(args.duration),
        "--conformance-scenario",
        args.scenario,
    ]
    wrong = unwritable(run_command.outputs(forwarded))
    if wrong is not None:
        return _refuse(wrong)
    if not args.quiet:
        gw = profile.gateway
        print(
            f"listening for prepareAuthInfo on http://{gw.host}:{gw.port}{gw.path} for "
            f"{args.duration:g} s, "
            f"replying {args.scenario}",
            flush=True,
        )
    return run_command.run(forwarded)
