"""Headers that carry a credential, known by name: their values never reach an observe output.

The proxy forwards them unchanged; only what it writes (transcript, report, results, console)
shows `[redacted]` in their place. A name is a credential's when it holds one of the parts below,
in any case: `X-Api-Key`, `Authorization`, `Set-Cookie`, `X-Session-Id`, `X-Client-Secret`...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from ..model import Exchange, Message

MASK = "[redacted]"
M = TypeVar("M", bound=Message)
_PARTS = re.compile(r"api-?key|token|secret|auth|cookie|password|passwd|session", re.IGNORECASE)


def is_credential(name: str) -> bool:
    """Whether a header of this name carries a credential."""
    return _PARTS.search(name) is not None


def values(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The values of the credential headers among these."""
    return [v for k, v in headers if is_credential(k)]


def _masked(message: M) -> M:
    headers = tuple((k, MASK if is_credential(k) else v) for k, v in message.headers)
    return replace(message, headers=headers)


def masked(ex: Exchange) -> Exchange:
    """The exchange as an output shows it: each credential header's value replaced."""
    response = None if ex.response is None else _masked(ex.response)
    return replace(ex, request=_masked(ex.request), response=response)
