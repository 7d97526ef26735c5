"""What a correct receiver answers an observed request: the Expect that a request the suite chose
in the same shape carries (strategies.py, header_cases.py), derived from the request itself.

Each rule reads one property of the request and says whether it calls for a refusal, names a form
that must still succeed, or leaves the answer open (a fact the profile does not give). One refusal
and nothing open: its Expect, code included. Several, or one with something open: a refusal,
whatever its code. No refusal and nothing open: success, with the token's scopes and values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from conformance import signing
from conformance.contract.spec import Api
from conformance.core.model import Expect, Request
from conformance.generation.header_cases import (
    BAD_SIGNATURE,
    OTHER_DIGEST,
    method_case,
    refusal,
    success_expectation,
)
from conformance.generation.mutations import compact
from conformance.generation.strategies import INVALID, TOKEN_REFUSED, fixed_values
from conformance.profile import Token

SIGNED_HEADERS = ("Client-Id", "Request-Time", "Signature")
# Whole seconds and an offset, as the docs' examples: other valid forms are TIME-FORMS' to judge.
PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@dataclass(frozen=True)
class Peer:
    """What the profile says of the sender and of the values a request must carry."""

    api: Api
    validator: Draft202012Validator
    key: signing.PublicKey | None  # the sender's public key
    client_id: str | None  # the sender's registered Client-Id
    filled: tuple[tuple[str, str], ...]  # field -> the profile's value (pspId, acquirerId)
    # The request's key field (accessToken, authUrl) and the profile's entries for it.
    key_field: str
    keys: tuple[Token, ...]
    no_key: str  # why signatures are not verified, when key is None


@dataclass(frozen=True)
class Fact:
    """One property of the request, as it bears on the answer."""

    refusal: Expect | None = None
    because: str = ""  # what calls for the refusal
    form: str | None = None  # a valid variant: success is judged under this requirement
    open: str | None = None  # what leaves the answer open
    token: Token | None = None  # the profile's entry for the request's key, when valid


# The suffixes an observed request's Expect can name: the refusals, their codes' requirements and
# the forms a valid request may take (each also needs what Judge.inapplicable lists).
SUCCESS = (
    *("VALID-SUCCESS", "SIG-HEADER-FORMS", "TIME-FORMS", "JSON-FORMS", "UNKNOWN-FIELDS"),
    "AGENT-TOKEN",
)
SIGNATURE = ("SIG-VERIFY", "SIG-DIGEST")
DERIVED = frozenset(
    {
        *SUCCESS,
        *SIGNATURE,
        *("METHOD", "METHOD-CODE", "MEDIA-TYPE", "HEADER-REQUIRED", "CLIENT-UNKNOWN"),
        *("SIG-ALGORITHM", "TIME-MALFORMED", "INVALID-REFUSED", "INVALID-PARAM-ILLEGAL"),
        *("FIXED-VALUE", "PSPID-MISMATCH", "TOKEN-REFUSED", "TOKEN-CODE"),
    }
)

Rule = Callable[[Request, Peer, "Body"], Iterator[Fact]]


@dataclass(frozen=True)
class Body:
    """The request body as read once: the object (or None), and its fields that are each valid."""

    value: dict[str, Any] | None
    valid_fields: frozenset[str]
    broken: bool  # not a JSON object, or against the schema
    repeated: bool  # a key written twice
    problem: str = ""  # how it is broken, by field and rule (never a value: it may be a token)


def read_body(raw: bytes, peer: Peer) -> Body:
    seen: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            seen.append(True)
        return dict(items)

    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict):
        return Body(None, frozenset(), True, False, "the body is not a UTF-8 JSON object")
    errors = list(peer.validator.iter_errors(value))
    bad = {str(e.path[0]) for e in errors if e.path}
    fields = frozenset(k for k in value if k not in bad)
    rules = [f"{_where(e)}: {e.validator}" for e in errors]
    problem = f"the body breaks the schema ({', '.join(sorted(set(rules)))})" if rules else ""
    return Body(value, fields, bool(errors), bool(seen), problem)


def _where(error: ValidationError) -> str:
    """The field an error is about: a required one by its name, never by the value it has."""
    if error.path:
        return str(error.path[0])
    wanted = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = (
            [str(r) for r in wanted if r not in error.instance] if isinstance(wanted, list) else []
        )
        return ", ".join(missing) or "the body"
    return "the body"


def _method(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    if req.method != "POST":
        yield Fact(method_case(peer.api, req.method).expect, f"the method is {req.method}")


def _media_type(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    label = req.header("content-type")
    if label is None:
        yield Fact(open="the request has no Content-Type: the documents leave its reading open")
    elif label.split(";")[0].strip().lower() != "application/json":
        yield Fact(
            refusal("MEDIA-TYPE", "MEDIA_TYPE_NOT_ACCEPTABLE"), "the body is not labelled JSON"
        )


def _headers(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    if any(not req.header(name) for name in SIGNED_HEADERS):
        yield Fact(refusal("HEADER-REQUIRED", None), "a signed header is missing")
    client_id = req.header("client-id")
    if client_id and peer.client_id is None:
        yield Fact(open="the sender's Client-Id is not in the profile")
    elif client_id and client_id != peer.client_id:
        yield Fact(refusal("CLIENT-UNKNOWN", "INVALID_CLIENT"), "the Client-Id is not the sender's")
    names = [k for k, _ in req.headers if k.lower() in {h.lower() for h in SIGNED_HEADERS}]
    if names and all(k == k.lower() for k in names):
        yield Fact(form="SIG-HEADER-FORMS")
    if req.header("agent-token"):  # a wallet ignores it; Alipay+ may read it
        if peer.key_field == "accessToken":
            yield Fact(form="AGENT-TOKEN")
        else:
            yield Fact(open="the request carries an Agent-Token, which Alipay+ may act on")


def _time(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    time = req.header("request-time")
    if not time:
        return
    if signing.is_epoch_millis(time):
        yield Fact(open="Request-Time is epoch milliseconds: the documents leave it open")
    elif not signing.is_valid_time(time):
        yield Fact(refusal("TIME-MALFORMED", None), "Request-Time is malformed")
    elif not PLAIN_TIME.match(time):
        yield Fact(form="TIME-FORMS")


def _signature(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    client_id, time, value = (req.header(h) for h in SIGNED_HEADERS)
    if not value:
        return
    try:
        header = signing.parse_signature_header(value)
    except ValueError:
        yield Fact(BAD_SIGNATURE, "the Signature header is malformed")
        return
    if header.algorithm != signing.ALGORITHM:
        yield Fact(refusal("SIG-ALGORITHM", "INVALID_SIGNATURE"), "the algorithm is not RSA256")
        return
    if ", " in value:
        yield Fact(form="SIG-HEADER-FORMS")
    if peer.key is None:
        yield Fact(open=peer.no_key)
        return
    if not client_id or not time:
        return  # HEADER-REQUIRED: nothing to verify against
    found = signing.verify_message(
        header, peer.key, method=req.method, uri=req.uri, client_ids=(client_id,), time=time,
        body=req.body,
    )  # fmt: skip
    if found.verdict is signing.Verdict.RAW_BASE64:
        yield Fact(open="the signature is not URL-encoded: the documents leave its reading open")
    elif not found.ok:
        content = signing.content_to_sign(req.method, req.uri, client_id, time, req.body)
        other = signing.verify_any_digest(content, header.signature, peer.key)
        yield (
            Fact(OTHER_DIGEST, "the signature is made with another digest than SHA-256")
            if other
            else Fact(BAD_SIGNATURE, "the signature does not verify")
        )


def _body(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    if body.broken:
        yield Fact(INVALID, body.problem)
    if body.repeated:
        yield Fact(open="a key is repeated: the documents leave which one counts open")
    if body.value is None:
        return
    known = set(peer.api.request.get("properties", {}))
    if set(body.value) - known:
        yield Fact(form="UNKNOWN-FIELDS")
    if not body.broken and not body.repeated and req.body != compact(body.value):
        yield Fact(form="JSON-FORMS")


def _values(req: Request, peer: Peer, body: Body) -> Iterator[Fact]:
    """The fields a correct sender fills from the profile, each judged when it is valid."""
    value = body.value or {}
    for name, fixed in fixed_values(peer.api).items():
        if name in body.valid_fields and value[name] != fixed:
            yield Fact(refusal("FIXED-VALUE", None), f"{name} is not the fixed value")
    for name, wanted in peer.filled:
        if name not in body.valid_fields or value[name] == wanted:
            continue
        if not wanted:
            yield Fact(open=f"no {name} in the profile to compare the request's with")
        elif name == "pspId":
            yield Fact(refusal("PSPID-MISMATCH", None), "pspId is not the profile's")
        else:
            yield Fact(open=f"{name} is not the profile's: the documents leave it open")
    if peer.key_field not in body.valid_fields:
        return
    entry = next((t for t in peer.keys if t.access_token == value[peer.key_field]), None)
    if entry is None:
        yield Fact(open=f"the request's {peer.key_field} is not declared in the profile")
    elif entry.state == "valid":
        yield Fact(token=entry)
    else:
        yield Fact(TOKEN_REFUSED, f"the profile declares the {peer.key_field} {entry.state}")


RULES: tuple[Rule, ...] = (_method, _media_type, _headers, _signature, _time, _body, _values)


def derive(req: Request, peer: Peer) -> tuple[Expect, str]:
    """The Expect of a suite-chosen request of this shape, and what decided it (or left it open)."""
    body = read_body(req.body, peer)
    facts = [f for rule in RULES for f in rule(req, peer, body)]
    refusals = list(dict.fromkeys((f.refusal, f.because) for f in facts if f.refusal is not None))
    opened = [f.open for f in facts if f.open is not None]
    if refusals:
        (first, because), *more = refusals
        if not more and not opened:
            return first, f"a refusal is called for: {because}"
        why = "; ".join([b for _, b in refusals] + opened)
        return Expect("refusal", first.requirement), f"a refusal, whatever its code: {why}"
    token = next((f.token for f in facts if f.token is not None), None)
    if opened or token is None:
        why = opened[0] if opened else f"no {peer.key_field} in the request"
        # Whatever decides the answer, a SUCCESS shows the fields of the token's scopes.
        granted = replace(success_expectation(token), requirement=None) if token else Expect()
        return granted, f"answer not derived: {why}"
    forms = [f.form for f in facts if f.form is not None]
    requirement = forms[0] if forms else "VALID-SUCCESS"
    return success_expectation(token, requirement), "S/SUCCESS is called for"
