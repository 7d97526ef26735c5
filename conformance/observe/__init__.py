"""`conformance observe`: a reverse proxy in the path of real traffic that judges every exchange."""

from __future__ import annotations

from .serve import Running, observe
from .session import Paths
from .settings import ObserveSettings

__all__ = ["ObserveSettings", "Paths", "Running", "observe"]
