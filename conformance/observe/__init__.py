"""`conformance observe`: a reverse proxy in the path of real traffic that judges every exchange."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.observe.serve import Running, observe
    from conformance.observe.session import Paths
    from conformance.observe.settings import ObserveSettings

__all__ = ["ObserveSettings", "Paths", "Running", "observe"]
# Imported when first named: a command that only builds its parser (every `conformance` command
# does, for all of them) reads `observe.bounds` without loading the proxy and its judge.
_HOMES = {
    "ObserveSettings": "settings",
    "Paths": "session",
    "Running": "serve",
    "observe": "serve",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
