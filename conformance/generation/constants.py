"""Draws that depend on the seed alone, not on what else the process has imported.

Hypothesis mixes into one draw in twenty a constant read from the source of every *local* module
loaded in the process (any module outside site-packages and the standard library, test files
aside). The suite's requests would then change with the modules a run happens to have loaded: a
wallet team's own code when the plugin runs in their project, the package itself in a checkout,
and which of its modules a command imported first. Hypothesis offers no setting for it, so this
module is the one place that reaches into its internals: while the suite draws (`seed_only`), the
pool of local constants is empty (its built-in constants, the same in every process, still
apply); and a suite property keeps no example-database key (`keyless`).
`tests/test_generation_constants.py` fails if those internals change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from hypothesis.internal.conjecture import providers

F = TypeVar("F", bound=Callable[[], None])


def keyless(test: F) -> F:
    """The property with no example-database key: the suite keeps no database, and hypothesis
    would otherwise hash the test's source for one on every run (schemathesis does the same)."""
    test._hypothesis_internal_database_key = None  # type: ignore[attr-defined]
    return test


class _NoConstants:
    """The pool of local constants, empty: what hypothesis asks of it is the set of each type."""

    def set_for_type(self, choice_type: str) -> tuple[()]:
        return ()


@contextmanager
def seed_only() -> Iterator[None]:
    """Within, hypothesis draws no constant from the process's local modules (should a later
    hypothesis move what this relies on, draws are left as hypothesis makes them)."""
    if not all(hasattr(providers, name) for name in ("_get_local_constants", "CONSTANTS_CACHE")):
        yield
        return
    saved, empty = providers._get_local_constants, _NoConstants()
    providers._get_local_constants = lambda: empty  # type: ignore[assignment,return-value]
    providers.CONSTANTS_CACHE.cache.clear()  # permitted constants, cached with the local ones
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()
