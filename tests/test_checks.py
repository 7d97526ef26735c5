"""Each check on hand-made answers: silent on a correct one, naming its requirement on a broken
one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance import signing
from conformance.checks import Context, judge
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.model import Case, Exchange, Expect, Request, Response
from conformance.engine.target import PREFIXES
from conformance.reference import data

URI = data.PATHS["inquiryUserInfo"]
SUCCESS = Expect("success", "VALID-SUCCESS", scopes=frozenset({"BASE_USER_INFO"}))
REFUSAL = Expect("refusal", "SIG-VERIFY", "SIG-VERIFY", frozenset({"INVALID_SIGNATURE"}))


def ctx() -> Context:
    c = contract()
    return Context(
        c.apis["inquiryUserInfo"],
        c,
        catalogue(),
        PREFIXES["inquiryUserInfo"],
        data.public_key("wallet"),
    )


def answer(
    body: Any,
    *,
    sign: bool = True,
    status: int = 200,
    time: str = "2019-05-28T12:12:12+08:00",
    expect: Expect = SUCCESS,
    headers: dict[str, str] | None = None,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json; charset=UTF-8"}
    if sign:
        content = signing.content_to_sign("POST", URI, data.ALIPAYPLUS_CLIENT_ID, time, raw)
        h.update(
            {
                "Client-Id": data.ALIPAYPLUS_CLIENT_ID,
                "Response-Time": time,
                "Signature": signing.format_signature_header(
                    signing.sign(content, data.private_key("wallet"))
                ),
            }
        )
    h.update(headers or {})
    case = Case("inquiryUserInfo", "valid", b"{}", expect)
    req = Request(headers=(("Client-Id", data.ALIPAYPLUS_CLIENT_ID),), body=b"{}", uri=URI)
    return Exchange(case, req, Response(headers=tuple(h.items()), body=raw, status=status))


def failed(ex: Exchange) -> set[str]:
    return {o.requirement for o in judge(ex, ctx()) if not o.ok}


OK = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
    "userInfo": {"userId": "2160120012345678"},
}


def test_correct_success_passes_every_check() -> None:
    outcomes = judge(answer(OK), ctx())
    assert outcomes and all(o.ok for o in outcomes)


def test_correct_answer_in_other_documented_forms_passes() -> None:
    # Other whitespace, key order, lower-case header names, a Z time, null optional fields.
    body = (
        b'{ "userInfo" : { "userId" : "2160120012345678", "userLoginId": null },\n'
        b' "result": {"resultStatus":"S","resultCode":"SUCCESS"} }'
    )
    ex = answer(body, time="2025-02-20T08:51:49.09Z")
    assert ex.response is not None
    lowered = Response(
        headers=tuple((k.lower(), v) for k, v in ex.response.headers),
        body=ex.response.body,
        status=200,
    )
    assert failed(Exchange(ex.case, ex.request, lowered)) == set()


def test_unsigned_failure_without_response_time_is_accepted() -> None:
    body = {"result": {"resultCode": "INVALID_SIGNATURE", "resultStatus": "F"}}
    assert failed(answer(body, sign=False, expect=REFUSAL)) == set()


@pytest.mark.parametrize(
    "body,rid",
    [
        ({"userInfo": {"userId": "1"}}, "IUI-RESP-SCHEMA"),
        ({**OK, "userInfo": {"userId": 2160120012345678}}, "IUI-RESP-STRING"),
        ({**OK, "result": {**OK["result"], "resultMessage": ""}}, "IUI-RESP-NO-EMPTY"),
        ({**OK, "result": {**OK["result"], "resultMessage": "é" * 257}}, "IUI-RESP-LIMIT-SOFT"),
        ({**OK, "userInfo": {"userId": "中" * 65}}, "IUI-RESP-LIMIT-SOFT"),
        ({**OK, "result": {"resultCode": "SUCCESS", "resultStatus": "F"}}, "IUI-RESULT-STATUS"),
        ({**OK, "result": {"resultCode": "SUCCESS", "resultStatus": "OK"}}, "IUI-RESULT-STATUS"),
        ({"result": {"resultCode": "USER_NOT_FOUND", "resultStatus": "F"}}, "IUI-RESULT-CODE"),
        ({**OK, "userInfo": {"userId": "1", "userLoginId": "+86-1****"}}, "IUI-SCOPE-NO-EXTRA"),
        ({**OK, "userInfo": {}}, "IUI-SCOPE-COMPLETE"),
        ({**OK, "userInfo": {"userId": "1", "nickName": "Lin"}}, "IUI-SCOPE-NO-EXTRA"),
        ({**OK, "userInfo": {"userId": "1", "phoneNo": "+86-1****"}}, "IUI-SCOPE-NO-EXTRA"),
    ],
)
def test_broken_body_fails_its_requirement(body: Any, rid: str) -> None:
    assert rid in failed(answer(body))


def test_a_field_no_scope_maps_to_is_judged_only_when_every_granted_scope_is_known() -> None:
    extra = {**OK, "userInfo": {"userId": "1", "nickName": "Lin", "avatar": None}}
    [violation] = [o for o in judge(answer(extra), ctx()) if not o.ok]
    assert violation.requirement == "IUI-SCOPE-NO-EXTRA" and "nickName" in violation.message
    # A null discloses nothing; a scope whose fields the documents never name may map to any.
    assert failed(answer({**OK, "userInfo": {"userId": "1", "nickName": None}})) == set()
    unmapped = Expect("success", "VALID-SUCCESS", scopes=frozenset({"BASE_USER_INFO", "USER_INFO"}))
    assert failed(answer(extra, expect=unmapped)) == set()


def test_limit_counts_characters_not_bytes() -> None:
    # 64 three-byte characters: 192 bytes, within the 64-character limit.
    assert failed(answer({**OK, "userInfo": {"userId": "中" * 64}})) == set()


def test_user_info_on_failure_is_caught() -> None:
    body = {
        "result": {"resultCode": "INVALID_SIGNATURE", "resultStatus": "F"},
        "userInfo": {"userId": "1"},
    }
    assert {"IUI-USERINFO-ONLY-SUCCESS", "IUI-SIG-VERIFY"} <= failed(answer(body, expect=REFUSAL))


def test_refusal_with_another_code_fails_the_code_requirement() -> None:
    body = {"result": {"resultCode": "PARAM_ILLEGAL", "resultStatus": "F"}}
    assert failed(answer(body, expect=REFUSAL)) == {"IUI-SIG-VERIFY"}


@pytest.mark.parametrize(
    "tweak,rid",
    [
        ({"sign": False}, "IUI-RESP-SIGNED"),
        (
            {"headers": {"Signature": "algorithm=RSA256,keyVersion=1,signature=AAAA"}},
            "IUI-RESP-SIGNED",
        ),
        ({"headers": {"Response-Time": "2019-05-28T12:12:13+08:00"}}, "IUI-RESP-SIGNED"),
        ({"headers": {"Signature": "garbage"}}, "IUI-RESP-SIGNED"),
        ({"time": "2019-05-28 12:12:12"}, "IUI-RESP-HEADERS"),
        ({"status": 400}, "IUI-TRANSPORT-HTTP-200"),
        ({"headers": {"Content-Type": "text/html"}}, "IUI-TRANSPORT-CONTENT-TYPE"),
    ],
)
def test_broken_transport_or_signature_fails_its_requirement(
    tweak: dict[str, Any], rid: str
) -> None:
    assert rid in failed(answer(OK, **tweak))


def test_non_json_and_silence() -> None:
    assert "IUI-TRANSPORT-JSON" in failed(answer(b"<html>502 Bad Gateway</html>", status=502))
    case = Case("inquiryUserInfo", "valid", b"{}", SUCCESS)
    silent = Exchange(case, Request(headers=(), body=b"{}"), None, "timeout: ReadTimeout")
    assert failed(silent) == {"IUI-TRANSPORT-ANSWER", "IUI-VALID-SUCCESS"}


def test_response_client_id_must_echo_the_callers() -> None:
    raw = json.dumps(OK).encode()
    content = signing.content_to_sign(
        "POST", URI, "OTHER_CLIENT_01", "2019-05-28T12:12:12+08:00", raw
    )
    other = {
        "Client-Id": "OTHER_CLIENT_01",
        "Signature": signing.format_signature_header(
            signing.sign(content, data.private_key("wallet"))
        ),
    }
    # Signed over its own Client-Id, so only the echo fails.
    assert failed(answer(OK, headers=other)) == {"IUI-CLIENT-ID-ECHO"}
    assert "IUI-CLIENT-ID-ECHO" in {o.requirement for o in judge(answer(OK), ctx()) if o.ok}


def test_client_id_echo_is_not_judged_without_one_on_either_side() -> None:
    body = {"result": {"resultCode": "INVALID_SIGNATURE", "resultStatus": "F"}}
    unsigned = answer(body, sign=False, expect=REFUSAL)
    assert "IUI-CLIENT-ID-ECHO" not in {o.requirement for o in judge(unsigned, ctx())}


def pas_ctx() -> Context:
    c = contract()
    return Context(c.apis["prepareAuthInfo"], c, catalogue(), "PAS", data.public_key("alipayplus"))


def pas_answer(
    status: str, *, sign: bool = True, names: Any = str.lower, client_id: bool = True
) -> Exchange:
    """An Alipay+ answer to a request the official Python SDK could have sent."""
    uri, cid, time = data.GATEWAY_PATH, data.WALLET_CLIENT_ID, "2019-05-28T12:12:12+08:00"
    code = {"S": "SUCCESS", "F": "ACCESS_DENIED", "U": "UNKNOWN_EXCEPTION"}[status]
    raw = json.dumps({"result": {"resultCode": code, "resultStatus": status}}).encode()
    h = {"Content-Type": "application/json; charset=UTF-8"}
    if sign:
        content = signing.content_to_sign("POST", uri, cid, time, raw)
        h["Client-Id"] = cid
        h["Response-Time"] = time
        h["Signature"] = signing.format_signature_header(
            signing.sign(content, data.private_key("alipayplus"))
        )
        if not client_id:
            del h["Client-Id"]
    expect = Expect("refusal", "INVALID-REFUSED")
    case = Case("prepareAuthInfo", "invalid", b"{}", expect)
    req = Request(headers=(("Client-Id", cid),), body=b"{}", uri=uri)
    sent = tuple((names(k), v) for k, v in h.items())
    return Exchange(case, req, Response(headers=sent, body=raw, status=200))


def sdk_refuses(ex: Exchange) -> bool:
    return any(o.requirement == "PAS-RESP-SDK" and not o.ok for o in judge(ex, pas_ctx()))


@pytest.mark.parametrize("status", ["S", "F", "U"])
def test_the_python_sdk_reads_a_signed_answer_with_lower_case_names(status: str) -> None:
    assert not sdk_refuses(pas_answer(status))


@pytest.mark.parametrize("status", ["F", "U"])
def test_an_unsigned_f_or_u_is_allowed_but_warned_as_the_python_sdk_refuses_it(
    status: str,
) -> None:
    outcomes = judge(pas_answer(status, sign=False), pas_ctx())
    assert {o.requirement for o in outcomes if not o.ok} == {"PAS-RESP-SDK"}
    assert catalogue().requirements["PAS-RESP-SDK"].level == "SHOULD"


def test_the_python_sdk_finds_no_capitalised_name_nor_an_absent_client_id() -> None:
    assert sdk_refuses(pas_answer("S", names=str))  # Signature, Response-Time, Client-Id
    assert sdk_refuses(pas_answer("S", client_id=False))


AUTH_URL = data.AUTH_URLS[0]
NAMED = "https://merchant.example/oauth/return?shop=ref-1"
GRANT = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
    "acquirerId": data.ACQUIRER_ID,
    "pspId": data.PSP_ID,
    "authClientId": "2021000000000001",
    "authRedirectUrl": NAMED,
    "scopes": ["BASE_USER_INFO"],
}


def redirect_failures(redirect: str, auth_url: str = AUTH_URL) -> list[str]:
    """The PAS-REDIRECT-NAMED violations of a SUCCESS returning this redirect for this authUrl."""
    c = contract()
    pas = Context(c.apis["prepareAuthInfo"], c, catalogue(), "PAS", data.public_key("alipayplus"))
    sent = json.dumps({"authUrl": auth_url, "acquirerId": data.ACQUIRER_ID}).encode()
    case = Case("prepareAuthInfo", "valid", sent, Expect("success", "VALID-SUCCESS"))
    raw = json.dumps({**GRANT, "authRedirectUrl": redirect}).encode()
    ex = Exchange(case, Request((), sent, uri="/p"), Response((), raw, status=200))
    found = [o for o in judge(ex, pas) if o.requirement == "PAS-REDIRECT-NAMED"]
    assert found, "PAS-REDIRECT-NAMED not judged"
    return [o.message for o in found if not o.ok]


def test_auth_redirect_url_is_the_redirect_the_auth_url_names() -> None:
    assert "shop%3Dref-1" in AUTH_URL  # the merchant's redirect carries a query parameter
    assert redirect_failures(NAMED) == []
    assert redirect_failures(NAMED + "&state=ref-1") == []  # Alipay+ may add its own
    assert redirect_failures("HTTPS://Merchant.example/oauth/return?shop=ref-1") == []
    [dropped] = redirect_failures("https://merchant.example/oauth/return")
    assert "shop=ref-1" in dropped
    assert redirect_failures("https://merchant.example/oauth/return?shop=ref-2")
    assert redirect_failures("https://elsewhere.example/oauth/return?shop=ref-1")
