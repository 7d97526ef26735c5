"""The suite's draws depend on the seed alone: a local module loaded into the process (a wallet
team's own code, beside the plugin) changes none of them (conformance/generation/constants.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from conformance.generation.constants import seed_only

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
