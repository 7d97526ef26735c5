"""The answer an observed request calls for, derived from the request itself: in front of a wallet
(inquiryUserInfo) and in front of Alipay+ (prepareAuthInfo), independent callers send valid and
broken requests, and what a suite-chosen request of the same shape would have expected is judged."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.model import Request
from conformance.generation.strategies import INVALID, TOKEN_REFUSED
from conformance.observe.expected import derive
from conformance.observe.judge import Judge
from conformance.observe.settings import parse
from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus as Provider
from conformance.reference.correct import SERVERS
from conformance.reference.faults import make_wallet
from conformance.reference.faults_provider import PROVIDER_FAULTS, PROVIDERS
from conformance.reference.faults_request import UnvalidatedAcquirerId
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet
from conformance.results.document import Results

from .observe_traffic import (
    TESTDATA,
    AlipayPlus,
    acceptance,
    body,
    broken,
    judged,
    prepare_calls,
    profile,
    session,
    settings,
    wallet_client,
)


class ServesOnly(Wallet):
    """Serves the tokens of one inactive state as if they were valid."""

    state = ""

    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        seed = self.tokens.get(body["accessToken"])
        if seed is not None and seed.state == self.state:
            return seed
        return super().authorize(body)


class ServesExpired(ServesOnly):
    state = "expired"


class ServesRevoked(ServesOnly):
    state = "revoked"


class DefaultsAcquirer(Provider):
    """Alipay+ taking a missing acquirerId for AlipayCN's: a required field may be left out."""

    pipeline_class = UnvalidatedAcquirerId

    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return super().resolve({"acquirerId": data.ACQUIRER_ID, **body})


def wallet_role(tmp_path: Path, wallet: Wallet, text: str | None = None) -> Results:
    with (
        serve(wallet.app()) as url,
        session(settings(text or profile(), url, "wallet"), tmp_path) as running,
    ):
        acceptance(AlipayPlus(running.url))
    assert running.results is not None
    return running.results


SWEPT: dict[str, type[Provider]] = {
    **PROVIDERS,
    **SERVERS,
    "reference": Provider,
    "defaults-acquirer": DefaultsAcquirer,
}


@pytest.fixture(scope="module")
def alipayplus() -> Iterator[str]:
    """Every Alipay+ server of these tests behind one address, chosen by an X-Server header
    (one server, not one started and stopped per test)."""
    apps = {name: server().app() for name, server in SWEPT.items()}

    async def route(scope: Any, receive: Any, send: Any) -> None:
        name = dict(scope["headers"]).get(b"x-server", b"").decode()
        await apps[name](scope, receive, send)

    with serve(route) as url:
        yield url


def alipayplus_role(tmp_path: Path, upstream: str, server: str) -> Results:
    text = data.profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)
    with session(settings(text, upstream, "alipayplus"), tmp_path) as running:
        prepare_calls(wallet_client(running.url, {"X-Server": server}))
    assert running.results is not None
    return running.results


def evidence(results: Mapping[str, Any], rid: str) -> str:
    row = next(r for r in results["requirements"] if r["id"] == rid)
    return " ".join(f"{e['message']} {e['received']}" for e in row["evidence"])


@pytest.mark.parametrize(
    ("wallet", "rid", "shown"),
    [
        (make_wallet("accepts-bad-signature"), "IUI-SIG-VERIFY", "signature does not verify"),
        (ServesExpired(), "IUI-TOKEN-REFUSED", "accessToken expired"),
        (ServesRevoked(), "IUI-TOKEN-REFUSED", "accessToken revoked"),
        (make_wallet("unvalidated-acquirer-id"), "IUI-INVALID-REFUSED", "acquirerId: "),
    ],
    ids=["bad-signature", "expired-token", "revoked-token", "missing-field"],
)
def test_a_wallet_succeeding_where_the_request_calls_for_a_refusal_is_found(
    tmp_path: Path, wallet: Wallet, rid: str, shown: str
) -> None:
    results = wallet_role(tmp_path, wallet)
    assert rid in broken(results)
    assert "was not refused" in evidence(results, rid) and shown in evidence(results, rid)


def test_without_alipayplus_key_signatures_are_not_judged_and_the_report_says_why(
    tmp_path: Path,
) -> None:
    text = profile().replace("alipayplus_public_key", "# alipayplus_public_key")
    results = wallet_role(tmp_path, make_wallet("accepts-bad-signature"), text)
    rows = {r["id"]: r for r in results["requirements"]}
    for rid in ("IUI-SIG-VERIFY", "IUI-SIG-DIGEST", "IUI-VALID-SUCCESS"):
        assert rows[rid]["status"] == "not applicable", rid
        assert "no Alipay+ public key" in rows[rid]["reason"], rid
    # What calls for a refusal whatever the signature is still judged.
    assert rows["IUI-INVALID-REFUSED"]["status"] == "passed"
    assert rows["IUI-TOKEN-REFUSED"]["status"] == "passed"
    assert broken(results) == set()


@pytest.mark.parametrize(
    ("server", "rid"),
    [
        ("pas-accepts-bad-signature", "PAS-SIG-VERIFY"),
        ("defaults-acquirer", "PAS-INVALID-REFUSED"),
        ("pas-any-acquirer", "PAS-FIXED-VALUE"),
        ("pas-unknown-client-wrong-code", "PAS-CLIENT-UNKNOWN"),
    ],
    ids=["bad-signature", "missing-field", "other-acquirer", "unknown-client"],
)
def test_alipayplus_answering_what_the_request_forbids_is_found(
    tmp_path: Path, alipayplus: str, server: str, rid: str
) -> None:
    assert rid in broken(alipayplus_role(tmp_path, alipayplus, server))


def pas(ids: set[str]) -> set[str]:
    """The provider's requirements: the careless wallet's own (PAI-*) are its, not Alipay+'s."""
    return {i for i in ids if i.startswith("PAS-")}


@pytest.mark.parametrize("name", sorted(PROVIDER_FAULTS))
def test_each_provider_fault_the_calls_show_is_named(
    tmp_path: Path, alipayplus: str, name: str
) -> None:
    fault = PROVIDER_FAULTS[name]
    results = alipayplus_role(tmp_path, alipayplus, name)
    found = pas(broken(results))
    assert found <= set(fault.catches) | set(fault.also), f"{name} broke {sorted(found)}"
    shown = pas(set(fault.catches) & judged(results)) - {UNSHOWN.get(name)}
    assert shown <= found, f"{name} not found: {sorted(found)}"


# A catching requirement a provider fault's deviation shows in these calls only through another:
# pas-verifies-reserialised-body fails every layout but the compact one, so an indented body is
# judged under PAS-JSON-FORMS and a compact one succeeds.
UNSHOWN = {"pas-verifies-reserialised-body": "PAS-VALID-SUCCESS"}


@pytest.mark.parametrize("name", ["reference", *sorted(SERVERS)])
def test_correct_providers_show_no_violation(tmp_path: Path, alipayplus: str, name: str) -> None:
    results = alipayplus_role(tmp_path, alipayplus, name)
    assert pas(broken(results)) == set() and results["errors"] == []


def _request(raw: bytes, headers: dict[str, str], method: str = "POST") -> Request:
    return Request(tuple(headers.items()), raw, method, "", AlipayPlus("").path)


def test_an_expectation_carries_its_code_only_when_one_deviation_decides_it() -> None:
    judge = Judge(settings(profile(), "http://127.0.0.1:1", "wallet"), contract(), catalogue())
    client = AlipayPlus("")
    missing = body(acquirerId=...)
    expired = body(accessToken=data.SEEDS[4].token)
    assert derive(_request(missing, client.headers(missing)), judge.peer) == (
        INVALID,
        "a refusal is called for: the body breaks the schema (acquirerId: required)",
    )
    assert derive(_request(expired, client.headers(expired)), judge.peer) == (
        TOKEN_REFUSED,
        "a refusal is called for: the profile declares the accessToken expired",
    )
    both = client.headers(missing, signed=expired)
    expect, why = derive(_request(missing, both), judge.peer)
    assert (expect.outcome, expect.requirement, expect.codes) == (
        "refusal",
        "SIG-VERIFY",
        frozenset(),
    )
    assert why == (
        "a refusal, whatever its code: the signature does not verify; "
        "the body breaks the schema (acquirerId: required)"
    )
    undeclared = body(accessToken="NoSuchToken.0000000000000000")
    expect, why = derive(_request(undeclared, client.headers(undeclared)), judge.peer)
    assert expect.requirement is None
    assert why == "answer not derived: the request's accessToken is not declared in the profile"


def test_the_profile_gives_the_values_a_request_is_read_against() -> None:
    text = data.profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)
    s = parse(tomllib.loads(text), TESTDATA)
    assert s.auth_urls == data.AUTH_URLS and s.acquirer_id == data.ACQUIRER_ID
