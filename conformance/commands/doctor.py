"""`conformance doctor`: only the preflight, one valid request per role, each diagnosed."""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.commands.term import GREEN, RED, error, paint
from conformance.core.exitcodes import EXIT_OK, EXIT_PREFLIGHT, EXIT_UNREACHABLE, EXIT_USAGE, HELP
from conformance.core.sinks import for_terminal


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "doctor",
        help="check the set-up in seconds: one valid request per role of the profile",
        description="Send one valid, signed request to each role the profile configures (the "
        "wallet, the Alipay+ server; the gateway's port and the wallet's trigger) and name "
        "any wrong setting with its fix. Exit 0 when all is set up right.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", type=Path, help="target profile (TOML)")
    p.add_argument(
        "--fault", help="with no profile: the embedded reference wallet's faulty variant"
    )
    p.add_argument(
        "--ca-bundle", type=Path, help="PEM file of the CAs to trust for an https target"
    )


def run(args: argparse.Namespace) -> int:
    from conformance import preflight
    from conformance.contract.catalogue import catalogue
    from conformance.core.errors import ConfigError
    from conformance.core.redact import Redactor
    from conformance.profile import load
    from conformance.reference.data import reference_profile
    from conformance.reference.faults import all_faults

    try:
        if args.profile:
            profile, reference = load(args.profile, catalogue()), None
        elif args.fault and args.fault not in all_faults():
            raise ConfigError(
                f"--fault {args.fault}", "is unknown", f"choose from {', '.join(all_faults())}"
            )
        else:
            profile, reference = reference_profile(), args.fault or "reference"
        if args.ca_bundle is not None:
            from dataclasses import replace

            profile = replace(profile, tls=profile.tls.with_ca_bundle(args.ca_bundle.resolve()))
            profile.tls.context()
        roles = preflight.configured(profile)
        if not roles:
            raise ConfigError(
                "--profile", "sets up no role to check", 'add [[tokens]] with state = "valid"'
            )
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    found = preflight.run(profile, roles, reference)
    redact = Redactor.for_profile(profile)
    for f in found.findings:
        mark = paint("ok     ", GREEN) if f.ok else paint("WRONG  ", RED)
        print(mark + for_terminal(redact(f"{f.role} at {f.where}: {f.problem or f.found}")))
        if not f.ok:
            print(for_terminal(redact(f"       fix: {f.fix}")))
    if found.ok:
        return EXIT_OK
    return EXIT_UNREACHABLE if not found.answered else EXIT_PREFLIGHT
