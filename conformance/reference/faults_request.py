"""Faulty wallets that mishandle the request: its body, its headers or its signature."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance import signing
from conformance.contract.spec import Field
from conformance.reference import data
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Crash, Pipeline, Refusal

# -- body ---------------------------------------------------------------------------------


class RefusesFirst(Pipeline):
    """A wallet that refuses on its headers before it authenticates: `refusal` says when."""

    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        found = self.refusal(headers)
        if found is not None:
            raise found
        super().authenticate(method, uri, headers, body)

    def refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        raise NotImplementedError


@fault(
    "unvalidated-acquirer-id",
    "IUI-INVALID-REFUSED",
    summary="Never validates acquirerId, which it does not use: any type, length or absence "
    "passes.",
)
class UnvalidatedAcquirerId(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        if f.name != "acquirerId":
            super().check_field(f, value)


@fault(
    "accepts-empty-string",
    "IUI-INVALID-REFUSED",
    summary='Treats "" as a valid value.',
    also=("IUI-INVALID-PARAM-ILLEGAL",),
)  # an empty pspId or token then fails later, with another code
class AcceptsEmptyString(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        if value != "":
            super().check_field(f, value)


@fault(
    "no-length-limit",
    "IUI-INVALID-REFUSED",
    summary="Enforces no maximum length.",
    also=("IUI-INVALID-PARAM-ILLEGAL",),
)  # an over-long pspId or token then fails later, with another code
class NoLengthLimit(Pipeline):
    def length(self, value: str) -> int:
        return 0


@fault(
    "limit-off-by-one", "IUI-LIMIT-WITHIN", summary="Refuses a value of exactly its maximum length."
)
class LimitOffByOne(Pipeline):
    def length(self, value: str) -> int:
        return len(value) + 1


@fault(
    "crashes-on-astral",
    "IUI-TRANSPORT-JSON",
    summary="Fails with an HTML error page on characters outside the BMP (a 3-byte UTF-8 column).",
    also=("IUI-TRANSPORT-HTTP-200", "IUI-TRANSPORT-CONTENT-TYPE", "IUI-INVALID-PARAM-ILLEGAL"),
)
class CrashesOnAstral(Pipeline):
    def check_field(self, f: Field, value: Any) -> None:
        if isinstance(value, str) and any(ord(c) > 0xFFFF for c in value):
            raise Crash(f.name)
        super().check_field(f, value)


@fault(
    "crashes-on-duplicate-keys",
    "IUI-TRANSPORT-JSON",
    summary="Fails with an HTML error page when a JSON key is repeated.",
    also=("IUI-TRANSPORT-HTTP-200", "IUI-TRANSPORT-CONTENT-TYPE"),
)
class CrashesOnDuplicateKeys(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        def strict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            if len({k for k, _ in pairs}) != len(pairs):
                raise Crash("duplicate key")
            return dict(pairs)

        try:
            json.loads(body.decode("utf-8"), object_pairs_hook=strict)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            pass  # the reference's own parse refuses these
        return super().parse(body)


@fault(
    "drops-connection-on-empty-body",
    "IUI-TRANSPORT-ANSWER",
    summary="Closes the connection without an answer when the body is empty.",
)
class DropsConnectionOnEmptyBody(Pipeline):
    def transport(self, app: ASGIApp) -> ASGIApp:
        inner = super().transport(app)

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            headers = dict(scope.get("headers", []))
            if scope["type"] == "http" and headers.get(b"content-length") == b"0":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-length", b"64")],
                    }
                )
                return  # the server closes the connection with the body unsent
            await inner(scope, receive, send)

        return asgi


@fault(
    "rejects-unknown-fields",
    "IUI-UNKNOWN-FIELDS",
    summary="Refuses a request carrying an undocumented field.",
)
class RejectsUnknownFields(Pipeline):
    def validate(self, body: Mapping[str, Any]) -> None:
        known = {f.name for f in self.api.request_fields()}
        if set(body) - known:
            raise Refusal("PARAM_ILLEGAL", "unknown field")
        super().validate(body)


@fault(
    "generic-process-fail",
    "IUI-INVALID-PARAM-ILLEGAL",
    summary="Answers PROCESS_FAIL to an invalid request.",
)
class GenericProcessFail(Pipeline):
    def parse(self, body: bytes) -> dict[str, Any]:
        try:
            return super().parse(body)
        except Refusal:
            raise Refusal("PROCESS_FAIL")

    def validate(self, body: Mapping[str, Any]) -> None:
        try:
            super().validate(body)
        except Refusal:
            raise Refusal("PROCESS_FAIL")


# -- headers ------------------------------------------------------------------------------


@fault(
    "rejects-fractional-time",
    "IUI-TIME-FORMS",
    summary="Refuses a Request-Time with fractional seconds.",
)
class RejectsFractionalTime(Pipeline):
    def check_time(self, time: str) -> None:
        if "." in time:
            raise Refusal("PARAM_ILLEGAL", "malformed Request-Time")
        super().check_time(time)


@fault(
    "accepts-malformed-time",
    "IUI-TIME-MALFORMED",
    summary="Uses Request-Time in the signature but never parses it.",
)
class AcceptsMalformedTime(Pipeline):
    def check_time(self, time: str) -> None:
        return None


@fault(
    "refuses-agent-token",
    "IUI-AGENT-TOKEN",
    summary="Refuses any request that carries an Agent-Token header, which a wallet must ignore.",
)
class RefusesAgentToken(RefusesFirst):
    def refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        return (
            Refusal("INVALID_CLIENT", "Agent-Token is not accepted")
            if headers.get("agent-token") is not None
            else None
        )


@fault(
    "strict-signature-split",
    "IUI-SIG-HEADER-FORMS",
    summary="Splits the Signature header on ',' without trimming, so the documented spaced form "
    "fails.",
)
class StrictSignatureSplit(RefusesFirst):
    def refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        return (
            Refusal("INVALID_SIGNATURE", "malformed Signature header")
            if ", " in (headers.get("signature") or "")
            else None
        )


@fault(
    "missing-signature-wrong-code",
    "IUI-SIG-MISSING-CODE",
    summary="Answers a request without a Signature header PARAM_ILLEGAL, not INVALID_SIGNATURE.",
)
class MissingSignatureWrongCode(RefusesFirst):
    def refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        return (
            Refusal("PARAM_ILLEGAL", "missing Signature header")
            if not headers.get("signature")
            else None
        )


@fault(
    "defaults-missing-client-id",
    "IUI-HEADER-REQUIRED",
    summary="Assumes its only client when Client-Id is missing.",
    also=("IUI-RESP-SIGNED",),
)  # with no Client-Id to sign for, its SUCCESS goes out unsigned
class DefaultsMissingClientId(Pipeline):
    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        only = next(iter(self.clients))
        filled = {**headers, "client-id": headers.get("client-id") or only}
        super().authenticate(method, uri, filled, body)


@fault(
    "ignores-media-type",
    "IUI-MEDIA-TYPE",
    summary="Parses the body as JSON whatever its Content-Type.",
)
class IgnoresMediaType(Pipeline):
    def check_media_type(self, content_type: str | None) -> None:
        return None


@fault("any-method", "IUI-METHOD", summary="Serves the API on every HTTP method.")
class AnyMethod(Pipeline):
    def check_method(self, method: str) -> None:
        return None


@fault(
    "method-wrong-code",
    "IUI-METHOD-CODE",
    summary="Answers NO_INTERFACE_DEF to a non-POST request.",
)
class MethodWrongCode(Pipeline):
    def check_method(self, method: str) -> None:
        if method != "POST":
            raise Refusal("NO_INTERFACE_DEF")


# -- signature ----------------------------------------------------------------------------


@fault(
    "ignores-algorithm",
    "IUI-SIG-ALGORITHM",
    summary="Never reads the algorithm named in the Signature header.",
)
class IgnoresAlgorithm(Pipeline):
    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        sig = re.sub(r"algorithm=[^,]*", "algorithm=RSA256", headers.get("signature") or "")
        super().authenticate(method, uri, {**headers, "signature": sig}, body)


@fault(
    "bad-signature-wrong-code",
    "IUI-SIG-VERIFY",
    summary="Answers PARAM_ILLEGAL when a signature does not verify.",
    also=("IUI-SIG-DIGEST",),
)  # also to a signature with another digest, where INVALID_SIGNATURE is the code
class BadSignatureWrongCode(Pipeline):
    def verify(self, found: signing.Verification) -> None:
        try:
            super().verify(found)
        except Refusal:
            raise Refusal("PARAM_ILLEGAL", "signature check failed")


@fault(
    "unknown-key-falls-back",
    "IUI-KEY-UNKNOWN",
    summary="Uses key version 1 for any unknown keyVersion.",
)
class UnknownKeyFallsBack(Pipeline):
    def client_key(self, client_id: str, key_version: str) -> signing.PublicKey | None:
        return super().client_key(client_id, key_version) or super().client_key(
            client_id, data.KEY_VERSION
        )


@fault(
    "unknown-client-wrong-code",
    "IUI-CLIENT-UNKNOWN",
    summary="Answers INVALID_SIGNATURE to an unknown Client-Id.",
)
class UnknownClientWrongCode(RefusesFirst):
    def refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        return (
            Refusal("INVALID_SIGNATURE", "no key for this client")
            if headers.get("client-id") not in self.clients
            else None
        )
