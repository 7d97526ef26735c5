"""The protocol steps of a reference server, for any API: method, media type, signature, time,
JSON, schema, then the answer encoded, signed and sent with its HTTP status. Each step is a
method a variant may override; what a valid request means is the business's (`Business`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import ASGIApp

from conformance import signing
from conformance.contract.spec import Api, Field

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ERROR_PAGE = b"<html><body><h1>500 Internal Server Error</h1></body></html>"

Clients = Mapping[str, Mapping[str, signing.PublicKey]]


class Refusal(Exception):
    """Stops handling with a result code from the page's table."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code, self.message = code, message
        super().__init__(code)


class Crash(Exception):
    """An unhandled error: the web framework answers with its HTML error page."""


@dataclass(frozen=True)
class ServiceReply:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Business(Protocol):
    """What an API does with a request that passed every protocol step."""

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The fields beside `result` of a SUCCESS answer; raises `Refusal` instead."""
        ...

    def refused(self, code: str) -> dict[str, Any]:
        """The fields beside `result` of a refusal."""
        ...


class Pipeline:
    """One API's protocol, for the server that holds `key` and knows these clients' keys."""

    def __init__(self, api: Api, clients: Clients, key: signing.PrivateKey) -> None:
        self.api, self.clients, self.key = api, clients, key

    # -- request steps ------------------------------------------------------
    def length(self, value: str) -> int:
        return len(value)

    def check_method(self, method: str) -> None:
        if method != "POST":
            raise Refusal("METHOD_NOT_SUPPORTED")

    def check_media_type(self, content_type: str | None) -> None:
        if (content_type or "").split(";")[0].strip().lower() != "application/json":
            raise Refusal("MEDIA_TYPE_NOT_ACCEPTABLE")

    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        client_id = headers.get("client-id")
        if not client_id or client_id not in self.clients:
            raise Refusal("INVALID_CLIENT")
        try:
            sig = signing.parse_signature_header(headers.get("signature") or "")
        except ValueError:
            raise Refusal("INVALID_SIGNATURE", "missing or malformed Signature header")
        key = self.client_key(client_id, sig.key_version)
        if key is None:
            raise Refusal("KEY_NOT_FOUND")
        time = headers.get("request-time")
        if not time:
            raise Refusal("PARAM_ILLEGAL", "missing Request-Time")
        self.check_time(time)
        found = signing.verify_message(
            sig,
            key,
            method=method,
            uri=uri,
            client_ids=(client_id,),
            time=time,
            body=body,
            verifier=self.verifies,
        )
        if found.verdict is signing.Verdict.ALGORITHM:
            raise Refusal("INVALID_SIGNATURE", "unsupported algorithm")
        self.verify(found)

    def client_key(self, client_id: str, key_version: str) -> signing.PublicKey | None:
        return self.clients[client_id].get(key_version)

    def check_time(self, time: str) -> None:
        if not signing.is_valid_time(time):
            raise Refusal("PARAM_ILLEGAL", "malformed Request-Time")

    def verifies(self, content: bytes, signature: str, key: signing.PublicKey) -> bool:
        """RSA256: SHA256withRSA with PKCS#1 v1.5 padding, the value decoded as the SDKs do."""
        return signing.verify(content, signature, key)

    def verify(self, found: signing.Verification) -> None:
        if not found.ok:
            raise Refusal("INVALID_SIGNATURE")

    def parse(self, body: bytes) -> dict[str, Any]:
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise Refusal("PARAM_ILLEGAL", "body is not UTF-8 JSON")
        if not isinstance(value, dict):
            raise Refusal("PARAM_ILLEGAL", "body is not a JSON object")
        return value

    def validate(self, body: Mapping[str, Any]) -> None:
        for f in self.api.request_fields():
            self.check_field(f, body.get(f.name))

    def check_field(self, f: Field, value: Any) -> None:
        if value is None:
            if f.required:
                raise Refusal("PARAM_ILLEGAL", f"{f.name} is required")
            return
        if not isinstance(value, str) or value == "":
            raise Refusal("PARAM_ILLEGAL", f"{f.name} must be a non-empty string")
        if f.max_length is not None and self.length(value) > f.max_length:
            raise Refusal("PARAM_ILLEGAL", f"{f.name} exceeds {f.max_length} characters")

    # -- response steps -----------------------------------------------------
    def result(self, code: str, message: str = "") -> dict[str, Any]:
        row = self.api.codes.get(code)
        return {
            "resultCode": code,
            "resultStatus": row.status if row else "F",
            "resultMessage": message or (row.message if row else code),
        }

    def http_status(self, code: str) -> int:
        return 200

    def content_type(self) -> str:
        return "application/json; charset=UTF-8"

    def encode(self, payload: Mapping[str, Any]) -> bytes:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        if not client_id:
            return {}  # an unsigned F answer, as the official SDKs accept
        return self.signed(uri, client_id, body)

    def signed(self, uri: str, client_id: str, body: bytes) -> dict[str, str]:
        """Client-Id, Response-Time and a Signature over them, the request URI and the body."""
        return signing.signed_headers(
            self.key,
            "response",
            uri,
            client_id,
            body,
            time=self.response_time(),
            header=self.signature_header,
        )

    def response_time(self) -> str:
        return signing.now()

    def signature_header(self, signature: str) -> str:
        return signing.format_signature_header(signature)

    def transport(self, app: ASGIApp) -> ASGIApp:
        """The ASGI app as served: the app itself, unless a variant mishandles connections."""
        return app

    # -- the whole ----------------------------------------------------------
    def handle(
        self, business: Business, method: str, uri: str, headers: Mapping[str, str], body: bytes
    ) -> ServiceReply:
        """Answer one request; headers are keyed by lower-case name."""
        try:
            self.check_method(method)
            self.check_media_type(headers.get("content-type"))
            self.authenticate(method, uri, headers, body)
            payload = self.parse(body)
            self.validate(payload)
            answer = {"result": self.result("SUCCESS"), **business.succeed(payload)}
        except Refusal as refusal:
            answer = {
                "result": self.result(refusal.code, refusal.message),
                **business.refused(refusal.code),
            }
        except Crash:
            return ServiceReply(500, {"Content-Type": "text/html; charset=utf-8"}, ERROR_PAGE)
        raw = self.encode(answer)
        out = {"Content-Type": self.content_type()}
        result = answer["result"]
        out.update(self.sign_response(uri, headers.get("client-id"), raw, result["resultStatus"]))
        return ServiceReply(self.http_status(result["resultCode"]), out, raw)
