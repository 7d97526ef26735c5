"""The reference wallet in a process of its own, with optional latency; prints its base URL on
stdout.

GET /_stats answers {"calls": requests handled, "cpu": CPU seconds of this process}.
`--role alipayplus` serves the reference Alipay+ prepareAuthInfo server instead (no /_stats).
Usage: python bench/server.py [--latency SECONDS] [--role wallet|alipayplus]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from conformance.reference.chaos import Latency, Receive, Scope, Send
from conformance.reference.faults import make_server
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet


class Stats:
    """Serves /_stats and passes everything else to the wallet (behind its latency)."""

    def __init__(self, wallet: Wallet, latency: float) -> None:
        self.wallet, self.app = wallet, Latency(wallet.app(), latency)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/_stats":
            body = json.dumps({"calls": self.wallet.calls, "cpu": time.process_time()}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--role", choices=("wallet", "alipayplus"), default="wallet")
    parser.add_argument("--gateway-url", help="where the wallet's prepareAuthInfo client sends")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {"backlog": 4096, "timeout_keep_alive": 60}
    wallet = Wallet()
    app = (
        Stats(wallet, args.latency)
        if args.role == "wallet"
        else Latency(make_server("reference").app(), args.latency)
    )
    if args.gateway_url:  # the app made above holds the client the trigger drives
        wallet.prepare_client.gateway_url = args.gateway_url
    with serve(app, **options) as url:
        print(url, flush=True)
        sys.stdin.read()  # serve until the bench closes our stdin


if __name__ == "__main__":
    main()
