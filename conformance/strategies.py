"""Hypothesis strategies: valid, boundary and invalid cases, derived from the schemas."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from .model import Case, Expect
from .profile import Profile, Token
from .signing import Tamper
from .spec import Api, Field

MISSING: Any = object()  # a mutation that removes the field
SEPARATORS = ((",", ":"), (", ", ": "))
JSON_CT = "application/json; charset=UTF-8"

# Characters of every width: ASCII, 2-byte, 3-byte (CJK), 4-byte (astral), combining marks.
chars = st.characters(codec="utf-8")  # the codec already excludes lone surrogates
BMP_MULTIBYTE = "éüñßøçΩЖ中文字あア한"


def encode(body: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """Any key order, either separator style, escaped or raw non-ASCII: all equally valid JSON."""
    keys = list(body)
    return st.builds(
        lambda order, sep, ascii_only: json.dumps(
            {k: body[k] for k in order}, separators=sep, ensure_ascii=ascii_only
        ).encode("utf-8"),
        st.permutations(keys), st.sampled_from(SEPARATORS), st.booleans(),
    )


def base_body(api: Api, profile: Profile, token: str) -> dict[str, Any]:
    """The request a correct Alipay+ sends for this token."""
    if api.name == "inquiryUserInfo":
        return {"pspId": profile.psp_id, "acquirerId": profile.acquirer_id, "accessToken": token}
    raise KeyError(api.name)


def success_expectation(token: Token) -> Expect:
    return Expect("success", "VALID-SUCCESS", scopes=token.scopes, values=token.expect)


def valid_case(api: Api, profile: Profile, token: Token) -> st.SearchStrategy[Case]:
    body = base_body(api, profile, token.access_token)
    expect = success_expectation(token)
    return encode(body).map(
        lambda raw: Case(api.name, "valid", raw, expect, token=token.access_token, note=token.label)
    )


# -- field mutations: one handler per kind, each a strategy of replacement values ----------

def _too_long(f: Field) -> st.SearchStrategy[Any]:
    limit = f.max_length or 0
    return st.text(chars, min_size=limit + 1, max_size=limit + 1)


def _wrong_type(f: Field) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20), st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(), st.lists(st.text(chars, max_size=4), max_size=2),
        st.dictionaries(st.text(chars, min_size=1, max_size=4), st.text(chars, max_size=4), max_size=2),
    )


MUTATIONS: Mapping[str, Callable[[Field], st.SearchStrategy[Any]]] = {
    "too_long": _too_long,
    "wrong_type": _wrong_type,
    "missing": lambda f: st.just(MISSING),
    "empty": lambda f: st.just(""),
    "null": lambda f: st.just(None),
}


def applicable(kind: str, f: Field) -> bool:
    """Which mutations make a body invalid for this field."""
    if kind == "too_long":
        return f.max_length is not None
    if kind in ("missing", "null"):
        return f.required
    return True


def mutated(body: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    out = dict(body)
    if value is MISSING:
        out.pop(name, None)
    else:
        out[name] = value
    return out


def invalid_case(api: Api, profile: Profile, token: Token, f: Field, kind: str) -> st.SearchStrategy[Case]:
    body = base_body(api, profile, token.access_token)
    expect = Expect("refusal", "INVALID-REFUSED", "INVALID-PARAM-ILLEGAL", frozenset({"PARAM_ILLEGAL"}))
    return MUTATIONS[kind](f).flatmap(lambda v: encode(mutated(body, f.name, v))).map(
        lambda raw: Case(api.name, kind, raw, expect, field=f.name, token=token.access_token)
    )


# -- header and signature cases ------------------------------------------------------------

def _refusal(requirement: str, code: str | None, code_requirement: str | None = None) -> Expect:
    codes = frozenset({code}) if code else frozenset()
    return Expect("refusal", requirement, code_requirement or (requirement if code else None), codes)


def header_cases(api: Api, profile: Profile, token: Token) -> Mapping[str, Callable[[bytes], Case]]:
    """Each header or signature deviation, as a function of the (valid) body bytes."""
    name, tok = api.name, token.access_token

    def case(kind: str, expect: Expect, **kw: Any) -> Callable[[bytes], Case]:
        return lambda raw: Case(name, kind, raw, expect, token=tok, **kw)

    return {
        "signature-over-other-body": case("signature-over-other-body", _refusal("SIG-VERIFY", "INVALID_SIGNATURE"),
                                          tamper=Tamper(sign_body=b'{"tampered":"1"}')),
        "signature-by-unregistered-key": case("signature-by-unregistered-key",
                                              _refusal("SIG-VERIFY", "INVALID_SIGNATURE"),
                                              tamper=Tamper(foreign_key=True)),
        "unknown-client-id": case("unknown-client-id", _refusal("CLIENT-UNKNOWN", "INVALID_CLIENT"),
                                  tamper=Tamper(client_id="UNREGISTERED_CLIENT_0000")),
        "unknown-key-version": case("unknown-key-version", _refusal("KEY-UNKNOWN", "KEY_NOT_FOUND"),
                                    tamper=Tamper(key_version="9137")),
        "media-type-text-plain": case("media-type-text-plain",
                                      _refusal("MEDIA-TYPE", "MEDIA_TYPE_NOT_ACCEPTABLE"),
                                      content_type="text/plain; charset=UTF-8"),
        **{f"missing-{h}": case(f"missing-{h}", _refusal("HEADER-REQUIRED", None), tamper=Tamper(omit=frozenset({h})))
           for h in ("client-id", "request-time", "signature")},
    }


def method_case(api: Api, method: str) -> Case:
    return Case(api.name, f"method-{method}", b"", _refusal("METHOD", "METHOD_NOT_SUPPORTED", "METHOD-CODE"),
                method=method, content_type=None)


def token_cases(api: Api, profile: Profile) -> st.SearchStrategy[Case]:
    """Expired and revoked tokens from the profile, and unknown ones."""
    expect = Expect("refusal", "TOKEN-REFUSED", "TOKEN-CODE", frozenset({"INVALID_TOKEN"}))
    known = {t.access_token for t in profile.tokens}
    unknown = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=128).filter(
        lambda s: s not in known).map(lambda s: Token(s, frozenset(), "unknown"))
    inactive = [t for t in profile.tokens if t.state != "valid"]
    tokens = st.one_of(st.sampled_from(inactive), unknown) if inactive else unknown
    return tokens.flatmap(lambda t: encode(base_body(api, profile, t.access_token)).map(
        lambda raw: Case(api.name, f"token-{t.state}", raw, expect, token=t.access_token)))


def length_twins(api: Api, profile: Profile, token: Token, f: Field) -> st.SearchStrategy[tuple[Case, Case]]:
    """A value within its limit in characters but over it in bytes, and the same characters short."""
    limit = f.max_length or 0
    base = base_body(api, profile, token.access_token)
    char = st.sampled_from(BMP_MULTIBYTE)
    size = st.integers(min_value=limit // 2 + 1, max_value=limit)

    def pair(c: str, n: int) -> st.SearchStrategy[tuple[Case, Case]]:
        long_, short = c * n, c * 3
        expect = Expect("any")
        return st.tuples(
            encode(mutated(base, f.name, long_)).map(
                lambda raw: Case(api.name, "multibyte-within-limit", raw, expect, field=f.name, token=token.access_token)),
            encode(mutated(base, f.name, short)).map(
                lambda raw: Case(api.name, "multibyte-short", raw, expect, field=f.name, token=token.access_token)),
        )

    return st.tuples(char, size).flatmap(lambda t: pair(*t))


__all__ = ["Case", "JSON_CT", "MUTATIONS", "applicable", "encode", "header_cases", "invalid_case", "length_twins",
           "method_case", "token_cases", "valid_case"]
