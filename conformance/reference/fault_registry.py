"""The fault registry: each faulty variant, by name, with the requirements that must catch it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from conformance.reference.pipeline import Pipeline
from conformance.reference.wallet import Wallet

# A faulty wallet business, or a faulty protocol pipeline (composed with the wallet's business).
V = TypeVar("V", type[Wallet], type[Pipeline])


@dataclass(frozen=True)
class Fault:
    name: str
    catches: tuple[str, ...]
    summary: str
    wallet: type[Wallet]
    # Further requirements the fault breaks as a direct consequence.
    also: tuple[str, ...] = ()


FAULTS: dict[str, Fault] = {}


def fault(name: str, *catches: str, summary: str, also: tuple[str, ...] = ()) -> Callable[[V], V]:
    """Register a faulty wallet and the requirement(s) that must catch it."""

    def register(cls: V) -> V:
        wallet = cls if issubclass(cls, Wallet) else Wallet.with_pipeline(cls)
        wallet.name = name
        FAULTS[name] = Fault(name, catches, summary, wallet, also)
        return cls

    return register
