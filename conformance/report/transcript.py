"""The run's transcript: every exchange, redacted, one JSON object per line, in a stable order."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.results.fold import digest


def dumps(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """Ordered by test (stable, so each test keeps its sending order) whichever worker ran it."""
    ordered = sorted(entries, key=lambda e: str(e.get("test", "")))
    # ASCII only, so no line separator inside a string can split a line for any reader.
    return "".join(json.dumps(e, ensure_ascii=True, sort_keys=True) + "\n" for e in ordered).encode(
        "ascii"
    )


def write(
    entries: Sequence[Mapping[str, Any]], path: Path, results: Path | None = None
) -> dict[str, Any]:
    """Write the transcript; return what the results document says of it (its path relative to
    the results document's folder)."""
    data = dumps(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    where = os.path.relpath(path, results.parent) if results is not None else path.name
    return {"file": Path(where).as_posix(), "sha256": digest(data), "exchanges": len(entries)}
