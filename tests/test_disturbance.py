"""Which answers are the network's, not the wallet's: re-sent and counted; and the verdict they
give when there are too many."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.core.model import Case, Exchange, Request, Response
from conformance.results.document import CERTIFIED, INCONCLUSIVE, NOT_CERTIFIED, RequirementRow, Run
from conformance.results.fold import verdict
from conformance.transport.disturbance import kind
from conformance.transport.sender import Sender
from conformance.transport.throttle import Limits, Throttle

HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
JSON = b'{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"x"}}'
SUCCESS = b'{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"ok"}}'
SIGNED = (("Content-Type", "application/json"), ("Signature", "algorithm=RSA256,signature=abc"))


def exchange(status: int | None, body: bytes = b"", headers: Any = (), error: str = "") -> Exchange:
    response = None if status is None else Response(tuple(headers), body, status)
    return Exchange(Case("inquiryUserInfo", "valid", b"{}"), Request((), b"{}"), response, error)


@pytest.mark.parametrize(
    "ex, expected",
    [
        (exchange(502, HTML, [("Content-Type", "text/html")]), "502 page"),
        (exchange(503, HTML), "503 page"),
        (exchange(504, b""), "504 page"),
        (exchange(None, error="timeout: no complete answer within 10 s"), "timeout"),
        (exchange(None, error="RemoteProtocolError: Server disconnected"), "reset"),
        (exchange(None, error="ReadError: [Errno 104] Connection reset by peer"), "reset"),
        (exchange(None, error="ConnectError: [Errno 111] Connection refused"), "no connection"),
        # The wallet's own answers, whatever they say: judged, never re-sent as a disturbance.
        (exchange(502, JSON, SIGNED), None),
        (exchange(502, HTML, [("Signature", "algorithm=RSA256,signature=abc")]), None),
        (exchange(502, b'{"error": "upstream"}'), None),
        (exchange(200, JSON, SIGNED), None),
        (exchange(200, HTML), None),
        (exchange(500, HTML), None),
        # A request the wire cannot write fails the same way every time.
        (exchange(None, error="LocalProtocolError: illegal header value"), None),
    ],
)
def test_what_counts_as_a_disturbance(ex: Exchange, expected: str | None) -> None:
    assert kind(ex) == expected


@pytest.fixture
def sender() -> Iterator[Sender]:
    loop = asyncio.new_event_loop()
    limits = Limits(retries=2, backoff=0.1, backoff_max=1.0)
    yield Sender(loop, None, "http://wallet", None, Throttle(limits), 5.0)  # type: ignore[arg-type]
    loop.close()


@pytest.mark.parametrize(
    "ex",
    [
        exchange(502, HTML),
        exchange(504, b""),
        exchange(None, error="timeout: no complete answer within 5 s"),
        exchange(None, error="RemoteProtocolError: Server disconnected"),
    ],
)
def test_a_disturbance_is_re_sent_until_the_retries_run_out(sender: Sender, ex: Exchange) -> None:
    assert [sender._backoff(ex, attempt) is not None for attempt in range(3)] == [True, True, False]
    assert all(0 <= (sender._backoff(ex, 1) or 0) <= 0.2 for _ in range(50))  # jittered, bounded


@pytest.mark.parametrize(
    "ex", [exchange(502, SUCCESS, SIGNED), exchange(200, SUCCESS, SIGNED), exchange(500, HTML)]
)
def test_the_wallets_own_answer_is_kept(sender: Sender, ex: Exchange) -> None:
    assert sender._backoff(ex, 0) is None


def row(rid: str, status: str, level: str = "MUST") -> RequirementRow:
    return {  # type: ignore[typeddict-item]
        "id": rid,
        "level": level,
        "status": status,
        "exchanges": 10,
        "failures": 10 if status == "failed" else 0,
    }


def run(total: int, requests: int = 100, budget: float = 0.05) -> Run:
    return {  # type: ignore[typeddict-item]
        "requests": requests,
        "disturbances": {"total": total, "kinds": {"reset": total}, "budget": budget},
    }


PASSED = [row("IUI-TRANSPORT-ANSWER", "passed")]
FAILED = [row("IUI-TRANSPORT-ANSWER", "passed"), row("IUI-SCOPE-NO-EXTRA", "failed")]


@pytest.mark.parametrize(
    "rows, run_, expected, over",
    [
        (PASSED, run(5), CERTIFIED, False),  # at the budget
        (PASSED, run(6), INCONCLUSIVE, True),  # past it
        (PASSED, run(0, budget=0), CERTIFIED, False),
        (PASSED, run(1, budget=0), INCONCLUSIVE, True),
        (FAILED, run(6), NOT_CERTIFIED, True),  # a failure on the wallet's own answer wins
        (FAILED, run(0), NOT_CERTIFIED, False),
        (PASSED, {"requests": 100}, CERTIFIED, False),  # a document from before the count
    ],
)
def test_the_verdict_weighs_failures_before_disturbances(
    rows: list[RequirementRow], run_: Run, expected: str, over: bool
) -> None:
    outcome, reasons = verdict(rows, [], run_)
    assert outcome == expected
    assert bool(reasons) == (expected != CERTIFIED)
    assert any("more than the budget" in r for r in reasons) == over
