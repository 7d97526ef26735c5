"""The reference wallet: inquiryUserInfo exactly as the contract says, in small overridable
steps."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import signing
from ..spec import Api, Field, contract
from . import data

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Refusal(Exception):
    """Stops handling with a result code from the page's table."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code, self.message = code, message
        super().__init__(code)


class Crash(Exception):
    """An unhandled error: the web framework answers with its HTML error page."""


ERROR_PAGE = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Wallet:
    """inquiryUserInfo; each step is a method a faulty variant may override."""

    name: ClassVar[str] = "reference"

    def __init__(self) -> None:
        self.api: Api = contract().apis["inquiryUserInfo"]
        self.clients: Mapping[str, Mapping[str, signing.PublicKey]] = {
            data.ALIPAYPLUS_CLIENT_ID: {data.KEY_VERSION: data.public_key("alipayplus")}
        }
        self.key = data.private_key("wallet")
        self.tokens = {seed.token: seed for seed in data.SEEDS}
        self.calls = 0

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
            sig, key, method=method, uri=uri, client_ids=(client_id,), time=time, body=body
        )
        if found.verdict is signing.Verdict.ALGORITHM:
            raise Refusal("INVALID_SIGNATURE", "unsupported algorithm")
        self.verify(found)

    def client_key(self, client_id: str, key_version: str) -> signing.PublicKey | None:
        return self.clients[client_id].get(key_version)

    def check_time(self, time: str) -> None:
        if not signing.is_valid_time(time):
            raise Refusal("PARAM_ILLEGAL", "malformed Request-Time")

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

    def authorize(self, body: Mapping[str, Any]) -> data.IssuedToken:
        if body["pspId"] != data.PSP_ID:
            raise Refusal("ACCESS_DENIED", "the token belongs to another MPP")
        seed = self.tokens.get(body["accessToken"])
        if seed is None or seed.state != "valid":
            raise Refusal("INVALID_TOKEN")
        return seed

    def user_info(self, seed: data.IssuedToken) -> dict[str, Any]:
        return {data.SCOPE_FIELD[s]: data.USER[data.SCOPE_FIELD[s]] for s in sorted(seed.scopes)}

    # -- response steps -----------------------------------------------------
    def result(self, code: str, message: str = "") -> dict[str, Any]:
        row = self.api.codes.get(code)
        return {
            "resultCode": code,
            "resultStatus": row.status if row else "F",
            "resultMessage": message or (row.message if row else code),
        }

    def answer(self, code: str, message: str, user: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"result": self.result(code, message)}
        if user is not None:
            out["userInfo"] = user
        return out

    def succeed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to a request that passed every check."""
        return self.answer("SUCCESS", "", self.user_info(self.authorize(payload)))

    def refuse(self, code: str, message: str) -> dict[str, Any]:
        return self.answer(code, message, None)

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

    def handle(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request; headers are keyed by lower-case name."""
        self.calls += 1
        try:
            self.check_method(method)
            self.check_media_type(headers.get("content-type"))
            self.authenticate(method, uri, headers, body)
            payload = self.parse(body)
            self.validate(payload)
            answer = self.succeed(payload)
        except Refusal as refusal:
            answer = self.refuse(refusal.code, refusal.message)
        except Crash:
            return Reply(500, {"Content-Type": "text/html; charset=utf-8"}, ERROR_PAGE)
        raw = self.encode(answer)
        out = {"Content-Type": self.content_type()}
        result = answer["result"]
        out.update(self.sign_response(uri, headers.get("client-id"), raw, result["resultStatus"]))
        return Reply(self.http_status(result["resultCode"]), out, raw)

    def endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        """The ASGI endpoint: the exact bytes and Request-URI received, headers by lower-case
        name."""

        async def serve(request: Request) -> Response:
            raw_path = request.scope.get("raw_path") or request.url.path.encode()
            query = request.scope.get("query_string", b"")
            uri = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            headers = {k.lower(): v for k, v in request.headers.items()}
            reply = self.handle(request.method, uri, headers, await request.body())
            return Response(reply.body, reply.status, dict(reply.headers))

        return serve

    def app(self) -> Starlette:
        endpoint = self.endpoint()
        routes = [Route(path, endpoint, methods=ALL_METHODS) for path in data.PATHS.values()]
        from .client import harness_routes  # prepareAuthInfo: the wallet as client, and its trigger

        return Starlette(routes=routes + harness_routes(self))
