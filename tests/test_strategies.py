"""Every generated valid body validates against its schema; twins and other values sit where they
claim, in the shape of the valid value. (tests/test_one_property.py: the invalid probes.)"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract.spec import Api, Field, contract
from conformance.core.model import Case
from conformance.generation import strategies as S
from conformance.generation.mutations import CHAR_CLASSES, MISSING, encode, encode_with, mutated
from conformance.generation.shapes import char_shape, runs, shape_of
from conformance.profile import Token
from conformance.reference.data import embedded_profile

APIS = [contract().apis[name] for name in ("inquiryUserInfo", "prepareAuthInfo")]
IUI = APIS[0]
PROFILE = embedded_profile()
TOKEN = next(t for t in PROFILE.tokens if t.state == "valid")
FAST = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def valid(api: Api, raw: bytes) -> bool:
    """A UTF-8 JSON object that the request schema accepts."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(value, dict) and contract().validator(api.request).is_valid(value)


def value_of(case: Case) -> Any:
    return json.loads(case.body)[case.field or ""]


assert PROFILE.provider is not None
KEYS = [(IUI, t) for t in PROFILE.tokens if t.state == "valid"] + [
    (APIS[1], S.key_token(url)) for url in PROFILE.provider.auth_urls
]


@pytest.mark.parametrize(("api", "token"), KEYS, ids=lambda x: getattr(x, "label", ""))
def test_valid_cases_validate(api: Api, token: Token) -> None:
    @FAST
    @given(S.valid_case(api, PROFILE, token))
    def check(case: Case) -> None:
        assert valid(api, case.body) and case.expect.outcome == "success"

    check()


TWINS = [(api, f, c) for api in APIS for f in S.limited_fields(api) for c in CHAR_CLASSES]


@pytest.mark.parametrize(
    ("api", "field", "char_class"), TWINS, ids=[f"{a.name}-{f.name}-{c}" for a, f, c in TWINS]
)
def test_length_twins_are_valid_within_every_count_and_keep_the_shape(
    api: Api, field: Field, char_class: str
) -> None:
    limit, token = field.max_length or 0, S.first_token(api, PROFILE)
    shape = shape_of(field, S.base_body(api, PROFILE, token.access_token)[field.name])

    @FAST
    @given(S.length_twins(api, PROFILE, token, field, char_class))
    def check(group: tuple[Case, ...]) -> None:
        within, short, *below = group
        assert valid(api, within.body) and valid(api, short.body)
        value, small = value_of(within), value_of(short)
        # Within in code points, composed or not, and so in grapheme clusters (never more of them).
        assert len(value) <= limit and len(unicodedata.normalize("NFC", value)) <= limit
        assert value.startswith(shape.head) and small.startswith(shape.head)
        assert len(small) - len(shape.wrap("")) in (3, 6)  # three units, of one or two characters
        utf16, utf8 = len(value.encode("utf-16-le")) // 2, len(value.encode("utf-8"))
        if char_class in S.AT_LIMIT_CLASSES:
            assert len(value) == limit
        if char_class == "ascii-at-limit":
            assert shape.keeps(value) and shape.keeps(small)
        elif char_class != "control":
            assert utf8 > limit  # over in bytes: the point of the probe
        if char_class == "astral-at-limit":  # the counts disagree most: over in UTF-16 units too
            content = len(value) - len(shape.wrap(""))
            assert utf16 == limit + content and utf8 == limit + 3 * content
        # At the limit and over it in bytes: also one character shorter, still over in bytes.
        assert len(below) == (char_class in S.UNEVEN_AT_LIMIT)
        for case in below:
            shorter = value_of(case)
            assert valid(api, case.body) and shorter.startswith(shape.head)
            assert len(shorter) == limit - 1 and len(shorter.encode("utf-8")) > limit

    check()


def test_unknown_tokens_and_other_psp_ids_keep_the_shape_of_valid_ones() -> None:
    @FAST
    @given(st.one_of(S.unknown_token_cases(IUI, PROFILE), S.other_psp(IUI, PROFILE, TOKEN)))
    def check(case: Case) -> None:
        assert valid(IUI, case.body) and case.expect.outcome == "refusal"
        body = json.loads(case.body)
        if case.kind == "token-unknown":
            dots = [i for i, c in enumerate(body["accessToken"]) if c == "."]
            assert len(body["accessToken"]) == len(TOKEN.access_token)
            assert dots == [i for i, c in enumerate(TOKEN.access_token) if c == "."]
        if case.kind == "other-psp-id":
            assert body["pspId"] != PROFILE.psp_id and body["pspId"].isdigit()
            assert len(body["pspId"]) == len(PROFILE.psp_id)

    check()


def test_url_shape_grows_in_a_query_parameter_before_the_fragment() -> None:
    url = Field("u", {"type": "string", "format": "uri"}, True)
    assert shape_of(url, "https://h/p?a=1#f").wrap("xy") == "https://h/p?a=1&pad=xy#f"
    assert shape_of(url, "https://h/p").wrap("xy") == "https://h/p?pad=xy"
    assert shape_of(url, "https://h/p?").wrap("") == "https://h/p?pad="
    assert not shape_of(url, "https://h/p").keeps("aaaaaaaaaaaaaaaa")


def test_character_shape_keeps_each_class() -> None:
    digits, token = char_shape("1022088000000000001"), char_shape("Ref.tok9")
    assert digits.alphabet == "0123456789" and digits.sibling() == "2133199111111111112"
    assert token.sibling() == "Sfg.upl0"
    assert digits.keeps("1022088000000000001" + "42") and not digits.keeps("1022088000000000001a")

    @FAST
    @given(token.other())
    def check(value: str) -> None:
        assert value != "Ref.tok9" and len(value) == 8 and value[3] == "."
        assert value[0].isupper() and value[1:3].islower() and value[7].isdigit()

    check()


def test_header_cases_keep_a_valid_body() -> None:
    body = S.compact(S.base_body(IUI, PROFILE, TOKEN.access_token))
    for make in S.header_cases(IUI, PROFILE, TOKEN).values():
        assert valid(IUI, make(body).body)
    unknown = S.header_cases(IUI, PROFILE, TOKEN)["unknown-client-id"](body).tamper.client_id
    assert unknown is not None and unknown != PROFILE.client_id
    assert len(unknown) == len(PROFILE.client_id)


def test_a_body_is_written_in_every_layout_and_reads_back_the_same() -> None:
    body = {"a": "é", "b": "x", "c": "y"}
    firsts, spaced, escaped = set(), set(), set()

    @settings(max_examples=200, derandomize=True, database=None)
    @given(encode(body))
    def each(raw: bytes) -> None:
        assert json.loads(raw) == body
        text = raw.decode("utf-8")
        firsts.add(next(iter(json.loads(raw))))
        spaced.add(", " in text)
        escaped.add("\\u00e9" in text)

    each()
    assert firsts == set(body) and spaced == {True, False} and escaped == {True, False}


@settings(max_examples=50, derandomize=True, database=None)
@given(encode_with({"a": "1", "b": "2"}, "b", st.sampled_from([MISSING, "3", 4])))
def test_one_field_set_or_removed_and_the_rest_kept(drawn: tuple[Any, bytes]) -> None:
    value, raw = drawn
    assert json.loads(raw) == mutated({"a": "1", "b": "2"}, "b", value)


@settings(max_examples=30, derandomize=True, database=None)
@given(encode_with({"a": "1"}, "z", st.just("new")))
def test_a_field_the_body_lacks_is_added_in_any_place(drawn: tuple[Any, bytes]) -> None:
    assert json.loads(drawn[1]) == {"a": "1", "z": "new"}


UNITS = ("a", "e\u0301", "\U0001f600")  # one, two and one code points: a unit is not a character


def _units(value: str) -> int:
    """How many units of UNITS a value is, each read off its front; fails on another character."""
    count = 0
    while value:
        unit = next(u for u in UNITS if value.startswith(u))
        value, count = value[len(unit) :], count + 1
    return count


@settings(max_examples=50, deadline=None)
@given(st.data(), st.integers(1, 5000), st.integers(0, 3000))
def test_a_run_has_a_drawn_number_of_units_all_of_the_class(
    data: st.DataObject, lo: int, extra: int
) -> None:
    assert lo <= _units(data.draw(runs(UNITS, lo, lo + extra))) <= lo + extra
    assert _units(data.draw(runs(UNITS, lo, lo))) == lo


def test_character_classes_at_the_limit_are_the_ones_of_one_length() -> None:
    assert {"ascii-at-limit", "astral-at-limit", "multibyte-at-limit"} == S.AT_LIMIT_CLASSES
    assert S.AT_LIMIT_CLASSES <= set(CHAR_CLASSES)
