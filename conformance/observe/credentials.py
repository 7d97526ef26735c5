"""Headers that carry a credential, known by name: their values never reach an observe output.

The proxy forwards them unchanged; only what it writes (transcript, report, results, console)
shows `[redacted]` in their place. Which names carry one is `redact.is_credential`'s to say, for
every output of the suite alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from conformance.core.model import Exchange, Message
from conformance.core.redact import HEADER_TAG as MASK
from conformance.core.redact import is_credential

M = TypeVar("M", bound=Message)


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
