"""Exchanges and outcomes as evidence and transcript entries: plain JSON data, redacted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import casefile
from .client import MAX_RESPONSE_BYTES
from .model import Exchange, Outcome
from .redact import Redactor, header_redacted

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


def outcome_evidence(
    o: Outcome, test: str, redact: Redactor, seed: int | None, secrets: tuple[str, ...]
) -> dict[str, Any]:
    """A failed outcome as evidence: what broke, the exchanges, and the cases to replay them."""
    return {
        "test": test,
        "message": redact(o.message),
        "expected": redact(o.expected),
        "received": redact(o.received),
        "exchanges": [exchange_evidence(ex, redact) for ex in o.exchanges],
        # The minimal example and how it was found, for `conformance replay`.
        "seed": seed if seed is not None else "derandomized",
        "cases": [casefile.dump(ex.case, secrets) for ex in o.exchanges],
    }
