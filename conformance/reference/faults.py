"""Every variant a run may certify by name: the faulty wallets, clients and Alipay+ servers,
and the correct variants."""

from __future__ import annotations

from conformance.reference import faults_wallet  # noqa: F401  (registers the wallet faults)
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.correct import CORRECT, SERVERS
from conformance.reference.fault_registry import FAULTS, Fault, fault
from conformance.reference.faults_client import PREPARE_FAULTS
from conformance.reference.faults_provider import PROVIDER_FAULTS, PROVIDERS
from conformance.reference.pipeline import Crash, Refusal
from conformance.reference.wallet import Wallet


def all_faults() -> dict[str, Fault]:
    """The wallet faults, the prepareAuthInfo clients' (faults_client.py) and the Alipay+
    servers' (faults_provider.py)."""
    return {**FAULTS, **PREPARE_FAULTS, **PROVIDER_FAULTS}


def variants() -> dict[str, type[Wallet]]:
    """Every wallet a run may certify by name: the faulty ones and the correct ones."""
    return {
        **{name: f.wallet for name, f in all_faults().items()},
        **{name: v.wallet for name, v in CORRECT.items()},
    }


def make_wallet(name: str | None) -> Wallet:
    if not name or name == "reference":
        return Wallet()
    return variants()[name]()


def make_server(name: str | None) -> AlipayPlus:
    """The reference server, or the variant (faulty or correct) a name selects."""
    return {**PROVIDERS, **SERVERS}.get(name or "", AlipayPlus)()


__all__ = [
    "FAULTS",
    "Crash",
    "Fault",
    "Refusal",
    "all_faults",
    "fault",
    "make_server",
    "make_wallet",
    "variants",
]
