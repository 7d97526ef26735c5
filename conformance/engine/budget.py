"""A bound on shrinking: each shrink step is a request, so a failing property gets a fixed
number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from conformance.core.errors import ConformanceFailure

T = TypeVar("T")
SHRINK_REQUESTS = 12


def _key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def bounded(test: Callable[[T], Any], budget: int = SHRINK_REQUESTS) -> Callable[[T], None]:
    """After the first failure, allow `budget` more calls; then only known failures fail, with no
    request.

    Shrinking stops improving once the budget is spent, and the final replay of the smallest
    failing example raises its recorded failure again, so the evidence is that example's exchange.
    """
    failures: dict[Any, ConformanceFailure] = {}
    spent: list[int] = []  # empty until the first failure

    def run(value: T) -> None:
        __tracebackhide__ = True
        key = _key(value)
        if spent and spent[0] >= budget:
            if key in failures:
                raise failures[key]
            return
        if spent:
            spent[0] += 1
        try:
            test(value)
        except ConformanceFailure as exc:
            failures[key] = exc
            if not spent:
                spent.append(0)
            raise

    return run
