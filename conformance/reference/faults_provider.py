"""Faulty Alipay+ servers for provider mode (PAS): each breaks one rule of prepareAuthInfo as
served, in a protocol step (a `Pipeline` subclass) or in the server's business (an `AlipayPlus`
subclass); the wallet of the run stays the reference one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from conformance.contract.catalogue import catalogue
from conformance.contract.spec import Field
from conformance.reference import (
    data,
    faults_wallet,  # noqa: F401  (registers the wallet faults it mirrors)
)
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.fault_registry import FAULTS, Fault
from conformance.reference.pipeline import Pipeline, Refusal
from conformance.reference.wallet import Wallet

PROVIDER_FAULTS: dict[str, Fault] = {}
PROVIDERS: dict[str, type[AlipayPlus]] = {}
# A faulty Alipay+ business, or a faulty protocol pipeline (composed with Alipay+'s business).
V = TypeVar("V", type[AlipayPlus], type[Pipeline])


def provider_fault(
    name: str, *catches: str, summary: str, also: tuple[str, ...] = ()
) -> Callable[[V], V]:
    """Register a faulty Alipay+ server and the requirement(s) that must catch it."""

    def register(cls: V) -> V:
        server = cls if issubclass(cls, AlipayPlus) else AlipayPlus.with_pipeline(cls)
        server.name = name
        PROVIDER_FAULTS[name] = Fault(name, catches, summary, Wallet, also)
        PROVIDERS[name] = server
        return cls

    return register


# -- the wallet's faults, in the steps the server shares with it ----------------------------

# Each is the wallet fault's pipeline composed with Alipay+'s business: it breaks the same protocol
# step of the server as of the wallet, so the same rule catches it in this role: IUI-<rule> there,
# PAS-<rule> here.
MIRRORED = (
    "accepts-bad-signature",
    "bad-signature-wrong-code",
    "bytes-not-chars",
    "client-id-not-echoed",
    "coerces-numbers",
    "crashes-on-astral",
    "crashes-on-duplicate-keys",
    "defaults-missing-client-id",
    "drops-connection-on-empty-body",
    "empty-result-message",
    "generic-process-fail",
    "http-400-on-refusal",
    "ignores-algorithm",
    "ignores-media-type",
    "limit-off-by-one",
    "long-result-code",
    "long-result-message",
    "message-as-list",
    "missing-signature-wrong-code",
    "any-method",
    "no-length-limit",
    "refuses-multiline-body",
    "rejects-fractional-time",
    "rejects-unknown-fields",
    "accepts-malformed-time",
    "response-time-no-offset",
    "status-mismatch",
    "strict-signature-split",
    "text-plain-response",
    "unknown-client-wrong-code",
    "unknown-key-falls-back",
    "unsigned-success",
    "unsigned-with-response-time",
    "unwraps-single-arrays",
    "utf16-not-chars",
    "verifies-reserialised-body",
    "accepts-any-digest",
    "accepts-pss",
    "digestinfo-unchecked",
)


# What a wallet fault also breaks in this role only: an answer the official Python SDK's client
# cannot read (PAS-RESP-SDK) is judged for Alipay+'s answers, which that client reads.
PROVIDER_ALSO: Mapping[str, tuple[str, ...]] = {
    "unsigned-success": ("PAS-RESP-SDK",),
    "unsigned-with-response-time": ("PAS-RESP-SDK",),
}


def _here(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple("PAS-" + i.removeprefix("IUI-") for i in ids)


def _mirror(name: str) -> None:
    fault = FAULTS[name]
    pipeline = fault.wallet.pipeline_class
    if pipeline is Pipeline:
        raise TypeError(f"{name} breaks the wallet's business, which Alipay+ does not share")
    # Collateral of a rule this role does not have (tokens, repeats) cannot happen here.
    also = tuple(rid for rid in _here(fault.also) if rid in catalogue())
    also += PROVIDER_ALSO.get(name, ())
    provider_fault(f"pas-{name}", *_here(fault.catches), summary=fault.summary, also=also)(pipeline)


for _name in MIRRORED:
    _mirror(_name)


# -- faults of the server's own steps -------------------------------------------------------


@provider_fault(
    "pas-unsigned-f",
    "PAS-RESP-SDK",
    summary="Leaves its F answers unsigned, as the documents allow: the official Python SDK's "
    "client refuses them.",
)
class UnsignedF(Pipeline):
    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        return {} if status == "F" else super().sign_response(uri, client_id, body, status)


@provider_fault(
    "pas-scopes-extra", "PAS-SCOPES-FIXED", summary="Returns scopes beyond BASE_USER_INFO."
)
class ScopesExtra(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().resolve(body), "scopes": ["BASE_USER_INFO", "USER_LOGIN_ID"]}


@provider_fault(
    "pas-fields-on-failure",
    "PAS-ONLY-SUCCESS",
    summary="Returns authRedirectUrl with INVALID_SIGNATURE.",
)
class FieldsOnFailure(AlipayPlus):
    def refused(self, code: str) -> dict[str, Any]:
        return (
            {"authRedirectUrl": "https://merchant.example/oauth/return"}
            if code == "INVALID_SIGNATURE"
            else {}
        )


@provider_fault(
    "pas-long-redirect",
    "PAS-RESP-LIMIT",
    summary="Returns an authRedirectUrl over 1024 characters.",
)
class LongRedirect(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        found = super().resolve(body)
        return {**found, "authRedirectUrl": found["authRedirectUrl"] + "&pad=" + "é" * 1024}


@provider_fault(
    "pas-fresh-auth-client-id",
    "PAS-IDEMPOTENT",
    summary="Mints a fresh authClientId on every call: a retry is answered with another "
    "authorization object.",
)
class FreshAuthClientId(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().resolve(body), "authClientId": str(secrets.randbelow(10**16))}


@provider_fault(
    "pas-resolves-any-auth-url",
    "PAS-AUTHURL-UNKNOWN",
    summary="Resolves any well-formed authUrl, also one AlipayCN never issued.",
)
class ResolvesAnyAuthUrl(AlipayPlus):
    def issued(self, auth_url: str) -> bool:
        return True


@provider_fault(
    "pas-other-acquirer",
    "PAS-ACQUIRER-ECHO",
    summary="Answers SUCCESS naming another acquirerId than the request's.",
)
class OtherAcquirer(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().resolve(body), "acquirerId": "1022088000000000002"}


@provider_fault(
    "pas-other-psp",
    "PAS-PSPID-ECHO",
    summary="Answers SUCCESS naming another MPP's pspId than the requesting wallet's.",
)
class OtherPsp(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().resolve(body), "pspId": "2160120000000002"}


@provider_fault(
    "pas-redirect-drops-query",
    "PAS-REDIRECT-NAMED",
    summary="Returns the merchant's redirect without its query parameters: "
    "https://merchant.example/oauth/return?shop=ref-1 becomes https://merchant.example/oauth/return.",
)
class RedirectDropsQuery(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        found = super().resolve(body)
        return {**found, "authRedirectUrl": found["authRedirectUrl"].split("?")[0]}


@provider_fault(
    "pas-missing-auth-client-id",
    "PAS-SUCCESS-FIELDS",
    summary="Leaves authClientId out of SUCCESS.",
)
class MissingAuthClientId(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in super().resolve(body).items() if k != "authClientId"}


@provider_fault(
    "pas-number-not-string", "PAS-RESP-STRING", summary="Returns pspId as a JSON number."
)
class ProviderNumberNotString(AlipayPlus):
    def resolve(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().resolve(body), "pspId": int(data.PSP_ID)}


@provider_fault(
    "pas-url-parsed-no-length",
    "PAS-INVALID-REFUSED",
    summary="Refuses an authUrl that is not an https URL of the AlipayCN authorization host, and "
    "enforces no length limit: over-long filler text was refused for not being a URL.",
)
class UrlParsedNoLength(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        if f.name == "authUrl" and isinstance(value, str) and value:
            parts, host = urlsplit(value), urlsplit(data.AUTH_URLS[0]).netloc
            if parts.scheme != "https" or parts.netloc != host:
                raise Refusal("PARAM_ILLEGAL", "authUrl is not an AlipayCN authorization URL")
            return
        super().check_field(f, value)


@provider_fault(
    "pas-method-wrong-code",
    "PAS-METHOD-CODE",
    summary="Answers INVALID_API to a non-POST request.",
)
class ProviderMethodWrongCode(Pipeline):
    def check_method(self, method: str) -> None:
        if method != "POST":
            raise Refusal("INVALID_API")


@provider_fault(
    "pas-any-acquirer",
    "PAS-FIXED-VALUE",
    summary="Serves any well-formed acquirerId, not only AlipayCN's 1022088000000000001.",
    # Its SUCCESS to another acquirer still names AlipayCN's: not the one the request named.
    also=("PAS-ACQUIRER-ECHO",),
)
class AnyAcquirer(AlipayPlus):
    def check_acquirer(self, acquirer_id: str) -> None:
        return None


@provider_fault(
    "pas-undocumented-code",
    "PAS-RESULT-CODE",
    summary="Answers ACQUIRER_NOT_SUPPORTED, a code not in the page's table, to another "
    "acquirer's request.",
)
class ProviderUndocumentedCode(AlipayPlus):
    def check_acquirer(self, acquirer_id: str) -> None:
        if acquirer_id != data.ACQUIRER_ID:
            raise Refusal("ACQUIRER_NOT_SUPPORTED", "only AlipayCN is served")


_RAW_AUTH_URL = re.compile(rb'"authUrl"\s*:\s*"([^"]*)"')


@provider_fault(
    "pas-raw-url-regex",
    "PAS-JSON-FORMS",
    summary="Reads authUrl from the raw body with a regular expression, never unescaping it: "
    "https:\\/\\/... is not resolved.",
    also=("PAS-LIMIT-WITHIN", "PAS-LIMIT-CHARS", "PAS-INVALID-REFUSED"),
)  # escaped characters within the limit become over-long text; {"authUrl": {"authUrl": ...}} passes
class RawUrlRegex(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        payload, found = super().parse(body), _RAW_AUTH_URL.search(body)
        if found:
            payload["authUrl"] = found.group(1).decode("utf-8", errors="replace")
        return payload
