"""The PAI request judges on hand-made requests: every documented form passes, and a signature
is read as the official SDKs read it (a raw '+' fails, a raw '/' or '=' is flagged), at every
verification site."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from urllib.parse import quote, unquote

import httpx
import pytest

from conformance import signing
from conformance.checks import Context, judge
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.model import Case, Exchange, Expect, Outcome, Request, Response
from conformance.gateway.scenarios import auth_url
from conformance.reference import data
from conformance.reference.client import PrepareClient

URI = data.GATEWAY_PATH
URL = auth_url("mppc0123456789abcdef")
WHEN = datetime(2019, 5, 28, 4, 12, 12, 90000, tzinfo=UTC)
Encode = Callable[[str], str]


def pai() -> Context:
    c = contract()
    return Context(c.apis["prepareAuthInfo"], c, catalogue(), "PAI", data.public_key("wallet"))


def request(
    body: bytes | str | None = None,
    time: str = "2019-05-28T12:12:12+08:00",
    encode: Encode = lambda plain: quote(plain, safe=""),
    names: Callable[[str], str] = str,
    space: bool = False,
    drop: tuple[str, ...] = (),
    form: str | None = None,
) -> Exchange:
    """A request as the wallet sends it; each argument changes one documented or broken form."""
    raw = body if body is not None else json.dumps({"authUrl": URL, "acquirerId": data.ACQUIRER_ID})
    raw = raw if isinstance(raw, bytes) else raw.encode()
    content = signing.content_to_sign("POST", URI, data.WALLET_CLIENT_ID, time, raw)
    key = data.private_key("wallet")
    plain = unquote(
        signing.sign_in_form(content, key, form) if form else signing.sign(content, key)
    )
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "Client-Id": data.WALLET_CLIENT_ID,
        "Request-Time": time,
        "Signature": signing.format_signature_header(encode(plain), space=space),
    }
    sent = tuple((names(k), v) for k, v in headers.items() if k not in drop)
    expect = Expect(values=(("authUrl", URL), ("client-id", data.WALLET_CLIENT_ID)))
    case = Case("prepareAuthInfo", "incoming", raw, expect)
    reply = Response(headers=(), body=b"{}", status=200)
    return Exchange(case, Request(headers=sent, body=raw, uri=URI), reply)


def broken(outcomes: list[Outcome]) -> set[str]:
    return {o.requirement for o in outcomes if not o.ok}


def judged(outcomes: list[Outcome]) -> set[str]:
    return {o.requirement for o in outcomes}


FORMS: dict[str, Callable[[], Exchange]] = {
    "lower-case names": lambda: request(names=str.lower),
    "upper-case names": lambda: request(names=str.upper),
    "spaced Signature": lambda: request(space=True),
    "lower-case escapes": lambda: request(
        encode=lambda p: re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(p, safe=""))
    ),
    "indented JSON in another key order": lambda: request(
        json.dumps({"acquirerId": data.ACQUIRER_ID, "authUrl": URL}, indent=4).encode()
    ),
    **{
        f"Request-Time {form}": partial(request, time=f(WHEN))
        for form, f in signing.TIME_FORMS.items()
    },
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_documented_form_passes_every_request_judge(form: str) -> None:
    outcomes = judge(FORMS[form](), pai())
    assert broken(outcomes) == set()
    assert {"PAI-REQ-SIGNED", "PAI-REQ-TIME", "PAI-REQ-HEADERS", "PAI-REQ-AUTHURL"} <= judged(
        outcomes
    )


@pytest.mark.parametrize(
    "char,fails", [("+", {"PAI-REQ-SIGNED", "PAI-REQ-SIG-ENCODED"}), ("/", None), ("=", None)]
)
def test_one_raw_base64_character(char: str, fails: set[str] | None) -> None:
    # Search deterministically for a request whose signature holds +, / and =.
    for i in range(200):
        ex = request(json.dumps({"authUrl": URL, "acquirerId": data.ACQUIRER_ID, "n": str(i)}))
        plain = unquote(
            signing.parse_signature_header(ex.request.header("signature") or "").signature
        )
        if "+" in plain and "/" in plain:
            break
    else:
        raise AssertionError("no signature with both + and / in 200 requests")
    body = ex.request.body
    outcomes = judge(request(body, encode=lambda p: quote(p, safe=char)), pai())
    assert broken(outcomes) == (fails or {"PAI-REQ-SIG-ENCODED"})
    flag = next(o for o in outcomes if o.requirement == "PAI-REQ-SIG-ENCODED")
    assert flag.received == f"raw {char}"
    if char == "+":
        signed = next(o for o in outcomes if o.requirement == "PAI-REQ-SIGNED")
        assert "raw '+'" in signed.message and "official SDKs" in signed.message


@pytest.mark.parametrize("form", sorted(signing.DIGEST_FORMS))
def test_the_right_content_signed_with_another_digest_does_not_verify(form: str) -> None:
    # SHA-1 and the like pass the official Python SDK's verifier, but RSA256 is SHA256withRSA.
    outcomes = judge(request(form=form), pai())
    assert broken(outcomes) == {"PAI-REQ-SIGNED"}
    found = next(o for o in outcomes if o.requirement == "PAI-REQ-SIGNED")
    assert "does not verify" in found.message


def test_an_absent_signature_is_reported_absent() -> None:
    outcomes = judge(request(drop=("Signature",)), pai())
    found = [o for o in outcomes if not o.ok]
    assert [o.requirement for o in found] == ["PAI-REQ-SIGNED"]
    assert "no Signature header" in found[0].message and found[0].received == "(absent)"


def test_a_missing_content_type_is_a_should_a_wrong_one_a_must() -> None:
    assert broken(judge(request(drop=("Content-Type",)), pai())) == {"PAI-REQ-CONTENT-TYPE"}
    wrong = request()
    headers = tuple(
        (k, "text/plain" if k == "Content-Type" else v) for k, v in wrong.request.headers
    )
    relabelled = Exchange(wrong.case, Request(headers, wrong.request.body, uri=URI), None)
    assert broken(judge(relabelled, pai())) == {"PAI-REQ-TRANSPORT"}
    assert catalogue()["PAI-REQ-CONTENT-TYPE"].level == "SHOULD"


def _signed_reply(encode: Encode) -> tuple[bytes, str, str]:
    """A reply body, its Response-Time and a signature (by Alipay+'s key) holding + and /."""
    key = data.private_key("alipayplus")
    for i in range(200):
        body = json.dumps({"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "n": str(i)})
        time = "2019-05-28T12:12:12+08:00"
        content = signing.content_to_sign("POST", URI, data.WALLET_CLIENT_ID, time, body.encode())
        plain = unquote(signing.sign(content, key))
        if "+" in plain and "/" in plain:
            return body.encode(), time, encode(plain)
    raise AssertionError("no signature with both + and / in 200 replies")


@pytest.mark.parametrize("char", ["+", "/", "="])
def test_responses_are_read_the_same_way(char: str) -> None:
    body, time, value = _signed_reply(lambda p: quote(p, safe=char))
    headers = (
        ("Content-Type", "application/json"),
        ("Client-Id", data.WALLET_CLIENT_ID),
        ("Response-Time", time),
        ("Signature", signing.format_signature_header(value)),
    )
    sent = Request(headers=(("Client-Id", data.WALLET_CLIENT_ID),), body=b"{}", uri=URI)
    c = contract()
    ctx = Context(c.apis["prepareAuthInfo"], c, catalogue(), "PAS", data.public_key("alipayplus"))
    ex = Exchange(Case("prepareAuthInfo", "valid", b"{}"), sent, Response(headers, body, 200))
    signed = [o for o in judge(ex, ctx) if o.requirement == "PAS-RESP-SIGNED"]
    assert signed and all(o.ok for o in signed) is (char != "+")
    # The reference client (the wallet verifying Alipay+'s reply) reads it the same way.
    client = PrepareClient()
    reply = httpx.Response(200, headers=dict(headers), content=body)
    assert client.trusted(URI, reply, "S") is (char != "+")


def test_every_pai_level_records_its_basis() -> None:
    text = (resources.files("conformance.contract.catalogue") / "prepareAuthInfo.toml").read_text()
    rows = tomllib.loads(text)["requirement"]
    assert rows and all(isinstance(r.get("basis"), str) and len(r["basis"]) > 20 for r in rows)
    # A rule resting only on a sibling gateway or an inference is never a MUST.
    assert [r["id"] for r in rows if r["label"] in ("S", "I") and r["level"] == "MUST"] == []


def test_epoch_millis_is_the_java_sdk_warning_other_forms_the_must() -> None:
    """The official Java SDK's Request-Time is warned under its own SHOULD; other forms fail."""
    epoch = broken(judge(request(time="1559016732000"), pai()))
    assert epoch == {"PAI-REQ-TIME-EPOCH"}
    assert catalogue().requirements["PAI-REQ-TIME-EPOCH"].level == "SHOULD"
    assert "Java SDK" in catalogue().requirements["PAI-REQ-TIME-EPOCH"].level_basis
    for bad in ("1559016732", "2019-05-28 12:12:12", "15590167320001"):
        assert broken(judge(request(time=bad), pai())) == {"PAI-REQ-TIME"}, bad
