"""Every generated valid body validates against its schema; no invalid one does; twins sit where
they claim."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import strategies as S
from conformance.model import Case
from conformance.mutations import CHAR_CLASSES, STANDALONE
from conformance.reference.data import reference_profile
from conformance.spec import Field, contract

API = contract().apis["inquiryUserInfo"]
PROFILE = reference_profile()
TOKEN = next(t for t in PROFILE.tokens if t.state == "valid")
VALIDATOR = contract().validator(API.request)
FAST = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def valid(raw: bytes) -> bool:
    """A UTF-8 JSON object that the request schema accepts."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(value, dict) and VALIDATOR.is_valid(value)


def value_of(case: Case) -> Any:
    return json.loads(case.body)[case.field or ""]


@pytest.mark.parametrize(
    "token", [t for t in PROFILE.tokens if t.state == "valid"], ids=lambda t: t.label
)
def test_valid_cases_validate(token: Any) -> None:
    @FAST
    @given(S.valid_case(API, PROFILE, token))
    def check(case: Case) -> None:
        assert valid(case.body) and case.expect.outcome == "success"

    check()


@pytest.mark.parametrize(
    ("field", "kind"), S.field_mutations(API), ids=lambda x: getattr(x, "name", x)
)
def test_field_mutations_never_validate(field: Field, kind: str) -> None:
    @FAST
    @given(S.invalid_case(API, PROFILE, TOKEN, field, kind))
    def check(case: Case) -> None:
        assert not valid(case.body), case
        if kind in ("too_long", "oversized"):
            value = value_of(case)
            # Standalone characters only: over the limit however a wallet counts characters.
            assert len(value) > (field.max_length or 0) and set(value) <= set(STANDALONE)

    check()


@pytest.mark.parametrize("kind", list(S.BODY_MUTATIONS))
def test_body_mutations_validate_only_when_declared_valid(kind: str) -> None:
    declared = S.BODY_MUTATIONS[kind][1]

    @FAST
    @given(S.body_case(API, PROFILE, TOKEN, kind))
    def check(case: Case) -> None:
        assert valid(case.body) is declared, case

    check()


@pytest.mark.parametrize("char_class", list(CHAR_CLASSES))
@pytest.mark.parametrize("field", S.limited_fields(API), ids=lambda f: f.name)
def test_length_twins_are_valid_and_within_every_count(field: Field, char_class: str) -> None:
    limit = field.max_length or 0

    @FAST
    @given(S.length_twins(API, PROFILE, TOKEN, field, char_class))
    def check(pair: tuple[Case, Case]) -> None:
        within, short = pair
        assert valid(within.body) and valid(short.body)
        value = value_of(within)
        assert len(value) <= limit and len(value.encode("utf-16-le")) // 2 <= limit
        if char_class == "ascii-at-limit":
            assert len(value) == limit
        elif char_class != "control":
            assert len(value.encode("utf-8")) > limit  # over in bytes: the point of the probe
        assert len(value_of(short)) <= 6

    check()


def test_token_psp_and_header_cases_keep_a_valid_body() -> None:
    @FAST
    @given(st.one_of(S.token_cases(API, PROFILE), S.other_psp(API, PROFILE, TOKEN)))
    def check(case: Case) -> None:
        assert valid(case.body) and case.expect.outcome == "refusal"

    check()
    body = S.compact(S.base_body(API, PROFILE, TOKEN.access_token))
    for make in S.header_cases(API, PROFILE, TOKEN).values():
        assert valid(make(body).body)


def test_every_field_gets_every_applicable_mutation() -> None:
    pairs = {(f.name, k) for f, k in S.field_mutations(API)}
    for f in API.request_fields():
        assert {
            (f.name, k) for k in ("number", "boolean", "array", "object", "empty", "too_long")
        } <= pairs
        if f.required:
            assert {(f.name, "null"), (f.name, "missing")} <= pairs
