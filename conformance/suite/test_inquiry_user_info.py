"""inquiryUserInfo, Alipay+ -> wallet: the suite plays Alipay+ and judges the wallet's answers."""

from __future__ import annotations

import pytest

from conformance.contract.spec import Api, Field, contract
from conformance.engine.recorder import Recorder
from conformance.generation import strategies as S
from conformance.generation.spaces import Space, probes
from conformance.profile import Token
from conformance.suite.grouped import grouped
from conformance.suite.params import BODY_VARIANTS, CHAR_CLASSES

API = "inquiryUserInfo"
pytestmark = pytest.mark.api(API)
LIMITED = S.limited_fields(contract().apis[API])


def _api(recorder: Recorder) -> Api:
    return recorder.context(API).api


def _body(recorder: Recorder, token: Token) -> bytes:
    return S.compact(S.base_body(_api(recorder), recorder.profile, token.access_token))


@pytest.mark.family("behaviour", "userinfo", "schema", "result", "signature", "transport")
@probes(Space.LARGE)
def test_valid_request_succeeds(recorder: Recorder, valid_token: Token) -> None:
    recorder.run(S.valid_case(_api(recorder), recorder.profile, valid_token), recorder.send)


@pytest.mark.family("behaviour")
@probes(Space.FEW, 2)
def test_same_request_twice_same_answer(recorder: Recorder, first_token: Token) -> None:
    recorder.run(
        S.repeated(_api(recorder), recorder.profile, first_token),
        grouped(recorder, API, "IDEMPOTENT"),
    )


@pytest.mark.family("behaviour")
@probes(Space.FEW)
def test_schema_invalid_request_refused(
    recorder: Recorder, first_token: Token, request_mutation: tuple[Field, str]
) -> None:
    field, kind = request_mutation
    recorder.run(
        S.invalid_case(_api(recorder), recorder.profile, first_token, field, kind),
        recorder.send,
    )


@pytest.mark.family("behaviour", "transport")
@pytest.mark.parametrize(("kind", "variant"), BODY_VARIANTS)
def test_body_mutation(recorder: Recorder, first_token: Token, kind: str, variant: str) -> None:
    recorder.run(
        S.body_case(_api(recorder), recorder.profile, first_token, kind, variant),
        recorder.send,
    )


@pytest.mark.family("transport")
@probes(Space.ONE)
@pytest.mark.parametrize("layout", list(S.LAYOUTS))
def test_json_layout_accepted(recorder: Recorder, first_token: Token, layout: str) -> None:
    recorder.send(S.layout_case(_api(recorder), recorder.profile, first_token, layout))


@pytest.mark.family("behaviour")
@pytest.mark.parametrize("char_class", CHAR_CLASSES)
@pytest.mark.parametrize("field", LIMITED, ids=[f.name for f in LIMITED])
def test_limits_counted_in_characters(
    recorder: Recorder, first_token: Token, field: Field, char_class: str
) -> None:
    twins = S.length_twins(_api(recorder), recorder.profile, first_token, field, char_class)
    recorder.run(twins, grouped(recorder, API, "LIMIT-WITHIN"))


@pytest.mark.family("headers", "signature")
@probes(Space.ONE)
def test_header_deviation(recorder: Recorder, first_token: Token, header_case: str) -> None:
    make = S.header_cases(_api(recorder), recorder.profile, first_token)[header_case]
    recorder.send(make(_body(recorder, first_token)))


@pytest.mark.family("headers")
@probes(Space.ONE)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_other_method_refused(recorder: Recorder, first_token: Token, method: str) -> None:
    recorder.send(S.method_case(_api(recorder), method, _body(recorder, first_token), first_token))


@pytest.mark.family("behaviour")
@probes(Space.FEW, inactive=True)
def test_inactive_or_unknown_token_refused(recorder: Recorder) -> None:
    api, profile = _api(recorder), recorder.profile
    for token in profile.tokens:  # every expired or revoked token the profile declares, once
        if token.state != "valid":
            recorder.send(S.token_case(api, profile, token))
    recorder.run(S.unknown_token_cases(api, profile), recorder.send)


@pytest.mark.family("behaviour")
@probes(Space.FEW)
def test_other_psp_id_refused(recorder: Recorder, first_token: Token) -> None:
    recorder.run(S.other_psp(_api(recorder), recorder.profile, first_token), recorder.send)
