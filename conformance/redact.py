"""Redaction: access tokens become a prefix plus a hash; signatures and keys never appear."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_SIGNATURE = re.compile(r"(signature=)[^,\s\"']+", re.IGNORECASE)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)


def token_tag(secret: str) -> str:
    """A short, stable stand-in for a secret: its first characters and a hash."""
    return f"{secret[:4]}…[sha256:{hashlib.sha256(secret.encode()).hexdigest()[:8]}]"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, token_tag(secret))
        text = _SIGNATURE.sub(r"\1[redacted]", text)
        return _PEM.sub("[private key redacted]", text)
