"""Faulty variants of the reference wallet, each breaking one requirement: a variant of a protocol
step (a `Pipeline` subclass) or of the wallet's business (a `Wallet` subclass); the families of
further ones are registered by importing their modules."""

from __future__ import annotations

from typing import Any

from conformance import signing
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Pipeline
from conformance.reference.wallet import Wallet


@fault("bytes-not-chars", "IUI-LIMIT-CHARS", summary="Counts request limits in UTF-8 bytes.")
class BytesNotChars(Pipeline):
    def length(self, value: str) -> int:
        return len(value.encode("utf-8"))


@fault(
    "utf16-not-chars",
    "IUI-LIMIT-CHARS",
    summary="Counts request limits in UTF-16 units (Java's String.length(), JavaScript's .length).",
)
class Utf16NotChars(Pipeline):
    def length(self, value: str) -> int:
        return len(value.encode("utf-16-le")) // 2


@fault(
    "scope-leak", "IUI-SCOPE-NO-EXTRA", summary="Returns userLoginId whatever the token's scopes."
)
class ScopeLeak(Wallet):
    def user_info(self, seed: Any) -> dict[str, Any]:
        info = super().user_info(seed)
        info.setdefault("userLoginId", "+86-138****0001")
        return info


@fault(
    "nickname-leak",
    "IUI-SCOPE-NO-EXTRA",
    summary="Adds the user's nickName to userInfo, a field no scope maps to.",
)
class NicknameLeak(Wallet):
    def user_info(self, seed: Any) -> dict[str, Any]:
        return {**super().user_info(seed), "nickName": "Lin"}


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
class StatusMismatch(Pipeline):
    def result(self, code: str, message: str = "") -> dict[str, Any]:
        return {**super().result(code, message), "resultStatus": "S"}


@fault(
    "accepts-bad-signature",
    "IUI-SIG-VERIFY",
    summary="Never checks the request signature.",
    also=("IUI-SIG-DIGEST",),
)  # a signature with another digest passes too
class AcceptsBadSignature(Pipeline):
    def verify(self, found: signing.Verification) -> None:
        return None


@fault("unsigned-success", "IUI-RESP-SIGNED", summary="Sends SUCCESS answers without a signature.")
class UnsignedSuccess(Pipeline):
    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        return {} if status == "S" else super().sign_response(uri, client_id, body, status)


# The families below are registered by importing their modules (each a small subclass per fault).
from conformance.reference import (  # noqa: F401
    faults_digest,
    faults_lenient,
    faults_request,
    faults_response,
    faults_semantics,
)
