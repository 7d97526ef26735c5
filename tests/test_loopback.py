"""The tests' in-process transport (conformance/transport/loopback.py) judges as a run over
sockets does."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from conformance.reference.wallet import Wallet
from conformance.transport import loopback

from .conftest import Certify


def _verdicts(results: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    return [(r["id"], r["status"], r["exchanges"], r["failures"]) for r in results["requirements"]]


def test_in_process_run_judges_as_a_run_over_sockets(
    certify: Certify, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, in_process = certify("--fault", "crashes-on-astral", examples=3)
    monkeypatch.setattr(loopback, "ENABLED", False)
    code_over_sockets, over_sockets = certify("--fault", "crashes-on-astral", examples=3)
    assert code == code_over_sockets == 1
    assert _verdicts(in_process) == _verdicts(over_sockets)
    assert in_process["run"]["requests"] == over_sockets["run"]["requests"]


def test_a_request_to_no_embedded_server_is_a_connection_error() -> None:
    transport = loopback.Loopback()
    transport.add("http://127.0.0.1:1", Wallet().app())

    async def send(url: str) -> int:
        async with httpx.AsyncClient(transport=transport) as http:
            return (await http.get(url)).status_code

    assert asyncio.run(send("http://127.0.0.1:1/mpp/v1/alipayplus/inquiryUserInfo")) == 200
    with pytest.raises(httpx.ConnectError, match="no embedded server"):
        asyncio.run(send("http://127.0.0.1:2/mpp/v1/alipayplus/inquiryUserInfo"))
