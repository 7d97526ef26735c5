"""`conformance observe --role alipayplus`: in front of the reference Alipay+ server, the reference
wallet's prepareAuthInfo client (and each faulty variant) is judged: its requests, Alipay+'s answers
and the wallet's reactions (a retry after U or no answer, none after F, the same parameters)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.faults import make_wallet
from conformance.reference.faults_client import PREPARE_FAULTS
from conformance.reference.faults_provider import PROVIDERS
from conformance.reference.server import serve
from conformance.reference.wallet import Refusal

from .observe_traffic import assert_named, broken, session, settings

WINDOW, HOLD, WALLET_TIMEOUT = 1.0, 0.8, 0.3
AUTH = "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm?app_id=2021000000000001&state="
FLOWS = ("ok", "fail", "u-first", "silent-first")
# Runs that wait out the retry window: the faults that do not retry, and the reference.
SILENT = (None, "pai-no-retry-after-u", "pai-no-retry-after-silence")
# Faults this traffic cannot show although their requirement is judged, with the reason.
NOT_PROVOKED = {
    "pas-fields-on-failure": "adds fields only to INVALID_SIGNATURE; the wallet here signs right",
}


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
    """Answers the first request of a `silent-first` flow after the wallet has stopped waiting."""

    def __init__(self, app: Any) -> None:
        self.app, self.held = app, False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], scope["type"] == "http"
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if b"state=silent-first" in body and not self.held:
            self.held = True
            await asyncio.sleep(HOLD)

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def observed(tmp_path: Path, fault: str | None) -> dict[str, Any]:
    server = sandbox(PROVIDERS.get(fault or "", AlipayPlus))
    wallet = make_wallet(fault if fault not in PROVIDERS else None)
    app = wallet.app()
    text = data.profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)
    with serve(Hold(server.app())) as upstream, serve(app) as wallet_url:
        s = settings(text + f"\n[observe]\nretry_window = {WINDOW}\n", upstream, "alipayplus")
        with session(s, tmp_path) as running:
            client = wallet.prepare_client
            client.gateway_url, client.timeout = running.url + data.GATEWAY_PATH, WALLET_TIMEOUT
            with ThreadPoolExecutor(len(FLOWS)) as pool:
                outcomes = list(pool.map(lambda f: trigger(wallet_url, AUTH + f), FLOWS))
            if fault in SILENT:  # a missing retry shows only once the retry window has passed
                while running.proxy.inflight or not running.session.queue.empty():
                    time.sleep(0.02)  # the held answer is still on its way
                time.sleep(WINDOW)
    assert running.results is not None
    assert all(o.get("outcome") in ("redirect", "error") for o in outcomes)
    return running.results


def trigger(wallet_url: str, auth_url: str) -> dict[str, Any]:
    answer = httpx.post(wallet_url + data.HARNESS_PATH, json={"authUrl": auth_url}, timeout=30)
    result: dict[str, Any] = answer.json()
    return result


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
    assert rows["PAI-REQ-AUTHURL"]["status"] == "not applicable"
    assert rows["PAI-S-REDIRECT"]["status"] == "not applicable"  # the wallet's outcome is unseen


@pytest.mark.parametrize("name", sorted(PREPARE_FAULTS))
def test_each_passively_visible_fault_is_named_by_its_requirement(
    tmp_path: Path, name: str
) -> None:
    fault = PREPARE_FAULTS[name]
    results = observed(tmp_path, name)
    assert_named(fault, results, provoked=name not in NOT_PROVOKED)
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
