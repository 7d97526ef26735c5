"""`conformance package`: one signed archive of a CERTIFIED run, refused for any other run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.commands.term import error, out_and_sign_key
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from conformance.core.outputs import unwritable
from conformance.core.sinks import for_terminal


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "package",
        help="archive a CERTIFIED run's report, results, JUnit and transcript",
        description="Write one zip with report.html, results.json, junit.xml, transcript.jsonl "
        "and a manifest of their SHA-256 digests, signed with --sign-key when given. "
        "Refused (exit 1) unless the run is CERTIFIED (not NOT CERTIFIED, PARTIAL or INCONCLUSIVE) "
        "and its files verify.",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=Path("reports/report.html"),
        help="the run's HTML report; its results, JUnit and transcript are read beside it",
    )
    out_and_sign_key(
        p,
        out="archive path (default: certification.zip beside the report)",
        sign="the certifier's RSA private key (PEM): sign the manifest, and the results in the "
        "report unless the run's --sign-key did",
    )


def refuse(why: str, reasons: list[str], shown: int = 5) -> None:
    """The refusal and its first reasons, on one line of stderr."""
    more = f"; and {len(reasons) - shown} more" if len(reasons) > shown else ""
    detail = f" ({'; '.join(reasons[:shown])}{more})" if reasons else ""
    print(for_terminal(f"conformance: package refused: {why}{detail}"), file=sys.stderr)


def _read(report: Path) -> dict[str, bytes]:
    """The report and the files `conformance run` wrote beside it."""
    from conformance.report.archive import CONTENT, LIMITS, REPORT

    files = {}
    for name in CONTENT:
        path = report if name == REPORT else report.with_name(name)
        files[name] = untrusted.read(
            path,
            limit=LIMITS[name],
            what=str(path),
            fix="package the folder `conformance run` wrote its report to",
        )
    return files


def run(args: argparse.Namespace) -> int:
    from conformance.report import archive, junit
    from conformance.report.integrity import IntegrityCheck, check_html, check_transcript
    from conformance.report.signature import load_private
    from conformance.results.document import CERTIFIED
    from conformance.results.fold import digest, verdict_of

    report: Path = args.report
    sig = report.with_name(archive.RESULTS + ".sig")
    try:
        key = load_private(args.sign_key) if args.sign_key else None
        files = _read(report)
        sig_file = (
            untrusted.read(sig, limit=untrusted.SIGNATURE_BYTES, what=str(sig))
            if sig.exists() or sig.is_symlink()
            else None
        )
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    out: Path = args.out or report.with_name("certification.zip")
    wrong = unwritable({"--out": out})
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    checks, results = check_html(
        files[archive.REPORT].decode("utf-8", "replace"), files[archive.RESULTS], sig_file=sig_file
    )
    if results is not None:
        checks += check_transcript(results, files[archive.TRANSCRIPT])
        checks.append(
            IntegrityCheck(
                junit.render(results) == files[archive.JUNIT],
                "junit.xml is rendered from the results",
            )
        )
    bad = [c.text for c in checks if not c.ok]
    if bad or results is None:
        refuse("the report does not verify", bad)
        return EXIT_NOT_CERTIFIED
    # From the rows, the errors, the selection and the run's disturbances: a PARTIAL or an
    # INCONCLUSIVE run is refused too.
    outcome, reasons = verdict_of(results)
    if outcome != CERTIFIED:
        refuse(f"the run is {outcome}", reasons)
        return EXIT_NOT_CERTIFIED
    if key is not None:
        try:
            files[archive.REPORT] = archive.signed_report(files, results, key)
        except ValueError as exc:
            refuse(str(exc), [])
            return EXIT_NOT_CERTIFIED
    data = archive.build(files, results, key)
    out.write_bytes(data)
    signed = "signed" if key is not None else "unsigned (no --sign-key)"
    print(f"certification package {out}: {digest(data)}, {signed}")
    return EXIT_CERTIFIED
