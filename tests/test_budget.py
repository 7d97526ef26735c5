"""Shrinking is bounded in requests, and the smallest failure found is still raised at the end."""

from __future__ import annotations

import pytest

from conformance.core.errors import ConformanceFailure
from conformance.engine.budget import bounded


def test_after_the_budget_only_known_failures_fail_and_nothing_is_called() -> None:
    calls: list[int] = []

    def always_fails(value: int) -> None:
        calls.append(value)
        raise ConformanceFailure(("IUI-X",), str(value))

    run = bounded(always_fails, budget=3)
    for v in range(4):  # the first failure, then the three the budget allows
        with pytest.raises(ConformanceFailure):
            run(v)
    assert run(99) is None  # an unseen value passes without a call
    with pytest.raises(ConformanceFailure, match="2"):
        run(2)  # a failure already seen fails again without a call
    assert calls == [0, 1, 2, 3]


def test_passing_values_are_not_counted_before_the_first_failure() -> None:
    calls: list[int] = []
    run = bounded(calls.append, budget=1)
    for v in range(10):
        run(v)
    assert calls == list(range(10))
