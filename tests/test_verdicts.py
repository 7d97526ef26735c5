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


def _arrival(attempt: int, step: str, hung_up: bool = False) -> Arrival:
    request = Request(headers=(), body=b'{"authUrl":"u","acquirerId":"a"}')
    exchange = Exchange(Case("prepareAuthInfo", "incoming", request.body), request, None)
    return Arrival(exchange, NONCE, attempt, step, float(attempt), float(attempt) + 0.5, hung_up)


def flow(scenario: str, result: FlowResult | None, attempts: int = 1, hung_up: int = 0) -> Flow:
    """The scenario's first `attempts` requests; the wallet hung up on the first `hung_up`
    replies before they were written."""
    s = SCENARIOS[scenario]
    arrivals = tuple(_arrival(i, s.step(i), i <= hung_up) for i in range(1, attempts + 1))
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


F_CODE = "f-ACCESS_DENIED"
DENIED = FlowResult("error", error="ACCESS_DENIED")


@pytest.mark.parametrize(
    ("attempts", "hung_up", "retried"),
    [
        (1, 0, False),  # one request, one F
        (2, 0, True),  # the F received, then the request again
        (2, 1, False),  # hung up before the first F (its timeout), sent again, got F: done
        (3, 1, True),  # ... and sent again after the F it received
        (3, 2, False),  # hung up twice, then one F received
    ],
)
def test_a_retry_counts_after_the_first_f_the_wallet_received(
    attempts: int, hung_up: int, retried: bool
) -> None:
    ok, message = verdicts(flow(F_CODE, DENIED, attempts, hung_up))["PAI-F-NO-RETRY"]
    assert ok is not retried
    assert ("sent the request again after F ACCESS_DENIED" in message) is retried


def test_a_flow_of_replies_all_hung_up_on_judges_no_retry_after_f() -> None:
    assert "PAI-F-NO-RETRY" not in verdicts(flow(F_CODE, DENIED, 2, hung_up=2))


def test_the_attempts_shown_say_which_reply_the_wallet_hung_up_on() -> None:
    outcome = next(
        o for o in judge_flow(flow(F_CODE, DENIED, 3, 1)) if o.requirement == "PAI-F-NO-RETRY"
    )
    assert outcome.received == (
        "3 request(s): #1 got ACCESS_DENIED (hung up before it), #2 got ACCESS_DENIED, "
        "#3 got ACCESS_DENIED"
    )
    assert outcome.expected == "no request after the F it received"
