"""prepareAuthInfo flows side by side: `[trigger] parallel` lets the next flows start while one is
judged; a flow that measures back-off is always played alone; the verdicts stay the same."""

from __future__ import annotations

import asyncio
import json
import threading
import tomllib
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from conformance import profile as profiles
from conformance.core.errors import ProfileError
from conformance.gateway.play import Underway, settle_left
from conformance.gateway.scenarios import SCENARIOS
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve

from .conftest import Certify, statuses
from .gateway_port import aim, harness_profile
from .reporting import Asgi

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PLAYED = ("success", "f-PROCESS_FAIL", "f-ACCESS_DENIED", "u-persistent", "malformed-body")
TIMED = {"u-persistent"}  # its verdict measures the back-off after REQUEST_TRAFFIC_EXCEED_LIMIT


class Watched:
    """The reference wallet's app; each flow its harness starts is logged with the flows then in
    progress."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.running: set[str] = set()
        self.starts: list[tuple[str, frozenset[str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") != data.HARNESS_PATH:
            return await self.app(scope, receive, send)
        message = await receive()  # the trigger's small body comes in one message
        name = json.loads(message["body"])["scenario"]
        self.running.add(name)
        self.starts.append((name, frozenset(self.running)))
        await asyncio.sleep(0.2)  # a harness slower than the suite: flows started ahead overlap

        async def again() -> MutableMapping[str, Any]:
            return message

        try:
            await self.app(scope, again, send)
        finally:
            self.running.discard(name)


def _run(
    certify: Certify, tmp_path: Path, parallel: int | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[Watched, dict[str, Any]]:
    wallet = make_wallet(None)
    aim(monkeypatch, wallet)
    watched = Watched(wallet.app())
    with serve(watched) as url:
        profile = tmp_path / "wallet.toml"
        extra = f"parallel = {parallel}\n" if parallel is not None else ""
        profile.write_text(harness_profile(url, extra), encoding="utf-8")
        only = [arg for name in PLAYED for arg in ("--only", f"test_wallet_flow[{name}]")]
        _, results = certify("--profile", str(profile), *only)
    assert statuses(results, "failed", "warned") == set()
    assert {"PAI-S-REDIRECT", "PAI-F-NO-RETRY", "PAI-RETRY-BACKOFF"} <= statuses(results, "passed")
    assert sorted(name for name, _ in watched.starts) == sorted(PLAYED)
    return watched, results


def test_by_default_flows_are_played_one_at_a_time(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched, _ = _run(certify, tmp_path, None, monkeypatch)
    assert all(running == {name} for name, running in watched.starts)


def test_parallel_flows_overlap_but_a_timed_flow_runs_alone(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched, _ = _run(certify, tmp_path, 4, monkeypatch)
    assert max(len(running) for _, running in watched.starts) > 1
    for name, running in watched.starts:
        if name in TIMED:
            assert running == {name}, f"{name} started beside {sorted(running - {name})}"
        else:
            assert not running & TIMED, f"{name} started during {sorted(running & TIMED)}"


@pytest.mark.parametrize("value", [0, 65, 2.5, "4", True])
def test_parallel_is_a_whole_number_of_flows(value: object, tmp_path: Path) -> None:
    text = data.profile_toml("http://127.0.0.1:9", 0).replace(
        "parallel = 32", f"parallel = {json.dumps(value)}"
    )
    with pytest.raises(ProfileError) as info:
        profiles.parse(tomllib.loads(text), tmp_path)
    assert str(info.value).startswith("[trigger] parallel") and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("ended", "left"),
    [([], 1.0), ([100.0], 0.75), ([99.0], 0.0), ([98.0], 0.0)],
    ids=["never-reported", "just-reported", "window-passed", "long-ago"],
)
def test_the_settle_window_runs_from_the_flows_report(ended: list[float], left: float) -> None:
    underway = Underway(SCENARIOS["success"], "n", "u", threading.Thread(), [], 0.0, ended)
    assert settle_left(underway, 1.0, now=100.25) == left
