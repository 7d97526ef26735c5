"""The gateway's replies: signed results, SUCCESS payloads and the deliberately broken ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance import signing
from conformance.contract.spec import alipaycn_acquirer_id, contract
from conformance.gateway.scenarios import (
    API,
    BAD_SIGNATURE,
    DROP,
    LATE,
    MALFORMED,
    NO_REDIRECT,
    NOT_OBJECT,
    SUCCESS,
    UNSIGNED,
    UNSIGNED_RESULT,
)
from conformance.profile.sections import GatewaySettings

AUTH_CLIENT_ID = "2021000000000001"
JSON_TYPE = "application/json; charset=UTF-8"
FALLBACK_CLIENT_ID = "ALIPAYPLUS_GATEWAY"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def result(code: str) -> dict[str, str]:
    row = contract().apis[API].codes[code]
    return {"resultCode": row.code, "resultStatus": row.status, "resultMessage": row.message}


def success_payload(psp_id: str, redirect: str) -> dict[str, Any]:
    return {
        "result": result("SUCCESS"),
        "acquirerId": alipaycn_acquirer_id(),
        "pspId": psp_id,
        "authClientId": AUTH_CLIENT_ID,
        "authRedirectUrl": redirect,
        "scopes": ["BASE_USER_INFO"],
    }


def signed_headers(
    settings: GatewaySettings,
    uri: str,
    client_id: str,
    body: bytes,
    signed_body: bytes | None = None,
) -> dict[str, str]:
    """Response headers signed over POST <uri>\\n<Client-Id>.<Response-Time>.<body> with the
    suite's key."""
    signed = signing.signed_headers(
        settings.suite_private_key,
        "response",
        uri,
        client_id,
        body,
        key_version=settings.key_version,
        signed_body=signed_body,
    )
    return {"Content-Type": JSON_TYPE, **signed}


def build(
    step: str,
    settings: GatewaySettings,
    uri: str,
    client_id: str | None,
    psp_id: str,
    redirect: str,
) -> Reply:
    """The reply for one scripted step (silence and drops are the server's to stage)."""
    cid = client_id or settings.client_id or FALLBACK_CLIENT_ID
    if step in (SUCCESS, LATE, DROP, BAD_SIGNATURE, UNSIGNED):
        body = _encode(success_payload(psp_id, redirect))
        if step == UNSIGNED:
            return Reply(200, {"Content-Type": JSON_TYPE}, body)
        # A valid signature over other content: well-formed, but it does not verify.
        other = b'{"result":{"resultCode":"PROCESS_FAIL"}}' if step == BAD_SIGNATURE else None
        return Reply(200, signed_headers(settings, uri, cid, body, other), body)
    if step == MALFORMED:
        body = _encode(success_payload(psp_id, redirect))[:-1]  # the closing brace is missing
        return Reply(200, signed_headers(settings, uri, cid, body), body)
    if step in (NOT_OBJECT, NO_REDIRECT):
        payload = success_payload(psp_id, redirect)
        if step == NO_REDIRECT:
            del payload["authRedirectUrl"]
        body = _encode(payload)
        body = b"[" + body + b"]" if step == NOT_OBJECT else body
        return Reply(200, signed_headers(settings, uri, cid, body), body)
    if step.startswith(UNSIGNED_RESULT):
        body = _encode({"result": result(step.removeprefix(UNSIGNED_RESULT))})
        return Reply(200, {"Content-Type": JSON_TYPE}, body)
    body = _encode({"result": result(step)})
    return Reply(200, signed_headers(settings, uri, cid, body), body)
