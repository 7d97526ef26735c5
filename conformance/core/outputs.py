"""Where a command writes: every path checked, and its folder made, before the work starts, so a
place that cannot take a file is a usage error, not a run lost at its end."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _why(path: Path) -> str | None:
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    return "it is a folder" if path.is_dir() else None


def unwritable(paths: Mapping[str, Path], fix: str = "choose another {option}") -> str | None:
    """One line naming the first path that cannot be written, why, and the fix (by default, the
    option that places it); None when each can, its folder made. Nothing is made unless every
    path passes the checks that need no writing."""
    for option, path in paths.items():
        why = _why(path)
        if why is not None:
            return f"cannot write {path} ({why}); {fix.format(option=option)}"
    for option, path in paths.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            probe = path.with_name(f".{path.name}.{os.getpid()}.writable")  # one per process
            probe.touch()
            probe.unlink(missing_ok=True)
        except OSError as exc:
            return f"cannot write {path} ({exc.strerror or exc}); {fix.format(option=option)}"
    return None
