"""What the sender takes from outside asyncio's public API, held to it: the private queue of
ready callbacks its spin reads, and sniffio made absent at once for httpcore."""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

import httpcore
import httpx
import pytest

from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve
from conformance.transport import sender


def test_the_loop_tells_whether_callbacks_are_ready() -> None:
    """spin() stops once nothing is ready; on a CPython whose loops stop keeping `_ready` as the
    queue of ready callbacks, this fails (spin would still be right, but slower)."""
    loop = asyncio.new_event_loop()
    try:
        assert not sender.has_ready(loop)
        loop.call_soon(lambda: None)
        assert sender.has_ready(loop)
        loop.call_soon(loop.stop)
        loop.run_forever()  # one iteration runs both
        assert not sender.has_ready(loop)
        loop.call_soon(lambda: loop.call_soon(lambda: None))  # a callback scheduling another
        loop.call_soon(loop.stop)
        loop.run_forever()
        assert sender.has_ready(loop)
    finally:
        loop.close()


def test_a_loop_that_cannot_tell_counts_as_ready() -> None:
    assert sender.has_ready(object())  # type: ignore[arg-type]


class Counting(importlib.abc.MetaPathFinder):
    """Counts the searches for one module name."""

    def __init__(self, name: str) -> None:
        self.name, self.searches = name, 0

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.searches += fullname == self.name


@pytest.mark.skipif(importlib.util.find_spec("sniffio") is not None, reason="sniffio installed")
def test_without_sniffio_httpcore_asks_once_per_process_not_per_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ask = httpcore._synchronization.current_async_library  # what each lock and event calls
    finder = Counting("sniffio")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    assert sys.modules["sniffio"] is None  # set when the sender was imported
    assert [ask(), ask()] == ["asyncio", "asyncio"] and finder.searches == 0
    monkeypatch.delitem(sys.modules, "sniffio")  # what httpcore would do each time without it
    assert [ask(), ask()] == ["asyncio", "asyncio"] and finder.searches == 2


def test_httpx_pool_works_without_sniffio() -> None:
    """A request through httpcore's async pool (a proxied origin, the reference wallet's client)
    with sniffio made absent."""

    async def get(url: str) -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            return (await http.get(url + "/nothing")).status_code

    assert sys.modules.get("sniffio", ...) in (None, ...)
    with serve(make_wallet(None).app()) as url:
        assert asyncio.run(get(url)) == 404
