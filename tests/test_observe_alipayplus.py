"""`conformance observe --role alipayplus`: in front of the reference Alipay+ server, the reference
wallet's prepareAuthInfo client (and each faulty variant) is judged: its requests, Alipay+'s answers
and the wallet's reactions (a retry after U or no answer, none after F, the same parameters)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.client import PrepareClient
from conformance.reference.client_variants import VARIANTS
from conformance.reference.correct import SERVERS
from conformance.reference.faults import make_wallet
from conformance.reference.faults_client import PREPARE_FAULTS
from conformance.reference.faults_provider import PROVIDER_FAULTS, PROVIDERS
from conformance.reference.threaded import serve
from conformance.reference.wallet import Refusal, Wallet
from conformance.results.document import Results

from .observe_traffic import assert_named, broken, session, settings, wait_until

# The wallet's timeout is generous, so that a loaded machine never makes it retry an answered
# request; the held answer comes once every flow has ended on the wallet's side, so after it.
WINDOW, WALLET_TIMEOUT = 2.0, 0.8
FLOWS_END = 30.0  # seconds the four flows may take at most (each trigger's own timeout)
AUTH = (
    "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm?app_id=2021000000000001"
    "&redirect_uri=https%3A%2F%2Fmerchant.example%2Foauth%2Freturn%3Fshop%3Dref-1&state="
)
FLOWS = ("ok", "fail", "u-first", "silent-first")
# Runs that wait out the retry window: the faults that do not retry, and the reference.
SILENT = (None, "pai-no-retry-after-u", "pai-no-retry-after-silence")
FAULTS = {**PREPARE_FAULTS, **PROVIDER_FAULTS}


def sandbox(base: type[AlipayPlus]) -> AlipayPlus:
    """An Alipay+ sandbox that answers F, or U once, as the authUrl's state asks."""

    class Sandbox(base):  # type: ignore[valid-type,misc]
        seen: ClassVar[set[str]] = set()

        def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
            url = str(body["authUrl"])
            if url.endswith("state=fail"):
                raise Refusal("PROCESS_FAIL", "the authUrl cannot be resolved")
            if url.endswith("state=u-first") and url not in self.seen:
                self.seen.add(url)
                raise Refusal("UNKNOWN_EXCEPTION")
            return dict(super().resolve({**body, "authUrl": data.AUTH_URLS[0]}))

    return Sandbox()


class Hold:
    """Answers the first request of a `silent-first` flow after the wallet has stopped waiting:
    once `ended` is set, when every flow has ended on the wallet's side."""

    def __init__(self, app: Any) -> None:
        self.app, self.held, self.expired = app, False, False
        self.ended = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], scope["type"] == "http"
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if b"state=silent-first" in body and not self.held:
            self.held = True
            self.expired = not await asyncio.to_thread(self.ended.wait, FLOWS_END)

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def observed(
    tmp_path: Path, fault: str | None, wallet_class: type[Wallet] | None = None
) -> Results:
    server = sandbox({**PROVIDERS, **SERVERS}.get(fault or "", AlipayPlus))
    wallet = wallet_class() if wallet_class else make_wallet(fault if fault in FAULTS else None)
    app = wallet.app()
    text = data.profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)
    hold = Hold(server.app())
    with serve(hold) as upstream, serve(app) as wallet_url:
        s = settings(text + f"\n[observe]\nretry_window = {WINDOW}\n", upstream, "alipayplus")
        with session(s, tmp_path) as running:
            client = wallet.prepare_client
            client.gateway_url, client.timeout = running.url + data.GATEWAY_PATH, WALLET_TIMEOUT
            try:
                with ThreadPoolExecutor(len(FLOWS)) as pool:
                    outcomes = list(pool.map(lambda f: trigger(wallet_url, AUTH + f), FLOWS))
            finally:
                hold.ended.set()
            if fault in SILENT:  # a missing retry shows only once the retry window has passed
                wait_until(
                    lambda: not running.proxy.inflight and running.session.queue.empty(),
                    FLOWS_END,
                    "the held answer to pass the proxy",
                )
                time.sleep(WINDOW)  # the window itself, from the last answer: the rule judged
    assert not hold.expired, f"the flows did not end within {FLOWS_END:g} s"
    assert running.results is not None
    assert all(o.get("outcome") in ("redirect", "error") for o in outcomes)
    return running.results


def trigger(wallet_url: str, auth_url: str) -> dict[str, Any]:
    answer = httpx.post(wallet_url + data.HARNESS_PATH, json={"authUrl": auth_url}, timeout=30)
    result: dict[str, Any] = answer.json()
    return result


@cache  # asked by every fault's test and once more for all of them
def answers(name: str | None) -> tuple[tuple[Any, ...], ...]:
    """What a server answers the reference wallet's requests in every flow, each sent twice (a
    retry): status, body, headers in their form (digits of the time and the signature's value
    aside) and whether the wallet trusts the signature. `name` is a faulty server's, or None."""
    server = PROVIDERS[name] if name is not None else AlipayPlus
    client, uri, found = PrepareClient(), data.GATEWAY_PATH, []
    with serve(sandbox(server).app()) as base, httpx.Client(base_url=base) as http:
        for url in (AUTH + flow for flow in FLOWS for _ in range(2)):
            body = client.encode(client.payload(url, 0))
            answer = http.post(uri, content=body, headers=client.headers(uri, body))
            status, _ = client.decide(uri, answer)
            headers = sorted((k, _form(k, v)) for k, v in answer.headers.items())
            trusted = client.trusted(uri, answer, status)
            found.append((answer.status_code, answer.content, tuple(headers), trusted))
    return tuple(found)


def _form(name: str, value: str) -> str:
    """A header value with what differs between two correct answers (the time, the signature)
    masked."""
    if name in ("response-time", "date"):
        return re.sub(r"\d", "0", value)
    return re.sub(r"signature=[^,\s]*", "signature=…", value) if name == "signature" else value


def shown(name: str) -> bool:
    """Whether a correct wallet's traffic can show this fault: a client's always; a server's only
    when it answers that traffic otherwise than the reference does (the others misbehave only on
    requests a correct wallet never sends: bad signatures, astral characters, another acquirer)."""
    return name not in PROVIDERS or answers(name) != answers(None)


def test_reference_wallet_and_alipayplus_show_no_violation(tmp_path: Path) -> None:
    results = observed(tmp_path, None)
    assert broken(results) == set() and results["errors"] == []
    rows = {r["id"]: r for r in results["requirements"]}
    # ok, fail, u-first (U then S), silent-first (no answer, then S): six requests in all.
    assert results["observation"]["exchanges"] == 6
    for rid in ("PAI-F-NO-RETRY", "PAI-RETRY-U", "PAI-RETRY-SILENCE", "PAI-RETRY-SAME"):
        assert rows[rid]["status"] == "passed", rid
    for rid in ("PAI-REQ-SIGNED", "PAI-REQ-CLIENT-ID", "PAS-RESP-SIGNED", "PAS-SUCCESS-FIELDS"):
        assert rows[rid]["status"] == "passed", rid
    # A response judged against its own request: passive, so judged on every answer.
    assert rows["PAS-CLIENT-ID-ECHO"]["status"] == "passed"
    assert rows["PAS-CLIENT-ID-ECHO"]["exchanges"] == 6
    assert rows["PAI-REQ-AUTHURL"]["status"] == "not applicable"
    assert rows["PAI-S-REDIRECT"]["status"] == "not applicable"  # the wallet's outcome is unseen


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_passively_visible_fault_is_named_by_its_requirement(
    tmp_path: Path, name: str
) -> None:
    fault = FAULTS[name]
    results = observed(tmp_path, name)
    assert_named(fault, results, provoked=shown(name))
    if name in SILENT:
        row = next(r for r in results["requirements"] if r["id"] == fault.catches[0])
        assert row["failures"] == 1  # the one flow that needed a retry
        assert "no further request within the retry window" in row["evidence"][0]["received"]


def test_the_wallets_reactions_are_faults_of_their_own() -> None:
    """No retry after U or silence, a retry after F, a changed retry: each a fault named by one
    flow requirement, found above from traffic alone."""
    expected = {
        "pai-no-retry-after-u": "PAI-RETRY-U",
        "pai-no-retry-after-silence": "PAI-RETRY-SILENCE",
        "pai-retries-after-f": "PAI-F-NO-RETRY",
        "pai-retry-changes-parameters": "PAI-RETRY-SAME",
    }
    assert {n: PREPARE_FAULTS[n].catches for n in expected} == {
        n: (rid,) for n, rid in expected.items()
    }


def test_what_traffic_cannot_show_is_derived_not_listed() -> None:
    """A fault is exempt only when its server answers the wallet's traffic as the reference does;
    every client fault and every other server fault must be named from traffic."""
    exempt = {name for name in FAULTS if not shown(name)}
    assert exempt and exempt < set(PROVIDER_FAULTS)
    assert "pas-fields-on-failure" in exempt  # adds fields only to INVALID_SIGNATURE
    assert "pas-missing-auth-client-id" not in exempt  # every SUCCESS shows it
    assert "pas-text-plain-response" not in exempt  # a header value, not only a body, counts


@pytest.mark.parametrize("name", sorted([*VARIANTS, *SERVERS]))
def test_correct_variants_show_no_violation(tmp_path: Path, name: str) -> None:
    results = observed(tmp_path, name, VARIANTS.get(name))
    assert broken(results) == set() and results["errors"] == []
