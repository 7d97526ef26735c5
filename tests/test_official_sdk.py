"""Interop with the official Alipay+ Python SDK: a wallet wired to it is certified in both roles,
a deliberately SDK-incompatible one is not, and the SDK's client reads every reply the suite's
gateway scripts."""

from __future__ import annotations

import json

import pytest
from com.alipay.ams.api.exception.exception import AlipayApiException
from com.alipay.ams.api.net import default_http_rpc
from com.alipay.ams.api.tools import signature_tool

from conformance.contract.catalogue import catalogue
from conformance.gateway.scenarios import SCENARIOS, auth_url, status
from conformance.gateway.server import Gateway, HeaderCaseH11
from conformance.profile.sections import GatewaySettings
from conformance.reference import data, faults
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

from .conftest import Certify, statuses
from .official_sdk import (
    GATEWAY,
    CachedKeys,
    IncompatibleSdkWallet,
    PlainTransport,
    SdkPrepareClient,
    SdkWallet,
)

SDK_WALLETS: dict[str, type[Wallet]] = {w.name: w for w in (SdkWallet, IncompatibleSdkWallet)}


@pytest.fixture(autouse=True)
def sdk_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--fault sdk-python` names the SDK-built wallet; the SDK reaches the gateway in plain."""
    known = faults.variants()
    monkeypatch.setattr(faults, "variants", lambda: {**known, **SDK_WALLETS})
    make = faults.make_wallet
    monkeypatch.setattr(
        faults,
        "make_wallet",
        lambda name: SDK_WALLETS[name]() if name in SDK_WALLETS else make(name),
    )
    monkeypatch.setattr(default_http_rpc, "http_client", PlainTransport)
    monkeypatch.setattr(signature_tool, "serialization", CachedKeys())


def test_a_wallet_on_the_official_sdk_is_certified_in_both_roles(certify: Certify) -> None:
    code, results = certify("--fault", "sdk-python", examples=3)
    assert (code, results["verdict"]) == (0, "CERTIFIED"), results["reasons"]
    judged = statuses(results, "passed", "warned")
    assert {"IUI-SIG-VERIFY", "PAI-REQ-SIGNED", "PAI-S-REDIRECT", "PAI-F-NO-RETRY"} <= judged
    # What the SDK leaves out is warned, under SHOULDs that say why.
    warned = statuses(results, "warned")
    assert {"IUI-TIME-MALFORMED", "IUI-SIG-ALGORITHM"} <= warned
    assert all(catalogue().requirements[rid].level == "SHOULD" for rid in warned)


def test_an_sdk_incompatible_wallet_is_not_certified(certify: Certify) -> None:
    # Every signed answer is signed over other bytes than it sends: one test shows it.
    only = ("--only", "test_valid_request_succeeds")
    code, results = certify("--fault", "sdk-python-reserialising", *only, examples=1)
    assert (code, results["verdict"]) == (1, "NOT CERTIFIED")
    assert "IUI-RESP-SIGNED" in statuses(results, "failed")


def replies(scenario: str) -> dict[str, object]:
    """What the SDK's execute() returns for the first reply of a scenario's flow."""
    settings = GatewaySettings(data.public_key("wallet"), data.private_key("alipayplus"))
    gateway = Gateway(settings, data.PSP_ID, SCENARIOS[scenario])
    with serve(gateway.app(), http=HeaderCaseH11) as url:
        client = SdkPrepareClient(url + settings.path)
        GATEWAY.set((int(url.rsplit(":", 1)[1]), 5.0))
        answer: dict[str, object] = json.loads(client.execute(auth_url("mppc" + "0" * 16), 1))
    return answer


@pytest.mark.parametrize("scenario", ["success", "f-ACCESS_DENIED", "u-UNKNOWN_EXCEPTION"])
def test_the_sdk_client_reads_the_gateways_signed_replies(scenario: str) -> None:
    """execute() returns S, F and U replies as they are: signed as the SDK verifies them."""
    result = replies(scenario)["result"]
    assert isinstance(result, dict)
    assert result["resultStatus"] == status(SCENARIOS[scenario].steps[0])


def test_the_sdk_client_refuses_an_unsigned_reply() -> None:
    """The check above can fail: the SDK raises on the gateway's unsigned SUCCESS."""
    with pytest.raises(AlipayApiException, match="signature not exist"):
        replies("unsigned-success")
