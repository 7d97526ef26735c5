"""An embedded reference server in a process of its own.

A certification of the embedded reference is CPU-bound on both sides: the suite draws, signs and
judges; the server verifies, validates and signs. In one process they take turns on one
interpreter lock; apart, each has a core. The child serves until its standard input closes, so it
never outlives the run, even one that is killed.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROLES = ("wallet", "alipayplus")
STARTUP = 30.0  # seconds for the child to import and bind; a loaded machine is slow


_STARTED: dict[tuple[str, str], subprocess.Popen[str]] = {}


def prestart(role: str, variant: str | None) -> None:
    """Start the child now, so it imports and binds while the suite starts up; `serve_apart`
    takes it, and one never taken ends with the run."""
    key = (role, variant or "reference")
    if key not in _STARTED:
        _STARTED[key] = _spawn(*key)


@atexit.register
def _stop_unused() -> None:
    while _STARTED:
        _stop(_STARTED.popitem()[1])


def _spawn(role: str, variant: str) -> subprocess.Popen[str]:
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    package_root = str(Path(__file__).resolve().parents[2])  # the same package in the child
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", __name__, role, variant],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
        text=True,
    )


def _stop(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.close()  # the child's signal to stop
    try:
        child.wait(STARTUP)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@contextmanager
def serve_apart(role: str, variant: str | None) -> Iterator[str]:
    """Yield the base URL of the reference server (or the variant named) of a role, served by a
    child process."""
    key = (role, variant or "reference")
    child = _STARTED.pop(key, None) or _spawn(*key)
    assert child.stdout is not None
    try:
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the reference {role} did not start (exit {child.wait(STARTUP)})")
        yield url
    finally:
        _stop(child)


def main(argv: list[str]) -> None:
    """In the child: serve, print the URL, and stop when standard input closes."""
    from conformance.reference.faults import make_server, make_wallet
    from conformance.reference.threaded import serve

    role, variant = argv
    service = make_wallet(variant) if role == "wallet" else make_server(variant)
    with serve(service.app()) as url:
        print(url, flush=True)
        sys.stdin.read()
        # Every exchange is over once the run closes stdin: end now, with no graceful shutdown
        # for the run to wait on (half a second).
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
