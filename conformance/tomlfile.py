"""Reading a TOML file the user wrote (profile, waivers): one error line, and the digest of its
bytes."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError


def read(path: Path, error: type[ConfigError], option: str) -> tuple[dict[str, Any], str]:
    """(parsed TOML, sha256 digest of the file); problems raise `error` naming the file and the
    fix."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(str(path), f"cannot be read ({exc.strerror})", f"check the {option} path")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(str(path), f"is not valid TOML ({exc})", "fix the syntax at that line")
    return data, "sha256:" + hashlib.sha256(raw).hexdigest()
