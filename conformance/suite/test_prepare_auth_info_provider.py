"""prepareAuthInfo served by Alipay+ (or a partner's simulator): the suite plays the wallet and
judges the answers."""

from __future__ import annotations

import pytest

from conformance import provider as P
from conformance import strategies as S
from conformance.engine import Recorder
from conformance.spec import Api, Field

API = "prepareAuthInfo"
pytestmark = pytest.mark.api(API)


def _api(provider: Recorder) -> Api:
    return provider.context(API).api


def _auth_urls(provider: Recorder) -> tuple[str, ...]:
    assert provider.profile.provider is not None
    return provider.profile.provider.auth_urls


@pytest.mark.family("behaviour", "result", "schema", "signature", "headers", "transport")
def test_provider_valid_request_succeeds(provider: Recorder) -> None:
    provider.run(P.valid_case(_api(provider), _auth_urls(provider)), provider.send)


@pytest.mark.family("behaviour")
def test_provider_schema_invalid_request_refused(
    provider: Recorder, request_mutation: tuple[Field, str]
) -> None:
    field, kind = request_mutation
    provider.run(
        P.invalid_case(_api(provider), _auth_urls(provider)[0], field, kind), provider.send
    )


@pytest.mark.family("headers", "signature")
def test_provider_header_deviation_refused(provider: Recorder, header_case: str) -> None:
    provider.run(
        P.header_case(_api(provider), provider.engine, _auth_urls(provider)[0], header_case),
        provider.send,
    )


@pytest.mark.family("headers")
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_provider_other_method_refused(provider: Recorder, method: str) -> None:
    provider.send(S.method_case(_api(provider), method))
