"""TLS towards the target: verification always on, private CAs, client certificates (mutual TLS)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import certifi

from .errors import ProfileError


@dataclass(frozen=True)
class Tls:
    """The profile's optional [tls] table; `--ca-bundle` overrides ca_bundle."""

    ca_bundle: Path | None = None  # PEM file of the CAs to trust instead of the public ones
    client_cert: Path | None = None  # PEM certificate (chain) presented to the wallet
    client_key: Path | None = None  # its private key, when not in client_cert

    def with_ca_bundle(self, path: Path | None) -> Tls:
        return self if path is None else replace(self, ca_bundle=path)

    def context(self) -> ssl.SSLContext:
        """A verifying client context; a file that cannot be used is a ProfileError."""
        where = "--ca-bundle / [tls].ca_bundle"
        try:
            ctx = ssl.create_default_context(cafile=str(self.ca_bundle or certifi.where()))
            where = "[tls].client_cert"
            if self.client_cert is not None:
                ctx.load_cert_chain(self.client_cert, self.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise ProfileError(
                where, f"cannot be used ({exc})", "give a readable PEM file"
            ) from None
        return ctx


def _path(table: dict[str, Any], key: str, base: Path) -> Path | None:
    raw = table.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise ProfileError(f"[tls].{key}", "must be a path", f'write {key} = "tls/{key}.pem"')
    path = Path(raw) if Path(raw).is_absolute() else base / raw
    if not path.is_file():
        raise ProfileError(
            f"[tls].{key}",
            f"file {path} does not exist",
            "give a path relative to the profile's folder",
        )
    return path


def parse_tls(raw: Any, base: Path) -> Tls:
    """Read [tls]; paths resolve against the profile's folder and are checked by loading them."""
    if not isinstance(raw, dict):
        raise ProfileError("[tls]", "must be a table", 'write [tls] with ca_bundle = "ca.pem"')
    unknown = set(raw) - {"ca_bundle", "client_cert", "client_key"}
    if unknown:
        raise ProfileError(
            f"[tls].{min(unknown)}",
            "is not a known TLS setting",
            "use ca_bundle, client_cert or client_key",
        )
    tls = Tls(*(_path(raw, k, base) for k in ("ca_bundle", "client_cert", "client_key")))
    if tls.client_key is not None and tls.client_cert is None:
        raise ProfileError(
            "[tls].client_key", "is given without client_cert", 'add client_cert = "..."'
        )
    tls.context()
    return tls
