"""Values of a profile table: `{ env = "NAME" }` indirection and keys given as a path or text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from conformance.core import untrusted
from conformance.core.errors import ProfileError

# The official SDKs take keys as one bare base64 DER string, e.g. from a CI variable; no file path
# looks like it.
_BASE64_KEY = re.compile(r"[A-Za-z0-9+/=\s]{200,}")
KEY_FIX = "give a path relative to the profile, or PEM text"


def from_env(raw: Any, where: str) -> Any:
    """A plain value, or `{ env = "NAME" }` read from the environment."""
    if isinstance(raw, dict) and set(raw) == {"env"}:
        name = raw["env"]
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ProfileError(
                where,
                "names no environment variable (env must be a variable's name)",
                'write { env = "NAME" }',
            )
        if name not in os.environ:
            raise ProfileError(
                where,
                f"names environment variable {name} which is not set",
                f"export {name}=... before the run",
            )
        return os.environ[name]
    return raw


def key_bytes(raw: str, base: Path, where: str) -> bytes:
    """The bytes of a key given as PEM or base64 text, or as a path relative to the profile."""
    if raw.lstrip().startswith("-----BEGIN") or _BASE64_KEY.fullmatch(raw.strip()):
        return raw.encode()
    path = Path(raw)
    path = path if path.is_absolute() else base / path
    try:
        return untrusted.read(
            path, limit=untrusted.KEY_BYTES, what=where, error=ProfileError, fix=KEY_FIX
        )
    except ProfileError as exc:
        # A missing file reads "cannot be read", without the system's words.
        problem = (
            exc.problem.partition(" (")[0] if exc.problem.startswith("cannot") else exc.problem
        )
        raise ProfileError(where, f"file {path} {problem}", KEY_FIX) from None
