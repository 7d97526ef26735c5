"""The flow verdicts on hand-made flows: the redirect keeps authRedirectUrl and adds an authCode,
and every message says what happened."""

from __future__ import annotations

import pytest

from conformance.core.model import Case, Exchange, Request
from conformance.gateway.scenarios import SCENARIOS, redirect_url
from conformance.gateway.server import Arrival
from conformance.gateway.trigger import FlowResult
from conformance.gateway.verdicts import Flow, judge_flow
from conformance.profile.sections import GatewaySettings
from conformance.reference import data

NONCE = "mppc0123456789abcdef"
SETTINGS = GatewaySettings(data.public_key("wallet"), data.private_key("alipayplus"))
HARNESS = "http://127.0.0.1:9000/harness/prepareAuthInfo"
GATEWAY = "http://127.0.0.1:8471/aps/api/v1/authorizations/prepareAuthInfo"


def _arrival(attempt: int, step: str) -> Arrival:
    request = Request(headers=(), body=b'{"authUrl":"u","acquirerId":"a"}')
    exchange = Exchange(Case("prepareAuthInfo", "incoming", request.body), request, None)
    return Arrival(exchange, NONCE, attempt, step, float(attempt), float(attempt) + 0.5)


def flow(scenario: str, result: FlowResult | None, attempts: int = 1) -> Flow:
    s = SCENARIOS[scenario]
    arrivals = tuple(_arrival(i, s.step(i)) for i in range(1, attempts + 1))
    return Flow(s, "u", redirect_url(NONCE), arrivals, result, SETTINGS, GATEWAY, HARNESS)


def verdicts(f: Flow) -> dict[str, tuple[bool, str]]:
    return {o.requirement: (o.ok, o.message) for o in judge_flow(f)}


REDIRECT = redirect_url(NONCE)


@pytest.mark.parametrize(
    "reported,problem",
    [
        (REDIRECT + "&authCode=a1b2", None),
        (REDIRECT + "&auth_code=a1b2", None),
        (REDIRECT + "&AUTHCODE=a1b2", None),
        (REDIRECT, "no authCode"),
        (REDIRECT + "&authCode=", "no authCode"),
        (REDIRECT + "&code=a1b2", "no authCode"),
        ("https://merchant.example/oauth/return?authCode=a1b2", "dropped or changed"),
        ("https://elsewhere.example/oauth/return?flow=x&authCode=a", "did not redirect"),
    ],
)
def test_a_redirect_after_success_carries_the_appended_auth_code(
    reported: str, problem: str | None
) -> None:
    ok, message = verdicts(flow("success", FlowResult("redirect", reported)))["PAI-S-REDIRECT"]
    assert ok is (problem is None)
    assert (problem or "") in message


def test_trigger_failures_name_the_trigger_not_the_gateway() -> None:
    ok, message = verdicts(flow("success", FlowResult(None, problem="HTTP 500")))["PAI-TRIGGER"]
    assert not ok and HARNESS in message and GATEWAY not in message


@pytest.mark.parametrize(
    "scenario,said,rid",
    [
        ("unsigned-success", "carries no signature", "PAI-VERIFY-UNSIGNED"),
        ("bad-signature", "does not verify", "PAI-VERIFY-RESPONSE"),
    ],
)
def test_trusting_an_untrusted_success_says_which_it_was(
    scenario: str, said: str, rid: str
) -> None:
    f = flow(scenario, FlowResult("redirect", REDIRECT + "&authCode=1"))
    ok, message = verdicts(f)[rid]
    assert not ok and said in message
