"""Values of a profile table: `{ env = "NAME" }` indirection and keys given as a path or text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import ProfileError

# The official SDKs take keys as one bare base64 DER string, e.g. from a CI variable; no file path
# looks like it.
_BASE64_KEY = re.compile(r"[A-Za-z0-9+/=\s]{200,}")
KEY_FIX = "give a path relative to the profile, or PEM text"


def from_env(raw: Any, where: str) -> Any:
    """A plain value, or `{ env = "NAME" }` read from the environment."""
    if isinstance(raw, dict) and set(raw) == {"env"}:
        name = raw["env"]
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
        return path.read_bytes()
    except OSError:
        raise ProfileError(where, f"file {path} cannot be read", KEY_FIX) from None
