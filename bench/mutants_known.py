"""Survivors looked at, by mutant key: (missing probe | lenient check | equivalent, why)."""

from __future__ import annotations

KNOWN: dict[str, tuple[str, str]] = {}
