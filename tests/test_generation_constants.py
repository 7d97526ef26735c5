"""The suite's draws depend on the seed alone: a local module loaded into the process (a wallet
team's own code, beside the plugin) changes none of them (conformance/generation/constants.py)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import hypothesis.core
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.internal.reflection import function_digest

from conformance.generation.constants import keyless, seed_only

# Constants a wallet team's module might hold; hypothesis would draw them now and then.
TEAM_CONSTANTS = tuple(range(900_001, 900_041))


def _draws(quiet: bool) -> list[int]:
    drawn: list[int] = []

    @seed(20261204)
    @settings(max_examples=300, database=None, derandomize=False)
    @given(st.integers(0, 10**6))
    def collect(value: int) -> None:
        drawn.append(value)

    if quiet:
        with seed_only():
            collect()
    else:
        collect()
    return drawn


def test_what_it_relies_on_is_still_there() -> None:
    # If a hypothesis release moves these, seed_only silently does nothing: this says so.
    assert callable(providers._get_local_constants)
    assert hasattr(providers.CONSTANTS_CACHE, "cache")


def test_a_local_module_loaded_changes_no_draw(tmp_path: Path) -> None:
    before = _draws(quiet=True)
    (tmp_path / "team_wallet_limits.py").write_text(f"LIMITS = {list(TEAM_CONSTANTS)!r}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module("team_wallet_limits")
        assert _draws(quiet=True) == before
        # Without it, hypothesis draws the module's constants: what the suite must not do.
        assert set(_draws(quiet=False)) & set(TEAM_CONSTANTS)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("team_wallet_limits", None)


def test_a_keyless_property_never_digests_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    digested: list[object] = []
    real = function_digest

    def digest(test: object) -> bytes:
        digested.append(test)
        return real(test)

    monkeypatch.setattr(hypothesis.core, "function_digest", digest)

    def prop() -> Callable[[], None]:
        @seed(1)
        @settings(max_examples=2, database=None)
        @given(st.integers())
        def run(value: int) -> None:
            pass

        return run

    keyless(prop())()  # what the recorder runs: no key, so no digest
    assert digested == []
    prop()()  # hypothesis's own way: it hashes the test's source for a key
    assert digested
