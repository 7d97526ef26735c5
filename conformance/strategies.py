"""Hypothesis strategies of Cases: valid, boundary and invalid requests, derived from the
schemas."""

from __future__ import annotations

import string
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from .header_cases import header_cases, method_case, success_expectation
from .model import Case, Expect
from .mutations import BODY_MUTATIONS, CHAR_CLASSES, MUTATIONS, applicable, compact, encode, mutated
from .profile import Profile, Token
from .spec import Api, Field

JSON_CT = "application/json; charset=UTF-8"
INVALID = Expect(
    "refusal", "INVALID-REFUSED", "INVALID-PARAM-ILLEGAL", frozenset({"PARAM_ILLEGAL"})
)


def base_body(api: Api, profile: Profile, token: str) -> dict[str, Any]:
    """The request a correct Alipay+ sends for this token."""
    if api.name == "inquiryUserInfo":
        return {"pspId": profile.psp_id, "acquirerId": profile.acquirer_id, "accessToken": token}
    raise KeyError(api.name)


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
        MUTATIONS[kind]
        .values(f)
        .flatmap(lambda v: encode(mutated(body, f.name, v)))
        .map(_cases(api, kind, INVALID, token, field=f.name))
    )


def body_case(api: Api, profile: Profile, token: Token, kind: str) -> st.SearchStrategy[Case]:
    """The whole body broken (or extended) by one mutation kind."""
    make, valid = BODY_MUTATIONS[kind]
    if not valid:
        expect = INVALID
    elif kind == "unknown-field":
        expect = success_expectation(token, "UNKNOWN-FIELDS")
    else:
        expect = Expect("any")  # duplicate keys: the documents leave their handling open
    return make(base_body(api, profile, token.access_token)).map(_cases(api, kind, expect, token))


def length_twins(
    api: Api, profile: Profile, token: Token, f: Field, char_class: str
) -> st.SearchStrategy[tuple[Case, Case]]:
    """A value within its limit however characters are counted, and three of its characters."""
    cls, limit = CHAR_CLASSES[char_class], f.max_length or 0
    base = base_body(api, profile, token.access_token)
    any_ = Expect("any")

    def pair(value: str) -> st.SearchStrategy[tuple[Case, Case]]:
        return encode(mutated(base, f.name, value)).map(
            lambda raw: (
                Case(
                    api.name,
                    f"within-limit-{char_class}",
                    raw,
                    any_,
                    field=f.name,
                    token=token.access_token,
                ),
                Case(
                    api.name,
                    f"short-{char_class}",
                    compact(mutated(base, f.name, cls.short(value))),
                    any_,
                    field=f.name,
                    token=token.access_token,
                ),
            )
        )

    return cls.values(limit).flatmap(pair)


def repeated(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[tuple[Case, Case]]:
    """The same valid request twice, as Alipay+ retries it (re-signed, same body)."""
    # Distinct cases with the same bytes, so the second is really sent, not answered from memory.
    return valid_case(api, profile, token).map(lambda c: (c, replace(c, note=f"{c.note} (retry)")))


def token_cases(api: Api, profile: Profile) -> st.SearchStrategy[Case]:
    """Expired and revoked tokens from the profile, and unknown ones."""
    expect = Expect("refusal", "TOKEN-REFUSED", "TOKEN-CODE", frozenset({"INVALID_TOKEN"}))
    known = {t.access_token for t in profile.tokens}
    unknown = (
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=128)
        .filter(lambda s: s not in known)
        .map(lambda s: Token(s, frozenset(), "unknown"))
    )
    inactive = [t for t in profile.tokens if t.state != "valid"]
    tokens = st.one_of(st.sampled_from(inactive), unknown) if inactive else unknown
    return tokens.flatmap(
        lambda t: encode(base_body(api, profile, t.access_token)).map(
            lambda raw: Case(api.name, f"token-{t.state}", raw, expect, token=t.access_token)
        )
    )


def other_psp(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[Case]:
    """A valid token presented with another MPP's pspId."""
    expect = Expect("refusal", "PSPID-MISMATCH")
    others = st.text(string.digits, min_size=16, max_size=16).filter(lambda p: p != profile.psp_id)
    body = base_body(api, profile, token.access_token)
    return others.flatmap(lambda p: encode(mutated(body, "pspId", p))).map(
        _cases(api, "other-psp-id", expect, token, field="pspId")
    )


def field_mutations(api: Api) -> list[tuple[Field, str]]:
    """Every (field, kind) pair that makes a request invalid."""
    return [(f, k) for f in api.request_fields() for k in MUTATIONS if applicable(k, f)]


def limited_fields(api: Api) -> list[Field]:
    return [f for f in api.request_fields() if f.max_length is not None]


__all__ = [
    "BODY_MUTATIONS",
    "CHAR_CLASSES",
    "INVALID",
    "JSON_CT",
    "MUTATIONS",
    "Case",
    "applicable",
    "base_body",
    "body_case",
    "compact",
    "encode",
    "field_mutations",
    "header_cases",
    "invalid_case",
    "length_twins",
    "limited_fields",
    "method_case",
    "mutated",
    "other_psp",
    "repeated",
    "success_expectation",
    "token_cases",
    "valid_case",
]
