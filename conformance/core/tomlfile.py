"""Reading a TOML file the user wrote (profile, waivers): one error line, and the digest of its
bytes."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from conformance.core import untrusted
from conformance.core.errors import ConfigError


def read(path: Path, error: type[ConfigError], option: str) -> tuple[dict[str, Any], str]:
    """(parsed TOML, sha256 digest of the file); problems raise `error` naming the file and the
    fix."""
    raw = untrusted.read(
        path,
        limit=untrusted.TOML_BYTES,
        what=str(path),
        error=error,
        fix=f"check the {option} path",
    )
    deep = f"nests deeper than {untrusted.NESTING} levels"
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(str(path), f"is not valid TOML ({exc})", "fix the syntax at that line")
    except RecursionError:
        # tomllib recurses once per nested array or table: deep input exhausts the stack.
        raise error(str(path), deep, "flatten it") from None
    if untrusted.depth(data) > untrusted.NESTING:
        raise error(str(path), deep, "flatten it")
    return data, "sha256:" + hashlib.sha256(raw).hexdigest()
