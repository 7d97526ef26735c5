"""Politeness towards the target: rate, concurrency, back-off, request budget and giving up."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from aiolimiter import AsyncLimiter

from conformance.profile.limits import Limits, parse_limits

__all__ = ["Exhausted", "Limits", "Throttle", "parse_limits"]


class Exhausted(Exception):
    """The run may send no more requests (budget spent, or the target stopped answering)."""


class Throttle:
    """Lives in the client's event loop: each request passes `acquire()` before it is sent."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rate = AsyncLimiter(1, 1 / limits.rate) if limits.rate > 0 else None
        self.inflight = asyncio.Semaphore(limits.workers)
        self.sent = 0
        self.disturbed: Counter[str] = Counter()  # attempts the network spoiled, per kind
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
