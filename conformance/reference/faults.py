"""Faulty variants of the reference wallet, selected by name; each breaks one requirement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import signing
from .wallet import Crash, Refusal, Wallet


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


def all_faults() -> dict[str, Fault]:
    """The faults above, the prepareAuthInfo clients' (prepare_faults.py) and the Alipay+
    servers' (faults_provider.py)."""
    from .faults_provider import PROVIDER_FAULTS
    from .prepare_faults import PREPARE_FAULTS

    return {**FAULTS, **PREPARE_FAULTS, **PROVIDER_FAULTS}


def variants() -> dict[str, type[Wallet]]:
    """Every wallet a run may certify by name: the faulty ones and the correct ones."""
    from .correct import CORRECT

    return {
        **{name: f.wallet for name, f in all_faults().items()},
        **{name: v.wallet for name, v in CORRECT.items()},
    }


def make_wallet(name: str | None) -> Wallet:
    if not name or name == "reference":
        return Wallet()
    return variants()[name]()


@fault("bytes-not-chars", "IUI-LIMIT-CHARS", summary="Counts request limits in UTF-8 bytes.")
class BytesNotChars(Wallet):
    def length(self, value: str) -> int:
        return len(value.encode("utf-8"))


@fault(
    "scope-leak", "IUI-SCOPE-NO-EXTRA", summary="Returns userLoginId whatever the token's scopes."
)
class ScopeLeak(Wallet):
    def user_info(self, seed: Any) -> dict[str, Any]:
        info = super().user_info(seed)
        info.setdefault("userLoginId", "+86-138****0001")
        return info


@fault("number-not-string", "IUI-RESP-STRING", summary="Returns a numeric userId as a JSON number.")
class NumberNotString(Wallet):
    def user_info(self, seed: Any) -> dict[str, Any]:
        info = super().user_info(seed)
        if "userId" in info:
            info["userId"] = int(info["userId"])
        return info


@fault(
    "status-mismatch",
    "IUI-RESULT-STATUS",
    summary="Answers S with failure codes.",
    also=("IUI-RESP-SIGNED",),
)  # its S answers to requests without Client-Id go unsigned
class StatusMismatch(Wallet):
    def result(self, code: str, message: str = "") -> dict[str, Any]:
        return {**super().result(code, message), "resultStatus": "S"}


@fault("accepts-bad-signature", "IUI-SIG-VERIFY", summary="Never checks the request signature.")
class AcceptsBadSignature(Wallet):
    def verify(self, found: signing.Verification) -> None:
        return None


@fault("unsigned-success", "IUI-RESP-SIGNED", summary="Sends SUCCESS answers without a signature.")
class UnsignedSuccess(Wallet):
    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        return {} if status == "S" else super().sign_response(uri, client_id, body, status)


__all__ = ["FAULTS", "Crash", "Fault", "Refusal", "all_faults", "make_wallet", "variants"]

# The families below are registered by importing their modules (each a small subclass per fault).
from . import faults_lenient, faults_request, faults_response, faults_semantics  # noqa: F401
