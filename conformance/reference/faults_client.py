"""Faulty prepareAuthInfo clients: wallets whose client breaks one rule (the faulty Alipay+
servers are in faults_provider.py)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from conformance import signing
from conformance.reference import data
from conformance.reference.client import PrepareClient
from conformance.reference.fault_registry import Fault
from conformance.reference.wallet import Wallet

PREPARE_FAULTS: dict[str, Fault] = {}


def client_fault(
    name: str, *catches: str, summary: str, also: tuple[str, ...] = ()
) -> Callable[[type[PrepareClient]], type[PrepareClient]]:
    """Register a wallet whose prepareAuthInfo client is this faulty one."""

    def register(cls: type[PrepareClient]) -> type[PrepareClient]:
        wallet = type(f"{cls.__name__}Wallet", (Wallet,), {"name": name, "client_class": cls})
        PREPARE_FAULTS[name] = Fault(name, catches, summary, wallet, also)
        return cls

    return register


# -- the wallet as client -------------------------------------------------------------------


@client_fault("pai-acquirer-number", "PAI-REQ-STRING", summary="Sends acquirerId as a JSON number.")
class AcquirerNumber(PrepareClient):
    def payload(self, auth_url: str, attempt: int) -> dict[str, Any]:
        return {**super().payload(auth_url, attempt), "acquirerId": int(data.ACQUIRER_ID)}


@client_fault(
    "pai-unsigned", "PAI-REQ-SIGNED", summary="Sends prepareAuthInfo without a Signature header."
)
class Unsigned(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return {k: v for k, v in super().headers(uri, body).items() if k != "Signature"}


@client_fault(
    "pai-empty-optional",
    "PAI-REQ-NO-EMPTY",
    summary='Sends "" for an optional field it does not use.',
)
class EmptyOptional(PrepareClient):
    def payload(self, auth_url: str, attempt: int) -> dict[str, Any]:
        return {**super().payload(auth_url, attempt), "extendInfo": ""}


@client_fault(
    "pai-time-format",
    "PAI-REQ-TIME",
    summary="Sends Request-Time as 2019-05-28 12:12:12 (no T, no offset).",
)
class TimeFormat(PrepareClient):
    def request_time(self) -> str:
        return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


@client_fault(
    "pai-epoch-millis-time",
    "PAI-REQ-TIME-EPOCH",
    summary="Sends Request-Time as epoch milliseconds, as the official Java SDK's client does.",
)
class EpochMillisTime(PrepareClient):
    def request_time(self) -> str:
        return signing.epoch_millis()


@client_fault(
    "pai-truncates-auth-url", "PAI-REQ-AUTHURL", summary="Cuts authUrl to 1024 characters."
)
class TruncatesAuthUrl(PrepareClient):
    def payload(self, auth_url: str, attempt: int) -> dict[str, Any]:
        return {**super().payload(auth_url, attempt), "authUrl": auth_url[:1024]}


@client_fault(
    "pai-retries-after-f", "PAI-F-NO-RETRY", summary="Retries after F results as after U."
)
class RetriesAfterF(PrepareClient):
    def retries(self, status: str | None) -> bool:
        return status != "S"


@client_fault(
    "pai-no-retry-after-u",
    "PAI-RETRY-U",
    summary="Gives up at the first U result.",
    also=("PAI-RETRY-UNSIGNED-U",),  # an unsigned U too
)
class NoRetryAfterU(PrepareClient):
    def retries(self, status: str | None) -> bool:
        return status is None


@client_fault(
    "pai-no-retry-after-silence", "PAI-RETRY-SILENCE", summary="Gives up when no result arrives."
)
class NoRetryAfterSilence(PrepareClient):
    def retries(self, status: str | None) -> bool:
        return status == "U"


@client_fault(
    "pai-retry-changes-parameters",
    "PAI-RETRY-SAME",
    summary="Adds a fresh requestId to every attempt, so a retry is a different request.",
)
class RetryChangesParameters(PrepareClient):
    def payload(self, auth_url: str, attempt: int) -> dict[str, Any]:
        return {**super().payload(auth_url, attempt), "requestId": secrets.token_hex(8)}


@client_fault(
    "pai-crashes-on-unusable-result",
    "PAI-TRIGGER",
    "PAI-MALFORMED-SAFE",
    summary="Reads result and authRedirectUrl without checking them: a JSON reply that is not an "
    "object, or a SUCCESS without authRedirectUrl, crashes the flow, which reports no outcome.",
)
class CrashesOnUnusableResult(PrepareClient):
    def decide(self, uri: str, answer: Any) -> tuple[str | None, dict[str, str] | None]:
        try:
            body = json.loads(answer.content)
        except ValueError:
            return super().decide(uri, answer)
        result = body["result"]  # TypeError on a JSON array
        status = result.get("resultStatus")
        if result.get("resultCode") == "SUCCESS" and self.trusted(uri, answer, status):
            url = body["authRedirectUrl"]  # KeyError when it is missing
            return "S", {"outcome": "redirect", "redirectUrl": self.redirect(url)}
        return super().decide(uri, answer)


@client_fault(
    "pai-trusts-bad-signature",
    "PAI-VERIFY-RESPONSE",
    summary="Never verifies the response signature, so it opens untrusted redirect URLs.",
    also=("PAI-VERIFY-UNSIGNED",),
)
class TrustsBadSignature(PrepareClient):
    def trusted(self, uri: str, answer: Any, status: str | None) -> bool:
        return True


@client_fault(
    "pai-trusts-unsigned",
    "PAI-VERIFY-UNSIGNED",
    summary="Skips verifying an answer without Signature or Response-Time, as the official Java "
    "SDK's client does.",
)
class TrustsUnsigned(PrepareClient):
    def trusted(self, uri: str, answer: Any, status: str | None) -> bool:
        if answer.headers.get("signature") is None or answer.headers.get("response-time") is None:
            return True
        return super().trusted(uri, answer, status)


@client_fault(
    "pai-no-backoff",
    "PAI-RETRY-BACKOFF",
    summary="Retries at once after REQUEST_TRAFFIC_EXCEED_LIMIT.",
)
class NoBackoff(PrepareClient):
    def pause(self, attempt: int) -> float:
        return 0.0


@client_fault(
    "pai-unbounded-retries",
    "PAI-RETRY-BOUNDED",
    summary="Keeps retrying a persistent U (25 attempts).",
)
class UnboundedRetries(PrepareClient):
    max_attempts: ClassVar[int] = 25

    def pause(self, attempt: int) -> float:
        return self.backoff


def _resign(headers: dict[str, str], encode: Callable[[str], str]) -> dict[str, str]:
    """The headers with the signature value re-encoded from its plain base64."""
    value = signing.rewrite_signature(headers["Signature"], lambda v: encode(unquote(v)))
    return {**headers, "Signature": value}


@client_fault(
    "pai-signature-plain-base64",
    "PAI-REQ-SIGNED",
    "PAI-REQ-SIG-ENCODED",
    summary="Sends the signature as plain base64, never URL-encoded: a '+' in it becomes a space "
    "for a URL-decoding verifier.",
)
class SignaturePlainBase64(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return _resign(super().headers(uri, body), lambda plain: plain)


@client_fault(
    "pai-signature-path-encoded",
    "PAI-REQ-SIG-ENCODED",
    summary="URL-encodes the signature as a path (Python's quote): '/' stays raw, which every "
    "decoder restores.",
)
class SignaturePathEncoded(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return _resign(super().headers(uri, body), quote)


@client_fault(
    "pai-signs-sha1",
    "PAI-REQ-SIGNED",
    summary="Signs the right content with SHA1withRSA, which the official Python SDK's verifier "
    "would accept, not RSA256's SHA-256.",
)
class SignsSha1(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        out = super().headers(uri, body)
        content = signing.content_to_sign("POST", uri, out["Client-Id"], out["Request-Time"], body)
        value = signing.sign_in_form(content, self.key, "sha1")
        return {**out, "Signature": signing.rewrite_signature(out["Signature"], lambda v: value)}


@client_fault(
    "pai-redirect-drops-auth-code",
    "PAI-S-REDIRECT",
    summary="Opens authRedirectUrl after SUCCESS without appending the authCode.",
)
class RedirectDropsAuthCode(PrepareClient):
    def redirect(self, url: str) -> str:
        return url


@client_fault(
    "pai-content-type-text",
    "PAI-REQ-TRANSPORT",
    summary="Labels the JSON body text/plain.",
)
class ContentTypeText(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return {**super().headers(uri, body), "Content-Type": "text/plain; charset=UTF-8"}


@client_fault(
    "pai-no-content-type",
    "PAI-REQ-CONTENT-TYPE",
    summary="Sends the JSON body with no Content-Type header.",
)
class NoContentType(PrepareClient):
    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        return {k: v for k, v in super().headers(uri, body).items() if k != "Content-Type"}


@client_fault(
    "pai-never-sends",
    "PAI-FLOW-SENDS",
    summary="Shows an error for every intercepted URL without sending prepareAuthInfo.",
)
class NeverSends(PrepareClient):
    async def start(self, auth_url: str) -> dict[str, str]:
        return {"outcome": "error", "error": "prepareAuthInfo is not wired"}


@client_fault(
    "pai-gives-up-on-unsigned-u",
    "PAI-RETRY-UNSIGNED-U",
    summary="Shows an error for an unsigned U answer instead of retrying: trusted or not, a U is "
    "no definitive result.",
)
class GivesUpOnUnsignedU(PrepareClient):
    def trusted(self, uri: str, answer: Any, status: str | None) -> bool:
        if answer.headers.get("signature") is None:
            return status == "F"
        return super().trusted(uri, answer, status)
