"""A probe changes exactly one property of a valid request, for every mutation kind, field and
API: restore that property and the request validates and the reference answers SUCCESS."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import find, given, settings

from conformance.contract.spec import Api, Field, contract
from conformance.core.model import Case
from conformance.generation import strategies as S
from conformance.generation.bodies import BODY_MUTATIONS
from conformance.generation.mutations import (
    MISSING,
    MUTATIONS,
    OVERSIZED_CHARS,
    applicable,
    mutated,
)
from conformance.generation.shapes import shape_of
from conformance.reference import data
from conformance.reference.alipayplus import AlipayPlus
from conformance.reference.wallet import Wallet
from conformance.signing import RSA256Auth, Tamper

from .test_strategies import FAST

PROFILE = data.embedded_profile()
APIS = [contract().apis[name] for name in ("inquiryUserInfo", "prepareAuthInfo")]
FEW = settings(FAST, max_examples=5)  # each example is signed and answered by the reference
# How the suite signs, per API: (the server that answers, its path, the caller's Client-Id and key).
CALLERS = {
    "inquiryUserInfo": (
        Wallet,
        data.PATHS["inquiryUserInfo"],
        data.ALIPAYPLUS_CLIENT_ID,
        "alipayplus",
    ),
    "prepareAuthInfo": (AlipayPlus, data.GATEWAY_PATH, data.WALLET_CLIENT_ID, "wallet"),
}
# A value of another JSON type carries the valid value: this reads it back.
CARRIED: dict[str, Callable[[Field, Any], Any]] = {
    "number": lambda f, v: str(v) if isinstance(v, int) and not isinstance(v, bool) else None,
    "boolean": lambda f, v: str(v).lower() if isinstance(v, bool) else None,
    "array": lambda f, v: v[0] if isinstance(v, list) and len(v) == 1 else None,
    "object": lambda f, v: v.get(f.name) if isinstance(v, dict) and len(v) == 1 else None,
}


def _key(api: Api) -> str:
    return S.first_token(api, PROFILE).access_token


def _body(api: Api) -> dict[str, Any]:
    return S.base_body(api, PROFILE, _key(api))


def answer(case: Case) -> str | None:
    """The reference's resultCode for a case, signed as the suite signs it."""
    server, uri, client_id, key = CALLERS[case.api]
    auth = RSA256Auth(
        client_id, data.private_key(key), "1", case.tamper, data.private_key("stranger")
    )
    headers = auth.headers_for(case.method, uri, case.body)
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    reply = server().handle(case.method, uri, {k.lower(): v for k, v in headers.items()}, case.body)
    code = json.loads(reply.body)["result"]["resultCode"]
    return code if isinstance(code, str) else None


def validates(api: Api, body: Any) -> bool:
    return isinstance(body, dict) and contract().validator(api.request).is_valid(body)


def restored_succeeds(case: Case, body: dict[str, Any]) -> None:
    api = contract().apis[case.api]
    assert validates(api, body)
    assert answer(replace(case, body=S.compact(body))) == "SUCCESS"


MUTATED = [(api, f, kind) for api in APIS for f, kind in S.field_mutations(api, _body(api))]


@pytest.mark.parametrize(
    ("api", "field", "kind"),
    MUTATED,
    ids=[f"{a.name}-{f.name}-{k}" for a, f, k in MUTATED],
)
def test_field_mutation_breaks_exactly_one_property(api: Api, field: Field, kind: str) -> None:
    body = _body(api)
    valid = body[field.name]

    @FEW
    @given(S.invalid_case(api, PROFILE, S.first_token(api, PROFILE), field, kind))
    def check(case: Case) -> None:
        sent = json.loads(case.body)
        assert not validates(api, sent)
        value = sent.get(field.name, MISSING)
        # Every other field is the valid one; putting the valid value back restores the request.
        assert {k: v for k, v in sent.items() if k != field.name} == {
            k: v for k, v in body.items() if k != field.name
        }
        restored_succeeds(case, mutated(sent, field.name, valid))
        if kind in CARRIED:
            assert CARRIED[kind](field, value) == valid, value
        elif kind in ("too_long", "oversized"):
            size = (field.max_length or 0) + 1 if kind == "too_long" else OVERSIZED_CHARS
            assert len(value) == size and shape_of(field, valid).keeps(value)
        else:
            assert value in (None, MISSING, ""), kind

    check()


def test_every_mutation_kind_is_probed_and_carries_the_valid_value() -> None:
    kinds = {kind for _, _, kind in MUTATED}
    assert kinds == set(MUTATIONS) - {"boolean"}  # no field of either API holds "true" or "false"
    flag = Field("flag", {"type": "string", "minLength": 1}, True)
    assert applicable("boolean", flag, "true") and not applicable("boolean", flag, "1")
    assert CARRIED["boolean"](flag, find(MUTATIONS["boolean"](flag, "true"), bool)) == "true"
    # A JSON number carries only a value it writes exactly.
    numeric = {(a.name, f.name) for a, f, k in MUTATED if k == "number"}
    assert numeric == {
        ("inquiryUserInfo", "pspId"),
        ("inquiryUserInfo", "acquirerId"),
        ("prepareAuthInfo", "acquirerId"),
    }


def test_over_long_url_is_a_url_of_the_same_page() -> None:
    api = contract().apis["prepareAuthInfo"]
    field = next(f for f in api.request_fields() if f.name == "authUrl")
    valid = _body(api)["authUrl"]
    value = find(MUTATIONS["too_long"](field, valid), lambda v: True)
    assert len(value) == 2049 and value.startswith(valid + "&pad=")
    assert AlipayPlus().issued(value)  # the page would still read it: only its length is wrong


@pytest.mark.parametrize("kind", list(BODY_MUTATIONS))
@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_body_mutation_is_undone_by_its_variant(api: Api, kind: str) -> None:
    body, mutation = _body(api), BODY_MUTATIONS[kind]

    @FEW
    @given(S.body_case(api, PROFILE, S.first_token(api, PROFILE), kind))
    def check(case: Case) -> None:
        try:
            sent = json.loads(case.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            sent = None
        assert validates(api, sent) is mutation.valid
        again = json.loads(mutation.variants[case.note].restore(case.body, body))
        assert again == body
        restored_succeeds(case, again)

    check()


CASES = [
    (api, name)
    for api in APIS
    for name in S.header_cases(api, PROFILE, S.first_token(api, PROFILE))
]


@pytest.mark.parametrize(("api", "name"), CASES, ids=[f"{a.name}-{n}" for a, n in CASES])
def test_header_deviation_sits_on_a_perfect_request(api: Api, name: str) -> None:
    token = S.first_token(api, PROFILE)
    case = S.header_cases(api, PROFILE, token)[name](S.compact(_body(api)))
    changed = [f.name for f in fields(Tamper) if getattr(case.tamper, f.name) != f.default]
    changed += ["content_type"] if case.content_type != S.JSON_CT else []
    assert len(changed) == 1, changed
    assert json.loads(case.body) == _body(api)
    assert answer(replace(case, tamper=Tamper(), content_type=S.JSON_CT)) == "SUCCESS"


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_other_method_sits_on_a_perfect_request(api: Api) -> None:
    case = S.method_case(api, "PUT", S.compact(_body(api)), S.first_token(api, PROFILE))
    assert json.loads(case.body) == _body(api) and case.tamper == Tamper()
    assert answer(case) != "SUCCESS" and answer(replace(case, method="POST")) == "SUCCESS"


@pytest.mark.parametrize("layout", list(S.LAYOUTS))
@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_layout_is_the_same_request(api: Api, layout: str) -> None:
    case = S.layout_case(api, PROFILE, S.first_token(api, PROFILE), layout)
    assert json.loads(case.body) == _body(api) and case.body != S.compact(_body(api))
    assert answer(case) == "SUCCESS"


def test_fixed_value_probe_is_another_value_of_the_same_shape() -> None:
    api = contract().apis["prepareAuthInfo"]
    (field,) = S.fixed_fields(api)
    fixed = field.schema["x-fixed"]

    @FEW
    @given(S.fixed_value_case(api, PROFILE, S.first_token(api, PROFILE), field))
    def check(case: Case) -> None:
        sent = json.loads(case.body)
        value = sent[field.name]
        assert validates(api, sent) and value != fixed
        assert len(value) == len(fixed) and value.isdigit()
        assert answer(case) != "SUCCESS"
        restored_succeeds(case, mutated(sent, field.name, fixed))

    check()
