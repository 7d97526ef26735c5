"""Errors on stderr, rate-limited: one line per kind of error per interval, never a traceback.

A flood of hostile connections must not become a flood of output: the first error of a kind is
printed at once, the next only when the interval has passed, saying how many were held back.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from conformance.core.sinks import for_terminal

PREFIX = "conformance observe: "


def to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Throttled:
    """Call with a kind and a message; prints at most one line per kind per `every` seconds,
    redacted (an exception's message may quote what a client sent)."""

    def __init__(
        self,
        every: float,
        write: Callable[[str], None] = to_stderr,
        clock: Callable[[], float] = time.monotonic,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.every, self.write, self.clock, self.redact = every, write, clock, redact
        self.lock = threading.Lock()
        self.last: dict[str, float] = {}  # kind -> when its last line was printed
        self.held: dict[str, int] = {}  # kind -> errors since, not printed

    def __call__(self, kind: str, message: str) -> None:
        now = self.clock()
        with self.lock:
            last = self.last.get(kind)
            if last is not None and now - last < self.every:
                self.held[kind] = self.held.get(kind, 0) + 1
                return
            held = self.held.pop(kind, 0)
            self.last[kind] = now
        more = f" (and {held} more in {now - last:.1f} s)" if held and last is not None else ""
        try:
            self.write(PREFIX + for_terminal(self.redact(f"{kind}: {message}")) + more)
        except (OSError, ValueError):
            pass  # stderr closed or full: the error is counted in the report all the same
