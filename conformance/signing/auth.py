"""Signing requests as an httpx.Auth, with the deviations a probe asks for."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from conformance.signing.clock import now, now_in
from conformance.signing.digests import sign_in_form
from conformance.signing.message import request_uri
from conformance.signing.rsa256 import (
    ALGORITHM,
    PrivateKey,
    content_to_sign,
    format_signature_header,
    sign,
)


@dataclass(frozen=True)
class Tamper:
    """How a signed request deviates from a correct one; the default deviates in nothing."""

    client_id: str | None = None
    key_version: str | None = None
    omit: frozenset[str] = frozenset()
    request_time: str | None = None
    sign_body: bytes | None = None
    sign_uri: str | None = None
    sign_time: str | None = None
    sign_client_id: str | None = None
    algorithm: str = ALGORITHM
    url_encode: bool = True
    space_after_comma: bool = False
    lower_case_names: bool = False
    truncate_signature: bool = False
    foreign_key: bool = False
    time_form: str | None = None  # a name in TIME_FORMS: the current time, written that way
    digest: str | None = None  # a name in DIGEST_FORMS: the right content, signed that way
    agent_token: str | None = None  # an Agent-Token header beside the signed ones (never signed)


class RSA256Auth(httpx.Auth):
    """Adds Client-Id, Request-Time and Signature from the exact bytes being sent."""

    requires_request_body = True

    def __init__(
        self,
        client_id: str,
        key: PrivateKey,
        key_version: str = "1",
        tamper: Tamper = Tamper(),
        foreign_key: PrivateKey | None = None,
        clock: Callable[[], str] = now,
    ) -> None:
        self.client_id, self.key, self.key_version = client_id, key, key_version
        self.tamper, self.foreign_key, self.clock = tamper, foreign_key, clock

    def headers_for(self, method: str, uri: str, body: bytes) -> dict[str, str]:
        t = self.tamper
        client_id = t.client_id if t.client_id is not None else self.client_id
        time = t.request_time or (now_in(t.time_form) if t.time_form else self.clock())
        content = content_to_sign(
            method,
            t.sign_uri or uri,
            t.sign_client_id or client_id,
            t.sign_time or time,
            t.sign_body if t.sign_body is not None else body,
        )
        key = self.foreign_key if t.foreign_key and self.foreign_key else self.key
        value = sign_in_form(content, key, t.digest) if t.digest else sign(content, key)
        if not t.url_encode:
            value = unquote(value)
        if t.truncate_signature:
            value = value[: len(value) // 2]
        headers = {
            "Client-Id": client_id,
            "Request-Time": time,
            "Signature": format_signature_header(
                value, t.key_version or self.key_version, t.algorithm, t.space_after_comma
            ),
        }
        headers = {k: v for k, v in headers.items() if k.lower() not in t.omit}
        if t.agent_token is not None:
            headers["Agent-Token"] = t.agent_token
        if t.lower_case_names:
            headers = {k.lower(): v for k, v in headers.items()}
        return headers

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name in ("Client-Id", "Request-Time", "Signature"):
            request.headers.pop(name, None)
        request.headers.update(
            self.headers_for(request.method, request_uri(request.url), request.content)
        )
        yield request
