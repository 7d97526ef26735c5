"""Checks every answer to a POST must pass, whatever the request was."""

from __future__ import annotations

from collections.abc import Mapping

from conformance import signing
from conformance.checks import payload
from conformance.checks.registry import Context, Violation, check
from conformance.core.model import Exchange


def answered(ex: Exchange) -> bool:
    return ex.response is not None and ex.case.method == "POST"


def has_result(ex: Exchange) -> bool:
    return answered(ex) and bool(ex.result)


@check("TRANSPORT-ANSWER", applies=lambda ex: True)
def transport_answer(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    found: list[Violation] = []
    if ex.error:
        found.append(("no HTTP response", "an HTTP response", ex.error))
    elif ex.response is not None and ex.response.truncated:
        found.append(
            (
                "response body exceeded the size bound",
                "a bounded JSON body",
                f"more than {len(ex.response.body)} bytes",
            )
        )
    return {"TRANSPORT-ANSWER": found}


@check("TRANSPORT-JSON", "TRANSPORT-HTTP-200", "TRANSPORT-CONTENT-TYPE", applies=answered)
def transport(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    assert ex.response is not None
    resp = ex.response
    found: dict[str, list[Violation]] = {
        "TRANSPORT-JSON": [],
        "TRANSPORT-HTTP-200": [],
        "TRANSPORT-CONTENT-TYPE": [],
    }
    if resp.json() is None:
        where = resp.header("location")
        why = (
            f"HTTP {resp.status} redirect to {where} (redirects are never followed): "
            if where
            else ""
        )
        found["TRANSPORT-JSON"].append(
            (why + "body is not a UTF-8 JSON object", "a JSON object", repr(resp.body[:120]))
        )
    if resp.status != 200:
        found["TRANSPORT-HTTP-200"].append(("HTTP status is not 200", "200", str(resp.status)))
    media = (resp.header("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        found["TRANSPORT-CONTENT-TYPE"].append(
            (
                "response Content-Type is not application/json",
                "application/json; charset=UTF-8",
                resp.header("content-type") or "(absent)",
            )
        )
    return found


@check(
    "RESP-SCHEMA",
    "RESP-LIMIT",
    "RESP-LIMIT-SOFT",
    applies=lambda ex: answered(ex) and ex.body is not None,
)
def response_schema(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    return payload.schema(payload.RESPONSE, ctx.contract.validator(ctx.api.response), ex.body)


@check("RESP-STRING", "RESP-NO-EMPTY", applies=lambda ex: answered(ex) and ex.body is not None)
def response_scalars(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    return payload.scalars(payload.RESPONSE, ex.body)


@check("RESULT-STATUS", "RESULT-CODE", applies=has_result)
def result_semantics(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    found: dict[str, list[Violation]] = {"RESULT-STATUS": [], "RESULT-CODE": []}
    code, status = ex.code, ex.result_status
    row = ctx.api.codes.get(code) if code else None
    if code is not None and row is None:
        found["RESULT-CODE"].append(
            (f"resultCode {code} is not in the {ctx.api.name} table", "a documented code", code)
        )
    if status not in ("S", "F", "U"):
        found["RESULT-STATUS"].append(("resultStatus is not S, F or U", "S, F or U", repr(status)))
    elif row is not None and row.status != status:
        found["RESULT-STATUS"].append(
            (f"{code} is answered with status {status}", row.status, status)
        )
    if row is None and status in ("S", "F", "U"):
        del found["RESULT-STATUS"]  # no row to compare against: not judged
    return found


@check("CLIENT-ID-ECHO", applies=has_result)
def client_id_echo(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    """A response's Client-Id is the caller's; its absence is RESP-HEADERS' to report."""
    assert ex.response is not None
    sent, echoed = ex.request.header("client-id"), ex.response.header("client-id")
    if sent is None or echoed is None:
        return {}
    if echoed == sent:
        return {"CLIENT-ID-ECHO": []}
    return {
        "CLIENT-ID-ECHO": [
            ("the response's Client-Id is not the caller's", f"Client-Id {sent}", echoed)
        ]
    }


@check("RESP-SIGNED", "RESP-HEADERS", applies=has_result)
def response_signature(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    assert ex.response is not None
    resp = ex.response
    sig_header, time = resp.header("signature"), resp.header("response-time")
    signed: list[Violation] = []
    headers: list[Violation] = []
    if time is not None and not signing.is_valid_time(time):
        headers.append(
            ("Response-Time is not ISO 8601 with an offset", "e.g. 2019-05-28T12:12:12+08:00", time)
        )
    if sig_header is None:
        if time is not None or ex.result_status == "S":
            signed.append(
                (
                    "the response is not signed",
                    "a Signature header",
                    f"status {ex.result_status}, Response-Time {'present' if time else 'absent'}",
                )
            )
        return {"RESP-SIGNED": signed, "RESP-HEADERS": headers}
    if resp.header("client-id") is None:
        headers.append(("a signed response lacks Client-Id", "Client-Id header", "(absent)"))
    ids = (resp.header("client-id"), ex.request.header("client-id"))
    found = signing.verify_message(
        sig_header,
        ctx.peer_public_key,
        uri=ex.request.uri,
        client_ids=tuple(dict.fromkeys(i for i in ids if i)),
        time=time or "",
        body=resp.body,
    )
    if found.verdict is signing.Verdict.MALFORMED:
        signed.append(
            (
                f"the Signature header is malformed: {found.reason}",
                "algorithm=RSA256,keyVersion=..,signature=..",
                "(malformed)",
            )
        )
    elif found.verdict is signing.Verdict.ALGORITHM:
        assert found.header is not None
        algorithm = found.header.algorithm
        signed.append(("the response signature algorithm is not RSA256", "RSA256", algorithm))
    elif time is None:
        signed.append(
            (
                "a signed response lacks Response-Time, so it cannot be verified",
                "Response-Time header",
                "(absent)",
            )
        )
    elif not found.ok:
        signed.append(
            (
                "the response signature does not verify with the signer's public key"
                + (f": {found.reason}" if found.reason else ""),
                "a valid RSA256 signature over POST <uri>\\n<Client-Id>.<Response-Time>.<body>",
                "a signature that does not verify",
            )
        )
    return {"RESP-SIGNED": signed, "RESP-HEADERS": headers}


# What the official Python SDK's client (global-open-sdk-python 1.7.1, DefaultAlipayClient.execute)
# needs of an answer before it reads the result: it looks the headers up by these exact names.
SDK_HEADERS = ("signature", "response-time", "client-id")


def sdk_could_send(ex: Exchange) -> bool:
    """An answer to a request the official client could have sent: one that names its Client-Id."""
    return has_result(ex) and ex.request.header("client-id") is not None


@check("RESP-SDK", applies=sdk_could_send)
def sdk_accepts(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    """Where the official Python SDK's client would refuse an answer the documents allow."""
    assert ex.response is not None
    names = {k for k, _ in ex.response.headers}
    found: list[Violation] = []
    for name in SDK_HEADERS:
        if ex.response.header(name) is None:
            found.append(
                (
                    (
                        f"the official Python SDK's client refuses an answer without {name}, "
                        "F and U included (its header parsing raises before its unsigned F/U "
                        "allowance)"
                    ),
                    f"a {name} header",
                    "(absent)",
                )
            )
        elif name not in names:
            written = next(k for k, _ in ex.response.headers if k.lower() == name)
            found.append(
                (
                    (
                        f"the official Python SDK's client reads only the lower-case name {name}, "
                        "though header names are case-insensitive"
                    ),
                    name,
                    written,
                )
            )
    return {"RESP-SDK": found}
