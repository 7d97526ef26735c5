"""`conformance render`: the certification report of a results JSON alone, as one standalone HTML
page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.commands.term import error, out_and_sign_key
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from conformance.core.outputs import unwritable

if TYPE_CHECKING:
    from conformance.report.signature import Signature
    from conformance.signing import PrivateKey


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "render",
        help="render the certification report of a results JSON as one HTML page",
        description="Render the same certification sections `conformance run` puts in its report, "
        "from a results.json alone (e.g. one received from a partner). The report carries the "
        "signature of results.json.sig beside it, or of --sign-key.",
    )
    p.add_argument("results", type=Path, help="results.json written by `conformance run`")
    out_and_sign_key(
        p,
        out="HTML path (default: certification.html beside the results)",
        sign="the certifier's RSA private key (PEM): sign the results (writing results.json.sig "
        "beside them) and embed the signature in the report",
    )


def _beside(results: Path) -> Path:
    return results.with_name(results.name + ".sig")


def _signature(
    results: Path, data: bytes, key: PrivateKey | None, raw: bytes | None
) -> Signature | None:
    """The signature the report carries: made with the key, or the .sig beside (raw)."""
    from conformance.report.signature import parse, sign

    beside = _beside(results)
    if key is not None:
        signature = sign(data, key)
        beside.write_bytes(signature.document())
        return signature
    if raw is None:
        return None
    try:
        signature = parse(raw)
    except ValueError as exc:
        raise ConfigError(str(beside), f"is not a signature ({exc})", "remove it or sign again")
    # Only a key can tell whether it verifies (verify-report --public-key); a signature over other
    # bytes is refused here, so the report never claims a signature that cannot hold.
    if not signature.signs(data):
        raise ConfigError(
            str(beside),
            f"signs other results ({signature.sha256}), not these: they were changed after signing",
            f"remove it, or sign {results.name} again with --sign-key",
        )
    return signature


def run(args: argparse.Namespace) -> int:
    from conformance.report.html import page
    from conformance.report.integrity import check_results
    from conformance.report.signature import load_private
    from conformance.results.fold import digest

    try:
        key = load_private(args.sign_key) if args.sign_key else None
        data = untrusted.read(
            args.results,
            limit=untrusted.RESULTS_BYTES,
            what=str(args.results),
            fix="give a results.json path",
        )
        beside = _beside(args.results)
        sig = (
            untrusted.read(beside, limit=untrusted.SIGNATURE_BYTES, what=str(beside))
            if key is None and (beside.exists() or beside.is_symlink())
            else None
        )
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    out: Path = args.out or args.results.with_name("certification.html")
    wrong = unwritable({"--out": out})
    if wrong is None and key is not None:  # the signature is written beside the results
        fix = "remove it, or render a copy of the results from another folder"
        wrong = unwritable({"--sign-key": _beside(args.results)}, fix)
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    checks, results = check_results(data, args.results.name)
    bad = [c.text for c in checks if not c.ok]
    if results is None or bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        error(f"{bad[0]}{more}; give the results.json a run wrote")
        return EXIT_USAGE
    try:
        signature = _signature(args.results, data, key, sig)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_NOT_CERTIFIED
    out.write_text(page(results, digest(data), data, signature), encoding="utf-8")
    signed = f"signed by key {signature.key}" if signature else "not signed"
    print(f"{results['verdict']}: {out} ({signed})")
    return EXIT_CERTIFIED
