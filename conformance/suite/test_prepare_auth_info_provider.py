"""prepareAuthInfo served by Alipay+ (or a partner's simulator): the suite plays the wallet and
judges the answers."""

from __future__ import annotations

import pytest

from conformance.contract.spec import Api, Field, contract
from conformance.engine import provider as P
from conformance.engine.recorder import Recorder
from conformance.generation import strategies as S
from conformance.generation.spaces import Space, probes
from conformance.profile import Token
from conformance.suite.grouped import grouped
from conformance.suite.params import BODY_VARIANTS, CHAR_CLASSES

API = "prepareAuthInfo"
pytestmark = pytest.mark.api(API)
LIMITED = S.limited_fields(contract().apis[API])
FIXED = S.fixed_fields(contract().apis[API])


def _api(provider: Recorder) -> Api:
    return provider.context(API).api


def _key(provider: Recorder) -> Token:
    """The first declared authUrl: every probe is its valid request with one property changed."""
    return S.first_token(_api(provider), provider.profile)


def _body(provider: Recorder) -> bytes:
    return S.compact(S.base_body(_api(provider), provider.profile, _key(provider).access_token))


@pytest.mark.family("behaviour", "result", "schema", "signature", "headers", "transport")
@probes(Space.LARGE)
def test_provider_valid_request_succeeds(provider: Recorder) -> None:
    provider.run(P.valid_case(_api(provider), provider.engine), provider.send)


@pytest.mark.family("behaviour")
@probes(Space.FEW, 2)
def test_provider_same_request_twice_same_answer(provider: Recorder) -> None:
    provider.run(
        S.repeated(_api(provider), provider.profile, _key(provider)),
        grouped(provider, API, "IDEMPOTENT"),
    )


@pytest.mark.family("behaviour")
@probes(Space.FEW)
def test_provider_schema_invalid_request_refused(
    provider: Recorder, request_mutation: tuple[Field, str]
) -> None:
    field, kind = request_mutation
    provider.run(
        S.invalid_case(_api(provider), provider.profile, _key(provider), field, kind),
        provider.send,
    )


@pytest.mark.family("behaviour", "transport")
@pytest.mark.parametrize(("kind", "variant"), BODY_VARIANTS)
def test_provider_body_mutation(provider: Recorder, kind: str, variant: str) -> None:
    provider.run(
        S.body_case(_api(provider), provider.profile, _key(provider), kind, variant),
        provider.send,
    )


@pytest.mark.family("behaviour")
@probes(Space.ONE)
def test_provider_unknown_auth_url_refused(provider: Recorder) -> None:
    provider.send(S.unknown_auth_url(_api(provider), provider.profile, _key(provider)))


@pytest.mark.family("transport")
@probes(Space.ONE)
@pytest.mark.parametrize("layout", list(S.LAYOUTS))
def test_provider_json_layout_accepted(provider: Recorder, layout: str) -> None:
    provider.send(S.layout_case(_api(provider), provider.profile, _key(provider), layout))


@pytest.mark.family("behaviour")
@pytest.mark.parametrize("char_class", CHAR_CLASSES)
@pytest.mark.parametrize("field", LIMITED, ids=[f.name for f in LIMITED])
def test_provider_limits_counted_in_characters(
    provider: Recorder, field: Field, char_class: str
) -> None:
    twins = S.length_twins(_api(provider), provider.profile, _key(provider), field, char_class)
    provider.run(twins, grouped(provider, API, "LIMIT-WITHIN"))


@pytest.mark.family("behaviour")
@probes(Space.FEW)
@pytest.mark.parametrize("field", FIXED, ids=[f.name for f in FIXED])
def test_provider_other_fixed_value_refused(provider: Recorder, field: Field) -> None:
    provider.run(
        S.fixed_value_case(_api(provider), provider.profile, _key(provider), field),
        provider.send,
    )


@pytest.mark.family("headers", "signature")
@probes(Space.ONE)
def test_provider_header_deviation(provider: Recorder, header_case: str) -> None:
    make = S.header_cases(_api(provider), provider.profile, _key(provider))[header_case]
    provider.send(make(_body(provider)))


@pytest.mark.family("headers")
@probes(Space.ONE)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_provider_other_method_refused(provider: Recorder, method: str) -> None:
    provider.send(S.method_case(_api(provider), method, _body(provider), _key(provider)))
