"""Exchanges and outcomes as evidence and transcript entries: plain JSON data, redacted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance import signing
from conformance.core.model import Exchange, Message, Outcome
from conformance.core.redact import Redactor, header_redacted
from conformance.engine import casefile
from conformance.transport.sender import MAX_RESPONSE_BYTES

EVIDENCE_BODY_LIMIT = MAX_RESPONSE_BYTES  # bodies are kept whole up to the read bound


def _text(body: bytes, redact: Redactor) -> str:
    # Redacted whole, then shortened: a secret cut in two would escape redaction.
    text = redact(body.decode("utf-8", errors="backslashreplace"))
    if len(text) > EVIDENCE_BODY_LIMIT:
        text = (
            text[:EVIDENCE_BODY_LIMIT] + f"\n… ({len(text) - EVIDENCE_BODY_LIMIT} more characters)"
        )
    return text


def _headers(headers: Iterable[tuple[str, str]], redact: Redactor) -> list[list[str]]:
    # A credential header (a cookie the wallet sets) is hidden by its name, whatever its value.
    return [[k, redact(header_redacted(k, v))] for k, v in headers]


def exchange_evidence(ex: Exchange, redact: Redactor) -> dict[str, Any]:
    req = ex.request
    out: dict[str, Any] = {
        "case": redact(ex.case.title),
        "request": {
            "method": req.method,
            "url": req.url,
            "headers": _headers(req.headers, redact),
            "body": _text(req.body, redact),
        },
        "response": None,
        "error": redact(ex.error) if ex.error else None,
    }
    if ex.attempts > 1:
        out["attempts"] = ex.attempts  # re-sent after a back-off; this is the last answer
    if ex.disturbances:
        out["disturbances"] = [
            {"attempt": d.attempt, "kind": d.kind, "what": redact(d.what)} for d in ex.disturbances
        ]
    if ex.response is not None:
        r = ex.response
        out["response"] = {
            "status": r.status,
            "headers": _headers(r.headers, redact),
            "body": _text(r.body, redact),
            "elapsed": round(r.elapsed, 4),
        }
    return out


def transcript_entry(ex: Exchange, outcomes: list[Outcome], redact: Redactor) -> dict[str, Any]:
    """One exchange of the run's transcript (redacted), with the requirements it broke."""
    return {
        **exchange_evidence(ex, redact),
        "broke": sorted({o.requirement for o in outcomes if not o.ok}),
    }


def signature_evidence(ex: Exchange, key: signing.PublicKey, redact: Redactor) -> dict[str, Any]:
    """What the target's response signature was checked over, exactly (the body's bytes as
    received), its value (public) and whether the expected key made it: a right key over other
    bytes is fixed in what is signed, another key in which key signs."""
    resp = ex.response
    if resp is None:
        return {}
    # The Client-Ids the check tries, in its order (conformance/checks/response.py).
    ids = (resp.header("client-id"), ex.request.header("client-id"))
    return _signed("response", ex.request.uri, resp, ids, resp.header("response-time"), key, redact)


def request_signature_evidence(
    ex: Exchange, key: signing.PublicKey, redact: Redactor
) -> dict[str, Any]:
    """The same for a request the wallet sent (to the suite's gateway): checked over its own
    Client-Id and Request-Time and its body's bytes as received."""
    req = ex.request
    ids = (req.header("client-id"),)
    return _signed("request", req.uri, req, ids, req.header("request-time"), key, redact)


def _signed(
    side: str,
    uri: str,
    message: Message,
    ids: tuple[str | None, ...],
    time: str | None,
    key: signing.PublicKey,
    redact: Redactor,
) -> dict[str, Any]:
    header = message.header("signature")
    if header is None:
        return {}
    try:
        value = signing.parse_signature_header(header).signature
    except ValueError:
        return {}
    contents = signing.checked_contents(
        uri, tuple(dict.fromkeys(i for i in ids if i)), time or "", message.body
    )
    verifies = any(signing.verify(c, value, key) for c in contents)
    right = verifies or signing.signed_with(value, key)
    return {
        "signed": side,
        "signature": value,
        "contents": [_text(c, redact) for c in contents],
        "verifies": verifies,
        "key": "right" if right else "other",
    }


def outcome_evidence(
    o: Outcome,
    test: str,
    redact: Redactor,
    seed: int | None,
    secrets: tuple[str, ...],
    key: signing.PublicKey | None = None,
    request_key: signing.PublicKey | None = None,
) -> dict[str, Any]:
    """A failed outcome as evidence: what broke, the exchanges, and the cases to replay them;
    for a response signature, what it was checked over with `key` (the target's public key), and
    for a request the wallet sent, with `request_key` (its key as the gateway knows it)."""
    signed = []
    if key is not None and o.requirement.endswith("RESP-SIGNED"):
        signed = [s for ex in o.exchanges if (s := signature_evidence(ex, key, redact))]
    if request_key is not None and o.requirement.endswith("REQ-SIGNED"):
        signed = [
            s for ex in o.exchanges if (s := request_signature_evidence(ex, request_key, redact))
        ]
    return {
        **({"signatures": signed} if signed else {}),
        "test": test,
        "message": redact(o.message),
        "expected": redact(o.expected),
        "received": redact(o.received),
        "exchanges": [exchange_evidence(ex, redact) for ex in o.exchanges],
        # The minimal example and how it was found, for `conformance replay`.
        "seed": seed if seed is not None else "derandomized",
        "cases": [casefile.dump(ex.case, secrets) for ex in o.exchanges],
    }
