"""`conformance verify-report`: recompute a report's digests and check its signatures."""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from ..errors import ConfigError
from ..exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from ..report.integrity import Verification


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify-report",
        help="check a report, a results JSON or a certification package",
        description="Recompute the SHA-256 a report states for its results, check the results "
        "against their schema and verdict, and verify signatures; exit 0 when all hold.",
    )
    p.add_argument(
        "path",
        type=Path,
        help="report.html, results.json, or a package made by `conformance package`",
    )
    p.add_argument(
        "--results",
        type=Path,
        help="with a report: its results JSON (default: results.json beside it)",
    )
    p.add_argument(
        "--public-key",
        type=Path,
        help="the certifier's public key (PEM): verify the signature with it",
    )


def _checks(args: argparse.Namespace) -> list[Verification]:
    from ..report import archive
    from ..report.integrity import (
        check_html,
        check_results,
        check_signature,
        check_transcript,
        load_public,
    )

    key = load_public(args.public_key) if args.public_key else None
    path: Path = args.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            str(path), f"cannot be read ({exc.strerror})", "give the path of a report"
        )
    if zipfile.is_zipfile(path):
        return archive.verify(data, key)
    sig = path.with_name(path.name + ".sig")
    if path.suffix == ".json":
        checks, _ = check_results(data, path.name)
        return checks + check_signature(
            data, sig.read_bytes() if sig.exists() else None, path.name, key
        )
    results_path = args.results or path.with_name("results.json")
    results_file = results_path.read_bytes() if results_path.exists() else None
    checks, results = check_html(data.decode("utf-8", "replace"), results_file, path.name)
    if results_file is None:
        checks.append(
            Verification(
                True,
                f"{results_path} not found: checked the results embedded in the report",
                skipped=True,
            )
        )
    else:
        rsig = results_path.with_name(results_path.name + ".sig")
        checks += check_signature(
            results_file, rsig.read_bytes() if rsig.exists() else None, results_path.name, key
        )
    if results is not None and (meta := results.get("transcript")):
        transcript = results_path.parent / meta["file"]
        checks += check_transcript(
            results, transcript.read_bytes() if transcript.exists() else None
        )
    return checks


def run(args: argparse.Namespace) -> int:
    try:
        checks = _checks(args)
    except ConfigError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for c in checks:
        print(f"{'skip' if c.skipped else 'ok  ' if c.ok else 'FAIL'} {c.text}")
    bad = [c for c in checks if not c.ok]
    print(
        f"{args.path}: "
        + (f"NOT VERIFIED ({len(bad)} problem{'s' * (len(bad) != 1)})" if bad else "verified")
    )
    return EXIT_NOT_CERTIFIED if bad else EXIT_CERTIFIED
