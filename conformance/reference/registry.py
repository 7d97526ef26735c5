"""The fault registry: each faulty variant, by name, with the requirements that must catch it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .wallet import Wallet


@dataclass(frozen=True)
class Fault:
    name: str
    catches: tuple[str, ...]
    summary: str
    wallet: type[Wallet]
    # Further requirements the fault breaks as a direct consequence.
    also: tuple[str, ...] = ()


FAULTS: dict[str, Fault] = {}


def fault(
    name: str, *catches: str, summary: str, also: tuple[str, ...] = ()
) -> Callable[[type[Wallet]], type[Wallet]]:
    """Register a faulty wallet and the requirement(s) that must catch it."""

    def register(cls: type[Wallet]) -> type[Wallet]:
        cls.name = name
        FAULTS[name] = Fault(name, catches, summary, cls, also)
        return cls

    return register
