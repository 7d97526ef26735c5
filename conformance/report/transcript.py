"""The run's transcript: every exchange, redacted, one JSON object per line, in a stable order."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..results import digest


def dumps(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """Ordered by test (stable, so each test keeps its sending order) whichever worker ran it."""
    ordered = sorted(entries, key=lambda e: str(e.get("test", "")))
    # ASCII only, so no line separator inside a string can split a line for any reader.
    return "".join(json.dumps(e, ensure_ascii=True, sort_keys=True) + "\n" for e in ordered).encode(
        "ascii"
    )


def write(entries: Sequence[Mapping[str, Any]], path: Path) -> dict[str, Any]:
    """Write the transcript; return what the results document says of it."""
    data = dumps(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"file": path.name, "sha256": digest(data), "exchanges": len(entries)}
