"""`conformance reference-wallet`: serve the reference wallet and print a profile for it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exitcodes import EXIT_CERTIFIED, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser("reference-wallet", help="serve the reference wallet and print a profile for it")
    w.add_argument("--port", type=int, default=8470)
    w.add_argument("--host", default="127.0.0.1")
    w.add_argument("--fault", help="serve this faulty variant instead")
    w.add_argument("--profile-out", type=Path, help="write the profile to this file instead of printing it")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..reference.data import profile_toml
    from ..reference.faults import FAULTS, make_wallet

    if args.fault and args.fault not in FAULTS:
        print(f"conformance: error: --fault {args.fault} is unknown; choose from {', '.join(sorted(FAULTS))}",
              file=sys.stderr)
        return EXIT_USAGE
    text = profile_toml(f"http://{args.host}:{args.port}")
    if args.profile_out:
        args.profile_out.write_text(text, encoding="utf-8")
        print(f"profile written to {args.profile_out}", flush=True)
    else:
        print(text, flush=True)
    uvicorn.run(make_wallet(args.fault).app(), host=args.host, port=args.port, log_level="warning")
    return EXIT_CERTIFIED
