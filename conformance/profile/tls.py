"""TLS towards the target: verification always on, private CAs, client certificates (mutual TLS)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import certifi

from conformance.core import untrusted
from conformance.core.errors import ProfileError

CA_BYTES = 4 * untrusted.MiB  # a bundle of every public CA is about 300 KiB


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
        if self == Tls():
            return _public()
        where = "--ca-bundle / [tls] ca_bundle"
        try:
            if self.ca_bundle is None:
                ctx = ssl.create_default_context(cafile=certifi.where())
            else:  # a regular file of bounded size: never a FIFO that blocks, nor /dev/zero
                pem = untrusted.read(self.ca_bundle, limit=CA_BYTES, what=where, error=ProfileError)
                ctx = ssl.create_default_context(cadata=pem.decode("ascii", "replace"))
            where = "[tls] client_cert"
            if self.client_cert is not None:
                for path in (self.client_cert, self.client_key):
                    if path is not None:  # ssl reads them by path: checked the same way first
                        untrusted.read(
                            path, limit=untrusted.KEY_BYTES, what=where, error=ProfileError
                        )
                ctx.load_cert_chain(self.client_cert, self.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise ProfileError(
                where, f"cannot be used ({exc})", "give a readable PEM file"
            ) from None
        return ctx


@cache
def _public() -> ssl.SSLContext:
    """The context of the public CAs and no client certificate, made once: loading the bundle
    takes tens of ms, and each profile read checks its [tls] by making its context."""
    return ssl.create_default_context(cafile=certifi.where())
