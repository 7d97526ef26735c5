"""A trigger whose answer the network spoils (an intermediary's 502 page, a connection cut short):
the flow says nothing of the wallet, so it is played again with a fresh authUrl, counted among the
run's disturbances; a trigger the network never lets through still fails PAI-TRIGGER."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve

from .conftest import Certify, statuses
from .gateway_port import aim, harness_profile
from .reporting import Asgi

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
PLAYED = ("success", "f-PROCESS_FAIL", "u-UNKNOWN_EXCEPTION")


async def _page(send: Send) -> None:
    """What a load balancer answers when the harness behind it is away."""
    await send({"type": "http.response.start", "status": 502, "headers": []})
    await send({"type": "http.response.body", "body": b"<html>502 Bad Gateway</html>"})


async def _cut(send: Send) -> None:
    """An answer cut short: the connection closes mid-body."""
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
    await send(start)
    await send({"type": "http.response.body", "body": b'{"outcome"', "more_body": True})


class Spoiling:
    """The reference wallet's app; the first `spoiled` answers of its harness to each flow's
    trigger (the flow has run) never reach the suite: `lose` answers instead."""

    def __init__(self, app: Asgi, spoiled: int, lose: Callable[[Send], Awaitable[None]]) -> None:
        self.app, self.spoiled, self.lose = app, spoiled, lose
        self.flows: list[str] = []  # the scenario of each flow the trigger started

    async def __call__(self, scope: Message, receive: Any, send: Send) -> None:
        if scope.get("path") != data.HARNESS_PATH:
            return await self.app(scope, receive, send)
        message: Message = await receive()  # the trigger's small body comes in one message
        try:
            scenario = json.loads(message["body"]).get("scenario")
        except ValueError:  # the preflight's check of the harness
            scenario = None

        async def again() -> Message:
            return message

        async def swallowed(message: Message) -> None:
            """The harness's own answer, lost on the way."""

        if scenario in PLAYED:
            self.flows.append(scenario)
            if len(self.flows) <= self.spoiled:
                await self.app(scope, again, swallowed)  # the flow runs to its end
                return await self.lose(send)
        return await self.app(scope, again, send)


def _run(
    certify: Certify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spoiling: Callable[[Asgi], Spoiling],
    scenario: str,
    retries: int = 3,
) -> tuple[Spoiling, tuple[int, dict[str, Any]]]:
    wallet = make_wallet(None)
    aim(monkeypatch, wallet)
    app = spoiling(wallet.app())
    with serve(app) as url:
        profile = tmp_path / "wallet.toml"
        text = harness_profile(url) + f"\n[limits]\nretries = {retries}\n"
        profile.write_text(text, encoding="utf-8")
        run = certify("--profile", str(profile), "--only", f"test_wallet_flow[{scenario}]")
    return app, run


@pytest.mark.parametrize("scenario", PLAYED)
@pytest.mark.parametrize(("lose", "kind"), [(_page, "502 page"), (_cut, "reset")])
def test_a_flow_whose_outcome_the_network_lost_is_played_again(
    certify: Certify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scenario: str,
    lose: Callable[[Send], Awaitable[None]],
    kind: str,
) -> None:
    app, (_, results) = _run(
        certify, tmp_path, monkeypatch, lambda a: Spoiling(a, 2, lose), scenario
    )
    assert app.flows == [scenario] * 3  # twice lost, then the outcome the suite judges
    assert statuses(results, "failed", "warned") == set()
    assert "PAI-TRIGGER" in statuses(results, "passed")
    assert results["run"]["disturbances"]["kinds"] == {kind: 2}


def test_a_trigger_the_network_never_lets_through_fails_after_the_retries(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, (_, results) = _run(
        certify, tmp_path, monkeypatch, lambda a: Spoiling(a, 99, _page), "success", retries=1
    )
    assert app.flows == ["success"] * 2  # played, lost, played again, lost: judged as it stands
    assert "PAI-TRIGGER" in statuses(results, "failed")
