"""`conformance render`: the certification report of a results JSON alone, as one standalone HTML
page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "render",
        help="render the certification report of a results JSON as one HTML page",
        description="Render the same certification sections `conformance run` puts in its report, "
        "from a results.json alone (e.g. one received from a partner).",
    )
    p.add_argument("results", type=Path, help="results.json written by `conformance run`")
    p.add_argument(
        "--out", type=Path, help="HTML path (default: certification.html beside the results)"
    )


def run(args: argparse.Namespace) -> int:
    from ..report.html import page
    from ..report.integrity import check_results
    from ..results import digest

    try:
        data = args.results.read_bytes()
    except OSError as exc:
        print(
            f"conformance: error: {args.results}: cannot be read ({exc.strerror}); give a "
            f"results.json path",
            file=sys.stderr,
        )
        return EXIT_USAGE
    checks, results = check_results(data, args.results.name)
    if results is None or not all(c.ok for c in checks):
        for c in checks:
            print(f"conformance: error: {c.text}", file=sys.stderr)
        return EXIT_NOT_CERTIFIED
    out: Path = args.out or args.results.with_name("certification.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(results, digest(data), data), encoding="utf-8")
    print(f"{results['verdict']}: {out}")
    return EXIT_CERTIFIED
