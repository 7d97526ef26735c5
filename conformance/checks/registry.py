"""The checks' registry: Context, Violation, the @check decorator and the outcomes it yields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from conformance import signing
from conformance.contract.catalogue import Catalogue
from conformance.contract.spec import Api, Contract
from conformance.core.model import Exchange, Outcome

Violation = str | tuple[str, str, str]  # message, or (message, expected, received)


@dataclass(frozen=True)
class Context:
    """What checks may know besides the exchange."""

    api: Api
    contract: Contract
    catalogue: Catalogue
    prefix: str
    peer_public_key: signing.PublicKey
    psp_id: str = ""  # the wallet's pspId, as the profile declares it ("" when it does not)

    def rid(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def has(self, suffix: str) -> bool:
        return self.rid(suffix) in self.catalogue


CheckFn = Callable[[Exchange, Context], Mapping[str, Iterable[Violation]]]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function as registered: the suffixes it judges and the exchanges it applies to."""

    suffixes: tuple[str, ...]
    fn: CheckFn
    applies: Callable[[Exchange], bool]
    # Judges an answer against what the suite chose its request to provoke (the case's Expect):
    # traffic the suite did not write (`conformance observe`) is never judged by it.
    chosen: bool = False


REGISTRY: list[RegisteredCheck] = []


def check(
    *suffixes: str, applies: Callable[[Exchange], bool] = lambda ex: True, chosen: bool = False
) -> Callable[[CheckFn], CheckFn]:
    """Register a check judging the given requirement suffixes."""

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY.append(RegisteredCheck(suffixes, fn, applies, chosen))
        return fn

    return register


def outcomes(
    ctx: Context, exchange: Exchange, found: Mapping[str, Iterable[Violation]]
) -> Iterator[Outcome]:
    """One failing Outcome per violation, or one passing Outcome per judged requirement."""
    for suffix, violations in found.items():
        if not ctx.has(suffix):
            continue
        rid, failed = ctx.rid(suffix), False
        for v in violations:
            failed = True
            message, expected, received = (v, "", "") if isinstance(v, str) else v
            yield Outcome(rid, False, message, expected, received, (exchange,))
        if not failed:
            yield Outcome(rid, True, exchanges=(exchange,))
