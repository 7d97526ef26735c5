"""Helpers of the report tests: certification runs shared per session, a recording wallet, a
profile."""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.reference import data

Asgi = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
CERTIFIER = "stranger"  # a throwaway test key stands in for the certifier's
_SIGNATURE = re.compile(rb"signature=([^,\s]+)", re.IGNORECASE)


def certify_into(folder: Path, *args: str, examples: int = 3) -> tuple[int, dict[str, Any]]:
    """`conformance run` into folder; its exit code and results document."""
    report = folder / "report.html"
    code = main(["run", "-q", "--examples", str(examples), "--report", str(report), *args])
    results = report.with_name("results.json")
    return code, json.loads(results.read_text()) if results.exists() else {}


def once(
    factory: pytest.TempPathFactory, name: str, *args: str, code: int, examples: int = 3
) -> Path:
    """A run made once for the whole test session, by whichever xdist worker asks first.

    A session fixture is per worker under xdist: six workers made each run six times. The
    runs' folders are only read (or copied) by the tests that use them."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the session's own
    folder = root / f"shared-{name}"
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "results.json").exists():
            folder.mkdir(exist_ok=True)
            made, _ = certify_into(folder, *args, examples=examples)
            assert made == code, f"the {name} run exited {made}"
    return folder


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CERTIFIED run of the reference wallet."""
    return once(tmp_path_factory, "reference", code=0)


@pytest.fixture(scope="session")
def signed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CERTIFIED run of the reference wallet signed with the certifier's key (CERTIFIER)."""
    key = str(data.testdata(f"{CERTIFIER}-private.pem"))
    return once(tmp_path_factory, "signed", "--sign-key", key, code=0, examples=1)


@pytest.fixture(scope="session")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NOT CERTIFIED run: the wallet discloses userLoginId without its scope (a MUST)."""
    return once(tmp_path_factory, "faulty", "--fault", "scope-leak", code=1)


def recording(app: Asgi, seen: list[bytes]) -> Asgi:
    """Wrap an ASGI app to keep every signature value it receives or sends."""

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            seen.extend(
                m
                for k, v in scope["headers"]
                if k.lower() == b"signature"
                for m in _SIGNATURE.findall(v)
            )

        async def keep(message: Any) -> None:
            if message["type"] == "http.response.start":
                seen.extend(
                    m
                    for k, v in message.get("headers", [])
                    if k.lower() == b"signature"
                    for m in _SIGNATURE.findall(v)
                )
            await send(message)

        await app(scope, receive, keep)

    return wrapped


def env_profile(base_url: str, env: MutableMapping[str, str], levels: str = "") -> str:
    """The reference profile with every token and the suite's private key read from the
    environment."""
    text = data.profile_toml(base_url)
    for i, seed in enumerate(data.SEEDS):
        env[f"MPP_TEST_TOKEN_{i}"] = seed.token
        text = text.replace(
            f'access_token = "{seed.token}"', f'access_token = {{ env = "MPP_TEST_TOKEN_{i}" }}'
        )
    env["MPP_TEST_SUITE_KEY"] = data.testdata("alipayplus-private.pem").read_text()
    key_line = next(line for line in text.splitlines() if line.startswith("suite_private_key"))
    text = text.replace(key_line, 'suite_private_key = { env = "MPP_TEST_SUITE_KEY" }')
    return text + (f"\n[requirements]\n{levels}\n" if levels else "")
