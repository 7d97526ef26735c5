"""Scripted gateway replies: one scenario per reply the wallet must handle, and the flow's
authUrl."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

from conformance.contract.spec import contract

API = "prepareAuthInfo"
SUCCESS, LATE, DROP = "success", "late", "drop"
BAD_SIGNATURE, UNSIGNED, MALFORMED = "bad-signature", "unsigned", "malformed"
# Signed JSON that carries no usable result: an array, not an object; a SUCCESS that lacks the
# authRedirectUrl the page says comes with it.
NOT_OBJECT, NO_REDIRECT = "not-object", "success-no-redirect"
UNUSABLE = frozenset({MALFORMED, NOT_OBJECT, NO_REDIRECT})
# A result code's reply with neither Signature nor Response-Time, as the official SDKs read an F
# or U answer of Alipay+ (contract-notes §2): "unsigned:UNKNOWN_EXCEPTION".
UNSIGNED_RESULT = "unsigned:"
TRAFFIC = "REQUEST_TRAFFIC_EXCEED_LIMIT"
NONCE_PREFIX = "mppc"
AUTH_URL_LIMIT = 2048
REDIRECT_BASE = "https://merchant.example/oauth/return"


@dataclass(frozen=True)
class Scenario:
    """Replies per attempt (the last one repeats) and what the flow probes."""

    name: str
    steps: tuple[str, ...]
    summary: str
    long_url: bool = False

    def step(self, attempt: int) -> str:
        return self.steps[min(attempt, len(self.steps)) - 1]

    @property
    def timed(self) -> bool:
        """Its verdict measures the wallet's back-off: played alone, so no other flow's load
        stretches the gaps."""
        return TRAFFIC in self.steps

    @property
    def persistent(self) -> bool:
        return len(self.steps) == 1 and status(self.steps[0]) == "U"


def status(step: str) -> str | None:
    """The result status a step's reply carries (None for silence, malformed or untrusted
    replies)."""
    if step == SUCCESS:
        return "S"
    return contract().apis[API].status_of(step.removeprefix(UNSIGNED_RESULT))


def _scenarios() -> dict[str, Scenario]:
    codes = contract().apis[API].codes.values()
    found = [
        Scenario("success", (SUCCESS,), "a signed SUCCESS: the wallet opens authRedirectUrl"),
        Scenario(
            "long-auth-url",
            (SUCCESS,),
            "an authUrl of exactly 2048 characters is forwarded whole",
            long_url=True,
        ),
    ]
    found += [
        Scenario(f"f-{c.code}", (c.code,), f"F {c.code}: no retry, an error")
        for c in codes
        if c.status == "F"
    ]
    found += [
        Scenario(f"u-{c.code}", (c.code, SUCCESS), f"U {c.code}, then SUCCESS: the wallet retries")
        for c in codes
        if c.status == "U"
    ]
    found += [
        # Trusted or not, an unsigned U is no definitive result: either way the wallet retries.
        Scenario(
            "u-unsigned",
            (f"{UNSIGNED_RESULT}UNKNOWN_EXCEPTION", SUCCESS),
            "U UNKNOWN_EXCEPTION without a signature, then SUCCESS: the wallet retries",
        ),
        Scenario(
            "u-persistent",
            (TRAFFIC,),
            "U on every attempt: bounded retries with back-off, then an error",
        ),
        Scenario(
            "late-reply",
            (LATE, SUCCESS),
            "the first reply comes after the wallet's timeout: it retries",
        ),
        Scenario(
            "dropped-connection",
            (DROP, SUCCESS),
            "the first connection is dropped: the wallet retries",
        ),
        Scenario(
            "bad-signature",
            (BAD_SIGNATURE,),
            "a SUCCESS whose signature does not verify is not trusted",
        ),
        Scenario("unsigned-success", (UNSIGNED,), "a SUCCESS without a signature is not trusted"),
        Scenario(
            "malformed-body", (MALFORMED,), "a reply that is not JSON never leads to a redirect"
        ),
        Scenario(
            "result-not-object",
            (NOT_OBJECT,),
            "a signed JSON reply that is an array, not an object, never leads to a redirect",
        ),
        Scenario(
            "success-no-redirect",
            (NO_REDIRECT,),
            "a signed SUCCESS without authRedirectUrl never leads to a redirect",
        ),
    ]
    return {s.name: s for s in found}


SCENARIOS = _scenarios()


def new_nonce() -> str:
    return NONCE_PREFIX + secrets.token_hex(8)


def auth_url(nonce: str, long_url: bool = False) -> str:
    """An AlipayCN authorization URL as a merchant redirect carries it; the nonce names the flow."""
    url = (
        "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm?app_id=2021000000000001"
        f"&scope=auth_base&redirect_uri={quote(REDIRECT_BASE, safe='')}&state={nonce}"
    )
    if long_url:
        url += "&pad=" + "x" * (AUTH_URL_LIMIT - len(url) - len("&pad="))
    return url


def redirect_url(nonce: str) -> str:
    """The merchant redirect URL the gateway's SUCCESS returns for a flow."""
    return f"{REDIRECT_BASE}?flow={nonce}"
