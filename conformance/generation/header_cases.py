"""Header and signature cases: each a deviation of the signed headers of a valid request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.contract.spec import Api
from conformance.core.model import Case, Expect
from conformance.generation.shapes import char_shape
from conformance.profile import Profile, Token
from conformance.signing import DIGEST_FORMS, PYTHON_RSA_HASHES, TIME_FORMS, Tamper

# Clearly not ISO 8601 with an offset, whatever leniency a parser has.
MALFORMED_TIMES = (
    "1559016732",
    "not-a-time",
    "2019-02-30T12:12:12+08:00",
    "2019-05-28T25:61:61+08:00",
)
OTHER_TIME = "2019-05-28T12:12:12+08:00"
# What a technical service provider acting for a partner would carry (contract-notes §2).
AGENT_TOKEN = "AgTk.7c1e94b3a5d2406f8e3b"
# Deviations that exist for one API only: a wallet ignores Agent-Token, while Alipay+ may read it.
ONLY_FOR = {"agent-token-ignored": "inquiryUserInfo"}


def success_expectation(token: Token, requirement: str = "VALID-SUCCESS") -> Expect:
    return Expect("success", requirement, scopes=token.scopes, values=token.expect)


def refusal(requirement: str, code: str | None, code_requirement: str | None = None) -> Expect:
    codes = frozenset({code}) if code else frozenset()
    return Expect(
        "refusal", requirement, code_requirement or (requirement if code else None), codes
    )


BAD_SIGNATURE = refusal("SIG-VERIFY", "INVALID_SIGNATURE")
# RSA256 is SHA256withRSA, but the official Python SDK (python-rsa) verifies a PKCS#1 v1.5
# signature of any hash it knows: refusing those is a rule of its own, a warning in a wallet.
OTHER_DIGEST = refusal("SIG-DIGEST", "INVALID_SIGNATURE")
# A missing header never succeeds; that a missing signature is an invalid one is inferred: warned.
MISSING = {"signature": refusal("HEADER-REQUIRED", "INVALID_SIGNATURE", "SIG-MISSING-CODE")}

# name -> (expectation given the token, how the request deviates)
Deviation = tuple[Callable[[Token], Expect], dict[str, Any]]


def _always(expect: Expect) -> Callable[[Token], Expect]:
    return lambda t: expect


def _deviations(profile: Profile, api: Api) -> dict[str, Deviation]:
    path = profile.paths.get(api.name, "/")
    ok_forms = lambda t: success_expectation(t, "SIG-HEADER-FORMS")
    table: dict[str, Deviation] = {
        "signature-over-other-body": (
            lambda t: BAD_SIGNATURE,
            {"tamper": Tamper(sign_body=b'{"tampered":"1"}')},
        ),
        "signature-over-other-path": (
            lambda t: BAD_SIGNATURE,
            {"tamper": Tamper(sign_uri=path + "/other")},
        ),
        "signature-over-other-time": (
            lambda t: BAD_SIGNATURE,
            {"tamper": Tamper(sign_time=OTHER_TIME)},
        ),
        "signature-by-unregistered-key": (
            lambda t: BAD_SIGNATURE,
            {"tamper": Tamper(foreign_key=True)},
        ),
        "signature-truncated": (
            lambda t: BAD_SIGNATURE,
            {"tamper": Tamper(truncate_signature=True)},
        ),
        # The label binds the sender; a receiver that ignores it, as both SDKs do, is warned.
        "signature-wrong-algorithm": (
            lambda t: refusal("SIG-ALGORITHM", "INVALID_SIGNATURE"),
            {"tamper": Tamper(algorithm="RSA512")},
        ),
        # A lenient wallet may decode a raw base64 signature: only a well-formed answer is required.
        "signature-not-url-encoded": (
            lambda t: Expect("any"),
            {"tamper": Tamper(url_encode=False)},
        ),
        "signature-spaces-after-commas": (ok_forms, {"tamper": Tamper(space_after_comma=True)}),
        "header-names-lower-case": (ok_forms, {"tamper": Tamper(lower_case_names=True)}),
        # Another Client-Id of the same shape, so only its being unknown can be refused.
        "unknown-client-id": (
            lambda t: refusal("CLIENT-UNKNOWN", "INVALID_CLIENT"),
            {"tamper": Tamper(client_id=char_shape(profile.client_id).sibling())},
        ),
        "unknown-key-version": (
            lambda t: refusal("KEY-UNKNOWN", "KEY_NOT_FOUND"),
            {"tamper": Tamper(key_version="9137")},
        ),
        "agent-token-ignored": (
            lambda t: success_expectation(t, "AGENT-TOKEN"),
            {"tamper": Tamper(agent_token=AGENT_TOKEN)},
        ),
        "media-type-text-plain": (
            lambda t: refusal("MEDIA-TYPE", "MEDIA_TYPE_NOT_ACCEPTABLE"),
            {"content_type": "text/plain; charset=UTF-8"},
        ),
        "media-type-form": (
            lambda t: refusal("MEDIA-TYPE", "MEDIA_TYPE_NOT_ACCEPTABLE"),
            {"content_type": "application/x-www-form-urlencoded"},
        ),
    }
    for h in ("client-id", "request-time", "signature"):
        table[f"missing-{h}"] = (
            _always(MISSING.get(h, refusal("HEADER-REQUIRED", None))),
            {"tamper": Tamper(omit=frozenset({h}))},
        )
    for form in TIME_FORMS:
        table[f"request-time-{form}"] = (
            lambda t: success_expectation(t, "TIME-FORMS"),
            {"tamper": Tamper(time_form=form)},
        )
    for i, bad in enumerate(MALFORMED_TIMES):
        table[f"request-time-malformed-{i + 1}"] = (
            lambda t: refusal("TIME-MALFORMED", None),
            {"tamper": Tamper(request_time=bad)},
        )
    for form in DIGEST_FORMS:
        table[f"signature-digest-{form}"] = (
            _always(OTHER_DIGEST if form in PYTHON_RSA_HASHES else BAD_SIGNATURE),
            {"tamper": Tamper(digest=form)},
        )
    return {k: v for k, v in table.items() if ONLY_FOR.get(k, api.name) == api.name}


def header_cases(api: Api, profile: Profile, token: Token) -> Mapping[str, Callable[[bytes], Case]]:
    """Each header or signature deviation, as a function of the (valid) body bytes."""

    def case(kind: str, dev: Deviation) -> Callable[[bytes], Case]:
        expect, kw = dev[0](token), dev[1]
        return lambda raw: Case(api.name, kind, raw, expect, token=token.access_token, **kw)

    return {kind: case(kind, dev) for kind, dev in _deviations(profile, api).items()}


def method_case(api: Api, method: str, raw: bytes = b"", token: Token | None = None) -> Case:
    """The (valid) request with another HTTP method: with a valid body, only the method is wrong."""
    return Case(
        api.name,
        f"method-{method}",
        raw,
        refusal("METHOD", "METHOD_NOT_SUPPORTED", "METHOD-CODE"),
        method=method,
        token=token.access_token if token else None,
    )
