"""`conformance reference-wallet`: serve the reference wallet and print a profile for it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.commands.term import error
from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import EXIT_CERTIFIED, EXIT_USAGE
from conformance.core.outputs import unwritable


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser(
        "reference-wallet", help="serve the reference wallet and print a profile for it"
    )
    w.add_argument("--port", type=int, default=8470)
    w.add_argument("--host", default="127.0.0.1")
    w.add_argument("--fault", help="serve this faulty variant instead")
    w.add_argument(
        "--profile-out", type=Path, help="write the profile to this file instead of printing it"
    )
    w.add_argument(
        "--register-key",
        type=Path,
        metavar="FILE",
        help="accept requests signed with this public key (e.g. keys/suite-public.pem from init)",
    )
    w.add_argument(
        "--public-key-out",
        type=Path,
        metavar="FILE",
        help="write the wallet's public key here (the profile's wallet_public_key)",
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from conformance.reference.data import GATEWAY_PATH, profile_toml
    from conformance.reference.faults import all_faults, make_wallet

    FAULTS = all_faults()

    if args.fault and args.fault not in FAULTS:
        print(
            f"conformance: error: --fault {args.fault} is unknown; choose from "
            f"{', '.join(sorted(FAULTS))}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    outputs = {"--public-key-out": args.public_key_out, "--profile-out": args.profile_out}
    wrong = unwritable({option: path for option, path in outputs.items() if path is not None})
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    wallet = make_wallet(args.fault)
    if args.register_key:
        from conformance import signing
        from conformance.reference import data

        try:
            raw = untrusted.read(
                args.register_key, limit=untrusted.KEY_BYTES, what="--register-key"
            )
            key = signing.load_public_key(raw)
        except (ConfigError, ValueError) as exc:
            print(
                f"conformance: error: --register-key {args.register_key} is not a readable RSA "
                f"public key "
                f"({exc}); give the suite-public.pem conformance init wrote",
                file=sys.stderr,
            )
            return EXIT_USAGE
        # as a wallet team registers the suite's key for Alipay+'s Client-Id and keyVersion
        registered = {**wallet.clients[data.ALIPAYPLUS_CLIENT_ID], data.KEY_VERSION: key}
        wallet.clients = {**wallet.clients, data.ALIPAYPLUS_CLIENT_ID: registered}
    if args.public_key_out:
        from conformance.reference.data import testdata

        args.public_key_out.write_bytes(testdata("wallet-public.pem").read_bytes())
        print(f"wallet public key written to {args.public_key_out}", flush=True)
    # The suite's gateway listens on the next port; the served wallet's client is pointed at it.
    text = profile_toml(f"http://{args.host}:{args.port}", gateway_port=args.port + 1)
    if args.profile_out:
        args.profile_out.write_text(text, encoding="utf-8")
        print(f"profile written to {args.profile_out}", flush=True)
    else:
        print(text, flush=True)
    app = wallet.app()
    wallet.prepare_client.gateway_url = f"http://{args.host}:{args.port + 1}{GATEWAY_PATH}"
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_CERTIFIED
