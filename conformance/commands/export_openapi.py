"""`conformance export-openapi`: the contract as an OpenAPI 3.1 document."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.commands.term import error
from conformance.core.exitcodes import EXIT_OK, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export-openapi",
        help="write the contract as an OpenAPI 3.1 document (JSON)",
        description="Generate OpenAPI 3.1 from schemas/: the JSON Schemas as components, both "
        "operations, "
        "their headers and result codes. Paths are placeholders unless --profile gives them.",
    )
    p.add_argument(
        "-o", "--output", type=Path, help="write to this file (default: standard output)"
    )
    p.add_argument(
        "--profile", type=Path, help="take the operations' paths from this target profile"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("-v", "--verbose", action="store_true", help="also name the components written")


def run(args: argparse.Namespace) -> int:
    from conformance.contract.openapi import document
    from conformance.contract.spec import contract
    from conformance.core.errors import ConfigError

    try:
        paths = _profile_paths(args.profile) if args.profile else None
        doc = document(contract(), paths)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        error(f"cannot write {args.output} ({exc.strerror}); choose another --output")
        return EXIT_USAGE
    if not args.quiet:
        print(f"OpenAPI {doc['openapi']} written to {args.output}")
    if args.verbose:
        print("components: " + ", ".join(doc["components"]["schemas"]))
    return EXIT_OK


def _profile_paths(path: Path) -> dict[str, str]:
    from conformance.profile import load

    return dict(load(path).paths)
