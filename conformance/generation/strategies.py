"""Hypothesis strategies of Cases: valid, boundary and invalid requests, derived from the
schemas. Every probe is a valid request with exactly one property changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hypothesis import strategies as st

from conformance.contract.spec import Api, Field
from conformance.core.model import Case, Expect
from conformance.generation.bodies import BODY_MUTATIONS, LAYOUTS
from conformance.generation.header_cases import (
    header_cases,
    method_case,
    refusal,
    success_expectation,
)
from conformance.generation.mutations import (
    AT_LIMIT,
    AT_LIMIT_CLASSES,
    CHAR_CLASSES,
    MUTATIONS,
    UNEVEN_AT_LIMIT,
    applicable,
    compact,
    encode,
    encode_each,
    encode_with,
    mutated,
)
from conformance.generation.shapes import char_shape, shape_of
from conformance.profile import Profile, Token

JSON_CT = "application/json; charset=UTF-8"
INVALID = Expect(
    "refusal", "INVALID-REFUSED", "INVALID-PARAM-ILLEGAL", frozenset({"PARAM_ILLEGAL"})
)


def fixed_values(api: Api) -> dict[str, Any]:
    """Request fields whose value the page fixes (x-fixed)."""
    return {f.name: f.schema["x-fixed"] for f in api.request_fields() if "x-fixed" in f.schema}


# api -> (profile, the request's key) -> the fields a correct caller fills from them. The key is
# the access token of inquiryUserInfo, the intercepted authUrl of prepareAuthInfo.
_FILLED: Mapping[str, Callable[[Profile, str], dict[str, Any]]] = {
    "inquiryUserInfo": lambda p, key: {
        "pspId": p.psp_id,
        "acquirerId": p.acquirer_id,
        "accessToken": key,
    },
    "prepareAuthInfo": lambda p, key: {"authUrl": key},
}


def base_body(api: Api, profile: Profile, key: str) -> dict[str, Any]:
    """The request a correct caller sends for this key."""
    return {**_FILLED[api.name](profile, key), **fixed_values(api)}


def key_token(auth_url: str) -> Token:
    """A prepareAuthInfo request's secret-free key, its authUrl, in the place of a token."""
    return Token(auth_url, frozenset(), "valid")


def first_token(api: Api, profile: Profile) -> Token:
    """The key of the one valid request that probes are made from."""
    if api.name == "prepareAuthInfo":
        return key_token(profile.provider.auth_urls[0] if profile.provider else "")
    # Without [target] there is no token: the key only names probes that will not be sent.
    return next((t for t in profile.tokens if t.state == "valid"), Token("", frozenset()))


def _cases(api: Api, kind: str, expect: Expect, token: Token, **kw: Any) -> Any:
    """raw bytes -> Case, for .map."""
    return lambda raw: Case(api.name, kind, raw, expect, token=token.access_token, **kw)


def valid_case(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[Case]:
    body = base_body(api, profile, token.access_token)
    return encode(body).map(
        _cases(api, "valid", success_expectation(token), token, note=token.label)
    )


def invalid_case(
    api: Api, profile: Profile, token: Token, f: Field, kind: str
) -> st.SearchStrategy[Case]:
    """The valid request with one field broken by one mutation kind."""
    body = base_body(api, profile, token.access_token)
    return (
        encode_with(body, f.name, MUTATIONS[kind].values(f, body[f.name]))
        .map(lambda drawn: drawn[1])
        .map(_cases(api, kind, INVALID, token, field=f.name))
    )


def body_variants() -> list[tuple[str, str]]:
    """Every (kind, variant) of the body mutations: each is probed, none left to a draw."""
    return [(kind, v) for kind, m in BODY_MUTATIONS.items() for v in sorted(m.variants)]


def body_case(
    api: Api, profile: Profile, token: Token, kind: str, variant: str | None = None
) -> st.SearchStrategy[Case]:
    """The whole body broken (or extended) by one mutation kind (one variant of it, or any); the
    note names the variant."""
    mutation = BODY_MUTATIONS[kind].only(variant) if variant else BODY_MUTATIONS[kind]
    if not mutation.valid:
        expect = INVALID
    elif kind == "unknown-field":
        expect = success_expectation(token, "UNKNOWN-FIELDS")
    else:
        expect = Expect("any")  # duplicate keys: the documents leave their handling open
    return mutation(base_body(api, profile, token.access_token)).map(
        lambda t: Case(api.name, kind, t[1], expect, token=token.access_token, note=t[0])
    )


def layout_case(api: Api, profile: Profile, token: Token, layout: str) -> Case:
    """The valid request written in another layout JSON allows."""
    raw = LAYOUTS[layout](base_body(api, profile, token.access_token))
    expect = success_expectation(token, "JSON-FORMS")
    return Case(api.name, "json-layout", raw, expect, token=token.access_token, note=layout)


def length_twins(
    api: Api, profile: Profile, token: Token, f: Field, char_class: str
) -> st.SearchStrategy[tuple[Case, ...]]:
    """The field grown in its shape to within its limit however characters are counted, and
    grown by three of the same characters; a value at the limit that other counts put over it
    also one character shorter."""
    cls, limit = CHAR_CLASSES[char_class], f.max_length or 0
    base = base_body(api, profile, token.access_token)
    shape = shape_of(f, base[f.name])
    any_ = Expect("any")
    within = _cases(api, f"within-limit-{char_class}", any_, token, field=f.name)
    short = _cases(api, f"short-{char_class}", any_, token, field=f.name)
    below = _cases(api, f"below-limit-{char_class}", any_, token, field=f.name)

    def group(drawn: tuple[str, bytes]) -> tuple[Case, ...]:
        value, raw = drawn
        pair = within(raw), short(compact(mutated(base, f.name, cls.short(shape, value))))
        if char_class not in UNEVEN_AT_LIMIT:
            return pair
        return (*pair, below(compact(mutated(base, f.name, cls.shorter(shape, value)))))

    return encode_with(base, f.name, cls.values(shape, limit)).map(group)


def fixed_value_case(api: Api, profile: Profile, token: Token, f: Field) -> st.SearchStrategy[Case]:
    """A field the page fixes, with another value of the same shape."""
    body = base_body(api, profile, token.access_token)
    expect = refusal("FIXED-VALUE", None)
    return (
        encode_with(body, f.name, shape_of(f, body[f.name]).other())
        .map(lambda drawn: drawn[1])
        .map(_cases(api, "other-fixed-value", expect, token, field=f.name))
    )


def repeated(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[tuple[Case, Case]]:
    """The same valid request twice, as a caller retries it after U or no answer (re-signed, same
    body): Alipay+ an inquiry, a wallet a prepareAuthInfo."""
    # Distinct cases with the same bytes, so the second is really sent, not answered from memory.
    return valid_case(api, profile, token).map(lambda c: (c, replace(c, note=f"{c.note} (retry)")))


TOKEN_REFUSED = Expect("refusal", "TOKEN-REFUSED", "TOKEN-CODE", frozenset({"INVALID_TOKEN"}))


def token_case(api: Api, profile: Profile, token: Token) -> Case:
    """The valid request with a token the profile declares expired or revoked, as written."""
    body = compact(base_body(api, profile, token.access_token))
    return Case(api.name, f"token-{token.state}", body, TOKEN_REFUSED, token=token.access_token)


def unknown_token_cases(api: Api, profile: Profile) -> st.SearchStrategy[Case]:
    """Tokens the wallet never issued, shaped like a valid one."""
    known = {t.access_token for t in profile.tokens}
    field = next(f for f in api.request_fields() if f.name == "accessToken")
    unknown = (
        shape_of(field, first_token(api, profile).access_token)
        .other()
        .filter(lambda s: s not in known)
        .map(lambda s: Token(s, frozenset(), "unknown"))
    )
    return encode_each(unknown, lambda t: base_body(api, profile, t.access_token)).map(
        lambda drawn: Case(
            api.name, "token-unknown", drawn[1], TOKEN_REFUSED, token=drawn[0].access_token
        )
    )


def other_psp(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[Case]:
    """A valid token presented with another MPP's pspId of the same shape."""
    expect = Expect("refusal", "PSPID-MISMATCH")
    body = base_body(api, profile, token.access_token)
    field = next(f for f in api.request_fields() if f.name == "pspId")
    return (
        encode_with(body, "pspId", shape_of(field, profile.psp_id).other())
        .map(lambda drawn: drawn[1])
        .map(_cases(api, "other-psp-id", expect, token, field="pspId"))
    )


def unknown_auth_url(api: Api, profile: Profile, token: Token) -> Case:
    """The valid request for an authUrl never issued: the declared one with its app_id (else its
    first query parameter) moved to a sibling of the same shape, as the page would read another
    merchant's app."""
    parts = urlsplit(token.access_token)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if not params:
        params = [("app_id", "")]
    name = "app_id" if any(k == "app_id" for k, _ in params) else params[0][0]
    moved = [(k, char_shape(v).sibling() if k == name else v) for k, v in params]
    url = urlunsplit(parts._replace(query=urlencode(moved, safe="%")))
    body = compact(base_body(api, profile, url))
    expect = Expect("refusal", "AUTHURL-UNKNOWN")
    return Case(api.name, "unknown-auth-url", body, expect, token=url, field="authUrl")


def field_mutations(api: Api, body: Mapping[str, Any]) -> list[tuple[Field, str]]:
    """Every (field, kind) pair that breaks exactly one property of this valid body."""
    return [
        (f, k)
        for f in api.request_fields()
        for k in MUTATIONS
        if applicable(k, f, body.get(f.name))
    ]


def limited_fields(api: Api) -> list[Field]:
    return [f for f in api.request_fields() if f.max_length is not None]


def fixed_fields(api: Api) -> list[Field]:
    return [f for f in api.request_fields() if "x-fixed" in f.schema]


__all__ = [
    "AT_LIMIT",
    "AT_LIMIT_CLASSES",
    "BODY_MUTATIONS",
    "CHAR_CLASSES",
    "INVALID",
    "JSON_CT",
    "LAYOUTS",
    "MUTATIONS",
    "TOKEN_REFUSED",
    "UNEVEN_AT_LIMIT",
    "Case",
    "applicable",
    "base_body",
    "body_case",
    "body_variants",
    "compact",
    "encode",
    "field_mutations",
    "first_token",
    "fixed_fields",
    "fixed_value_case",
    "fixed_values",
    "header_cases",
    "invalid_case",
    "key_token",
    "layout_case",
    "length_twins",
    "limited_fields",
    "method_case",
    "mutated",
    "other_psp",
    "repeated",
    "success_expectation",
    "token_case",
    "unknown_auth_url",
    "unknown_token_cases",
    "valid_case",
]
