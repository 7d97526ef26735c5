"""`conformance verify-report`: recompute a report's digests and check its signatures."""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

from conformance.commands.term import error
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from conformance.core.sinks import for_terminal
from conformance.report.integrity import IntegrityCheck

EPILOG = """\
what it shows:
  without --public-key  the report agrees with the results it embeds (and the files beside it);
                        that says nothing of who made it: an unsigned report ends "consistent,
                        not authenticated", a signed one names its key but is not checked
  with --public-key     also that the holder of that key signed exactly these results; a report
                        that is unsigned, signed by another key or over other results fails
  the key's fingerprint must come from the certifier directly, never from the report

exit codes:
  0  consistent (and, with --public-key, signed by that key)
  1  a check failed (each FAIL line says which)
  2  unusable input: a file that cannot be read, or a key that is not an RSA public key
"""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify-report",
        help="check a report, a results JSON or a certification package, and who signed it",
        # Wrapped by hand: the raw formatter keeps the epilog's table as written.
        description="Recompute the SHA-256 a report states for its results, check the results\n"
        "against their schema and verdict, and the signature the report embeds (a results\n"
        "JSON: the .sig beside it; a package: its manifest's and its report's). With\n"
        "--public-key, fail unless that key signed exactly these results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "path",
        type=Path,
        help="report.html, results.json, or a package made by `conformance package`",
    )
    p.add_argument(
        "--results",
        type=Path,
        help="with a report: its results JSON (default: results.json beside it, if there)",
    )
    p.add_argument(
        "--public-key",
        type=Path,
        help="the certifier's public key (PEM): fail unless its signature verifies",
    )


def _beside(path: Path, limit: int) -> bytes | None:
    """A file of the run beside the one verified, if there (a link to a device is refused)."""
    if not path.exists() and not path.is_symlink():
        return None
    return untrusted.read(path, limit=limit, what=str(path), fix="give the files a run wrote")


def _results_of(report: Path) -> Path:
    """The results a report's run wrote beside it: results.json of a certification run, or the
    report's own name in .json of an observation (observation.html, observation.json)."""
    run, observation = report.with_name("results.json"), report.with_suffix(".json")
    return observation if observation.exists() and not run.exists() else run


def _checks(args: argparse.Namespace) -> list[IntegrityCheck]:
    from conformance.report import archive
    from conformance.report.integrity import (
        check_html,
        check_results,
        check_signature,
        check_transcript,
    )
    from conformance.report.signature import load_public

    key = load_public(args.public_key) if args.public_key else None
    path: Path = args.path
    json_file = path.suffix == ".json"
    fix = "give the path of a report, a results.json or a package"
    limit = untrusted.RESULTS_BYTES if json_file else untrusted.PACKAGE_BYTES
    data = untrusted.read(path, limit=limit, what=str(path), fix=fix)
    if zipfile.is_zipfile(io.BytesIO(data)):
        return archive.verify(data, key, str(path))
    if len(data) > untrusted.REPORT_BYTES:
        raise ConfigError(
            str(path), f"is larger than any report ({untrusted.REPORT_BYTES >> 20} MiB)", fix
        )
    sig = untrusted.SIGNATURE_BYTES
    if json_file:
        checks, _ = check_results(data, path.name)
        return checks + check_signature(
            data, _beside(path.with_name(path.name + ".sig"), sig), path.name, key
        )
    results_path = args.results or _results_of(path)
    results_file = _beside(results_path, untrusted.RESULTS_BYTES)
    checks, results = check_html(
        data.decode("utf-8", "replace"),
        results_file,
        path.name,
        key,
        _beside(results_path.with_name(results_path.name + ".sig"), sig) if results_file else None,
    )
    if results_file is None:
        checks.append(
            IntegrityCheck(
                True,
                f"{results_path} not found: checked the results embedded in the report",
                skipped=True,
            )
        )
    if results is not None and (meta := results.get("transcript")):
        if Path(meta["file"]).is_absolute():
            # A run names its transcript relative to its results; only a forged document does not.
            raise ConfigError(
                f"{path.name} (embedded results)",
                f"names transcript {meta['file'][:80]!r} by an absolute path",
                "give the report a run wrote",
            )
        transcript = _beside(results_path.parent / meta["file"], untrusted.TRANSCRIPT_BYTES)
        # A report on its own leaves its run's files behind; in the run's folder, one missing
        # is a failure.
        if transcript is None and results_file is None:
            checks.append(
                IntegrityCheck(
                    True, f"transcript {meta['file']} not found: not checked", skipped=True
                )
            )
        else:
            checks += check_transcript(results, transcript)
    return checks


def run(args: argparse.Namespace) -> int:
    from conformance.report.integrity import conclusion

    try:
        checks = _checks(args)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    for c in checks:
        print(f"{'skip' if c.skipped else 'ok  ' if c.ok else 'FAIL'} {for_terminal(c.text)}")
    print(for_terminal(f"{args.path}: {conclusion(checks)}"))
    return EXIT_CERTIFIED if all(c.ok for c in checks) else EXIT_NOT_CERTIFIED
