"""inquiryUserInfo, Alipay+ -> wallet: the suite plays Alipay+ and judges the wallet's answers."""

from __future__ import annotations

import pytest

from conformance import strategies as S
from conformance.engine import Recorder
from conformance.model import Outcome
from conformance.profile import Token
from conformance.spec import Field

API = "inquiryUserInfo"
pytestmark = pytest.mark.api(API)


def _api(conformance: Recorder):  # type: ignore[no-untyped-def]
    return conformance.context(API).api


@pytest.mark.family("behaviour", "userinfo", "schema", "result", "signature", "transport")
def test_valid_request_succeeds(conformance: Recorder, valid_token: Token) -> None:
    conformance.run(S.valid_case(_api(conformance), conformance.profile, valid_token), conformance.send)


@pytest.mark.family("behaviour")
def test_schema_invalid_request_refused(
    conformance: Recorder, first_token: Token, request_mutation: tuple[Field, str]
) -> None:
    field, kind = request_mutation
    conformance.run(S.invalid_case(_api(conformance), conformance.profile, first_token, field, kind),
                    conformance.send)


@pytest.mark.family("headers", "signature")
def test_header_deviation_refused(conformance: Recorder, first_token: Token, header_case: str) -> None:
    api, profile = _api(conformance), conformance.profile
    make = S.header_cases(api, profile, first_token)[header_case]
    conformance.run(S.encode(S.base_body(api, profile, first_token.access_token)).map(make), conformance.send)


@pytest.mark.family("headers")
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_other_method_refused(conformance: Recorder, method: str) -> None:
    conformance.send(S.method_case(_api(conformance), method))


@pytest.mark.family("behaviour")
def test_inactive_or_unknown_token_refused(conformance: Recorder) -> None:
    conformance.run(S.token_cases(_api(conformance), conformance.profile), conformance.send)


@pytest.mark.family("behaviour")
def test_limits_counted_in_characters(conformance: Recorder, first_token: Token) -> None:
    api = _api(conformance)
    field = next(f for f in api.request_fields() if f.name == "acquirerId")
    rid = conformance.context(API).rid("LIMIT-CHARS")

    def probe(pair: tuple[S.Case, S.Case]) -> None:
        within, short = (conformance.send(c) for c in pair)
        ok = not (within.code == "PARAM_ILLEGAL" and short.code not in (None, "PARAM_ILLEGAL"))
        n = len(within.case.body)
        conformance.record([Outcome(
            rid, ok, "" if ok else f"{field.name} within {field.max_length} characters refused as illegal",
            f"the same answer as for 3 such characters ({short.code})", f"PARAM_ILLEGAL for a {n}-byte body",
            (within, short))])

    conformance.run(S.length_twins(api, conformance.profile, first_token, field), probe)
