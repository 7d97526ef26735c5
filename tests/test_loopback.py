"""The tests' in-process transport (conformance/transport/loopback.py) judges as a run over
sockets does."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.reference.wallet import Wallet
from conformance.transport import loopback
from conformance.transport.wire import Failure

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

    def send(url: str) -> int:
        headers = [("Host", "127.0.0.1"), ("Content-Length", "2")]
        return asyncio.run(transport.exchange("POST", url, headers, b"{}", 1 << 20)).status

    assert send("http://127.0.0.1:1/mpp/v1/alipayplus/inquiryUserInfo") == 200
    with pytest.raises(Failure, match="no embedded server") as refused:
        send("http://127.0.0.1:2/mpp/v1/alipayplus/inquiryUserInfo")
    assert refused.value.name == "ConnectError"


def test_an_answer_over_the_bound_is_cut_there() -> None:
    transport = loopback.Loopback()
    transport.add("http://127.0.0.1:1", Wallet().app())
    headers = [("Host", "127.0.0.1"), ("Content-Length", "2")]
    url = "http://127.0.0.1:1/mpp/v1/alipayplus/inquiryUserInfo"
    whole = asyncio.run(transport.exchange("POST", url, headers, b"{}", 1 << 20))
    cut = asyncio.run(transport.exchange("POST", url, headers, b"{}", 10))
    assert not whole.truncated and len(whole.body) > 10
    assert cut.truncated and cut.body == whole.body[:10]
