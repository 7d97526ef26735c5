"""Values of a profile table: `{ env = "NAME" }` indirection and keys given as a path or text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .. import signing
from ..errors import ProfileError

_BASE64_KEY = re.compile(r"[A-Za-z0-9+/=\s]{200,}")


def _value(raw: Any, where: str) -> Any:
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


def _key_bytes(raw: str, base: Path) -> bytes:
    if raw.lstrip().startswith("-----BEGIN") or _BASE64_KEY.fullmatch(raw.strip()):
        return raw.encode()
    path = Path(raw)
    path = path if path.is_absolute() else base / path
    try:
        return path.read_bytes()
    except OSError:
        raise ProfileError("", f"file {path} cannot be read", "")


def load_key(raw: str, base: Path, private: bool, where: str) -> Any:
    """The RSA key a profile value names (a path relative to the profile, or PEM text)."""
    try:
        data = _key_bytes(raw, base)
    except ProfileError as exc:
        raise ProfileError(where, exc.problem, "give a path relative to the profile, or PEM text")
    try:
        return signing.load_private_key(data) if private else signing.load_public_key(data)
    except (ValueError, TypeError) as exc:
        kind = (
            "an RSA private key (PKCS#1 or PKCS#8)"
            if private
            else "an RSA public key (X.509 SubjectPublicKeyInfo)"
        )
        raise ProfileError(where, f"is not {kind}: {exc}", "export the key as unencrypted PEM")
