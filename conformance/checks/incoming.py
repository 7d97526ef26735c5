"""Checks on a request the wallet sent to the suite's gateway (prepareAuthInfo, wallet as
client)."""

from __future__ import annotations

from collections.abc import Mapping

from conformance import signing
from conformance.checks import payload
from conformance.checks.registry import Context, Violation, check
from conformance.core.model import Exchange


def incoming(ex: Exchange) -> bool:
    return ex.case.kind == "incoming"


def _json(ex: Exchange) -> bool:
    return incoming(ex) and ex.request.json() is not None


def _expected(ex: Exchange, name: str) -> str | None:
    return dict(ex.case.expect.values).get(name)


@check("REQ-TRANSPORT", "REQ-CONTENT-TYPE", applies=incoming)
def transport(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    req, found = ex.request, list[Violation]()
    if req.method != "POST":
        found.append(("the request is not a POST", "POST", req.method))
    label = req.header("content-type")
    media = (label or "").split(";")[0].strip().lower()
    if label is not None and media != "application/json":
        found.append(
            ("the request Content-Type is not JSON", "application/json; charset=UTF-8", label)
        )
    if req.json() is None:
        found.append(
            ("the request body is not a UTF-8 JSON object", "a JSON object", repr(req.body[:120]))
        )
    absent: list[Violation] = (
        [("the request has no Content-Type", "application/json; charset=UTF-8", "(absent)")]
        if label is None
        else []
    )
    return {"REQ-TRANSPORT": found, "REQ-CONTENT-TYPE": absent}


@check("REQ-SCHEMA", "REQ-LIMIT", applies=_json)
def schema(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    return payload.schema(
        payload.REQUEST, ctx.contract.validator(ctx.api.request), ex.request.json()
    )


@check("REQ-STRING", "REQ-NO-EMPTY", applies=_json)
def scalars(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    return payload.scalars(payload.REQUEST, ex.request.json())


@check("REQ-ACQUIRER", "REQ-AUTHURL", applies=_json)
def values(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    body = ex.request.json()
    found: dict[str, list[Violation]] = {}
    fixed = ctx.api.request.get("properties", {}).get("acquirerId", {}).get("x-fixed")
    acquirer = body.get("acquirerId")
    if isinstance(acquirer, str) and acquirer and fixed:  # other types: REQ-STRING and REQ-SCHEMA
        found["REQ-ACQUIRER"] = (
            [] if acquirer == fixed else [("acquirerId is not AlipayCN's", fixed, acquirer)]
        )
    url, want = body.get("authUrl"), _expected(ex, "authUrl")
    if isinstance(url, str) and url and want is not None:
        found["REQ-AUTHURL"] = (
            []
            if url == want
            else [
                (
                    "authUrl differs from the intercepted URL",
                    want[:200],
                    url[:200] + f" ({len(url)} characters)",
                )
            ]
        )
    return found


@check("REQ-HEADERS", "REQ-TIME", "REQ-TIME-EPOCH", "REQ-CLIENT-ID", applies=incoming)
def headers(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    req = ex.request
    client_id, time = req.header("client-id"), req.header("request-time")
    found: dict[str, list[Violation]] = {
        "REQ-HEADERS": [
            (f"the request lacks {name}", f"a {name} header", "(absent)")
            for name, value in (("Client-Id", client_id), ("Request-Time", time))
            if not value
        ]
    }
    if time and signing.is_epoch_millis(time):
        # The official Java SDK's client sends this, and Alipay+ serves it: warned, not failed.
        found["REQ-TIME"] = []
        found["REQ-TIME-EPOCH"] = [
            (
                "Request-Time is epoch milliseconds, as the official Java SDK's client sends it",
                "ISO 8601 with an offset, e.g. 2019-05-28T12:12:12+08:00",
                time,
            )
        ]
    elif time:
        found["REQ-TIME-EPOCH"] = []
        found["REQ-TIME"] = (
            []
            if signing.is_valid_time(time)
            else [
                (
                    "Request-Time is not ISO 8601 with an offset or Z",
                    "e.g. 2019-05-28T12:12:12+08:00",
                    time,
                )
            ]
        )
    want = _expected(ex, "client-id")
    if client_id and want is not None:
        found["REQ-CLIENT-ID"] = (
            [] if client_id == want else [("Client-Id is not the wallet's", want, client_id)]
        )
    return found


def _encoding(value: str) -> list[Violation]:
    raw = signing.unencoded(value)
    if not raw:
        return []
    chars = ", ".join(repr(c) for c in raw)
    return [
        (
            f"the signature value carries {chars} unescaped: it is not URL-encoded",
            "urlencode(base64(sign(content))): %2B, %2F, %3D",
            f"raw {' '.join(raw)}",
        )
    ]


@check("REQ-SIGNED", "REQ-SIG-ENCODED", applies=incoming)
def signed(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    req = ex.request
    value, client_id, time = (
        req.header("signature"),
        req.header("client-id"),
        req.header("request-time"),
    )
    found = signing.verify_message(
        value,
        ctx.peer_public_key,
        method=req.method,
        uri=req.uri,
        client_ids=(client_id,) if client_id else (),
        time=time or "",
        body=req.body,
    )
    if found.verdict is signing.Verdict.ABSENT:
        return {
            "REQ-SIGNED": [
                ("the request has no Signature header", "a Signature header", "(absent)")
            ]
        }
    if found.header is None:
        return {
            "REQ-SIGNED": [
                (
                    f"the Signature header is malformed: {found.reason}",
                    "algorithm=RSA256,keyVersion=..,signature=..",
                    "(malformed)",
                )
            ]
        }
    out: dict[str, list[Violation]] = {"REQ-SIG-ENCODED": _encoding(found.header.signature)}
    if not client_id or not time:
        return out  # REQ-HEADERS reports what is missing; nothing to verify against
    if found.verdict is signing.Verdict.ALGORITHM:
        algorithm = found.header.algorithm
        out["REQ-SIGNED"] = [("the signature algorithm is not RSA256", "RSA256", algorithm)]
        return out
    out["REQ-SIGNED"] = (
        []
        if found.ok
        else [
            (
                "the request signature does not verify with the client's public key: "
                + found.reason,
                "RSA256 over POST <uri>\\n<Client-Id>.<Request-Time>.<body>, URL-encoded",
                "a signature that does not verify",
            )
        ]
    )
    return out
