"""Politeness towards the target: rate, concurrency, back-off, request budget and giving up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from aiolimiter import AsyncLimiter

from .errors import ProfileError

# A staging wallet is shared with other teams; 20 requests a second is gentle on any of them.
DEFAULT_RATE = 20.0
DEFAULT_WORKERS = 8


class Exhausted(Exception):
    """The run may send no more requests (budget spent, or the target stopped answering)."""


@dataclass(frozen=True)
class Limits:
    """How hard the suite may press the target; the profile's [limits] table, CLI options
    override."""

    rate: float = DEFAULT_RATE  # requests per second over all workers; 0 means unlimited
    workers: int = DEFAULT_WORKERS  # requests in flight at once
    max_requests: int = 0  # total requests of the run, retries included; 0 means no budget
    retries: int = 3  # re-sends of one case answered with resultStatus U or HTTP 429/503
    backoff: float = 0.25  # seconds; the n-th re-send waits up to backoff * 2**n, jittered
    backoff_max: float = 8.0
    give_up_after: int = 20  # consecutive requests without an HTTP answer before the run stops

    def override(self, **values: Any) -> Limits:
        """These limits with every value that is not None replaced."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def split(self, parts: int) -> Limits:
        """One share of these limits, for one of `parts` processes sharing the target."""
        if parts <= 1:
            return self
        return replace(
            self,
            rate=self.rate / parts,
            max_requests=-(-self.max_requests // parts) if self.max_requests else 0,
        )


_BOUNDS: Mapping[str, tuple[type, float, float, str]] = {
    "rate": (float, 0, 10_000, "rate = 20  # requests per second, 0 for unlimited"),
    "workers": (int, 1, 256, "workers = 8"),
    "max_requests": (int, 0, 10**9, "max_requests = 5000  # 0 for no budget"),
    "retries": (int, 0, 10, "retries = 3"),
    "backoff": (float, 0, 60, "backoff = 0.25"),
    "backoff_max": (float, 0, 600, "backoff_max = 8"),
    "give_up_after": (int, 1, 10**6, "give_up_after = 20"),
}


def parse_limits(raw: Any) -> Limits:
    """The profile's optional [limits] table; every problem is one ProfileError line."""
    if not isinstance(raw, dict):
        raise ProfileError("[limits]", "must be a table", "write [limits] with rate = 20")
    known = {f.name for f in fields(Limits)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ProfileError(
                f"[limits].{key}", "is not a known limit", f"use one of {', '.join(sorted(known))}"
            )
        kind, low, high, hint = _BOUNDS[key]
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or (kind is int and not isinstance(value, int)) or not low <= value <= high:
            raise ProfileError(
                f"[limits].{key}",
                f"must be {'an integer' if kind is int else 'a number'} in [{low:g}, {high:g}]",
                f"write {hint}",
            )
        values[key] = kind(value)
    return Limits(**values)


class Throttle:
    """Lives in the client's event loop: each request passes `acquire()` before it is sent."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rate = AsyncLimiter(1, 1 / limits.rate) if limits.rate > 0 else None
        self.inflight = asyncio.Semaphore(limits.workers)
        self.sent = 0
        self.silent = 0  # consecutive requests without an HTTP answer
        self.paused_until = 0.0
        self.stopped: str | None = None

    def check(self) -> None:
        """Raise Exhausted when the run may send nothing more."""
        if (
            self.stopped is None
            and self.limits.max_requests
            and self.sent >= self.limits.max_requests
        ):
            self.stopped = f"the request budget of {self.limits.max_requests} requests is spent"
        if self.stopped is not None:
            raise Exhausted(self.stopped)

    async def acquire(self) -> None:
        """Wait for a pause to end and for the rate; then count the request against the budget."""
        while (wait := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        if self.rate is not None:
            await self.rate.acquire()
        self.check()
        self.sent += 1

    def pause(self, seconds: float) -> None:
        """Hold every worker back, as a wallet that says its traffic limit is exceeded asks."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def answered(self, ok: bool) -> None:
        self.silent = 0 if ok else self.silent + 1
        if self.silent >= self.limits.give_up_after and self.stopped is None:
            self.stopped = f"the target gave no HTTP answer to {self.silent} requests in a row"
