"""The mock gateway binds its own port and tells the test's wallet where it listens.

A profile written with `port = 0` lets the run's gateway bind a port the OS chooses; `aim` hands
the bound URL to the wallet's prepareAuthInfo client as the gateway comes up. No port is chosen,
released and then bound again by someone else (which another process may take meanwhile)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.gateway import play
from conformance.reference import data, threaded
from conformance.reference.wallet import Wallet


def aim(
    monkeypatch: pytest.MonkeyPatch, wallet: Wallet, up: Callable[[], None] | None = None
) -> None:
    """Each gateway a run serves is where `wallet` sends prepareAuthInfo; `up` runs once the
    gateway listens, before the run goes on."""
    served = threaded.serve

    @contextmanager
    def serving(app: Any, *args: Any, **options: Any) -> Iterator[str]:
        with served(app, *args, **options) as url:
            wallet.prepare_client.gateway_url = url + data.GATEWAY_PATH
            if up is not None:
                up()
            yield url

    monkeypatch.setattr(play, "serve", serving)


def harness_profile(url: str, trigger: str = "") -> str:
    """The profile of the reference wallet served at `url`: the gateway on a port the OS picks,
    the wallet's harness as the trigger (`trigger`: more lines of [trigger])."""
    return data.profile_toml(url) + (
        f'[gateway]\nport = 0\nsettle = 0\nclient_id = "{data.WALLET_CLIENT_ID}"\n'
        f"wallet_timeout = {data.CLIENT_TIMEOUT}\nmin_backoff = {data.MIN_BACKOFF}\n\n"
        f'[trigger]\npath = "{data.HARNESS_PATH}"\ntimeout = 30\n{trigger}'
    )
