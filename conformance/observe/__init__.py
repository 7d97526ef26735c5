"""`conformance observe`: a reverse proxy in the path of real traffic that judges every exchange."""

from __future__ import annotations

from conformance.observe.serve import Running, observe
from conformance.observe.session import Paths
from conformance.observe.settings import ObserveSettings

__all__ = ["ObserveSettings", "Paths", "Running", "observe"]
