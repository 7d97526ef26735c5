"""Judging a whole flow: what the wallet did across attempts and what it reported at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from conformance.core.model import Exchange, Outcome
from conformance.gateway.scenarios import (
    BAD_SIGNATURE,
    DROP,
    LATE,
    SUCCESS,
    TRAFFIC,
    UNSIGNED,
    UNSIGNED_RESULT,
    UNUSABLE,
    Scenario,
    status,
)
from conformance.gateway.server import Arrival
from conformance.gateway.trigger import FlowResult
from conformance.profile.sections import GatewaySettings

SHOWN = 12  # requests kept as evidence per flow: more than the default max_attempts


@dataclass(frozen=True)
class Flow:
    """One flow: its scenario, the requests it brought and the harness's report (None when
    listening)."""

    scenario: Scenario
    auth_url: str | None
    redirect: str
    arrivals: tuple[Arrival, ...]
    result: FlowResult | None
    settings: GatewaySettings
    where: str = ""
    trigger: str = ""  # where the harness was asked (its URL or command)
    # Observed passively (no trigger): the wallet had its whole retry window and sent nothing more.
    settled: bool = False

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        trigger = (self.result.exchange,) if self.result and self.result.exchange else ()
        return trigger + tuple(a.exchange for a in self.arrivals[:SHOWN])

    @property
    def ended(self) -> bool:
        return self.result is not None and self.result.outcome is not None

    def reported(self) -> str:
        r = self.result
        if r is None:
            return "no further request within the retry window" if self.settled else "(no trigger)"
        if r.outcome is None:
            return r.problem or "no outcome"
        return (
            f"redirect to {r.redirect_url}"
            if r.outcome == "redirect"
            else f"error {r.error or ''}".strip()
        )


Verdict = Callable[[Flow], Iterator[tuple[str, bool, str, str, str]]]
VERDICTS: list[Verdict] = []


def verdict(fn: Verdict) -> Verdict:
    VERDICTS.append(fn)
    return fn


def judge_flow(flow: Flow, prefix: str = "PAI") -> list[Outcome]:
    """Every behaviour requirement the flow lets us judge, with the flow's exchanges as evidence."""
    return [
        Outcome(f"{prefix}-{suffix}", ok, "" if ok else message, expected, received, flow.exchanges)
        for fn in VERDICTS
        for suffix, ok, message, expected, received in fn(flow)
    ]


def _attempts(flow: Flow) -> str:
    return f"{len(flow.arrivals)} request(s): " + ", ".join(
        f"#{a.attempt} got {a.step}" + (" (hung up before it)" if a.hung_up else "")
        for a in flow.arrivals
    )


@verdict
def trigger_answers(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    r = flow.result
    if r is not None and not r.abandoned:
        yield (
            "TRIGGER",
            r.outcome is not None,
            f"the trigger at {flow.trigger} gave no usable outcome",
            'a JSON {"outcome": "redirect" | "error", ...}',
            r.problem or "",
        )


@verdict
def sends(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    yield (
        "FLOW-SENDS",
        bool(flow.arrivals),
        f"no prepareAuthInfo request arrived at {flow.where}",
        "at least one request",
        f"none; the wallet reported: {flow.reported()}",
    )


@verdict
def f_codes(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    # Judged from the first reply the wallet received: one it hung up on before it was written
    # (its timeout) was no answer, and a request after it is the retry the contract asks for.
    heard = next((i for i, a in enumerate(flow.arrivals) if not a.hung_up), None)
    if heard is None or status(flow.arrivals[heard].step) != "F":
        return
    code = flow.arrivals[heard].step
    yield (
        "F-NO-RETRY",
        len(flow.arrivals) == heard + 1,
        f"the wallet sent the request again after F {code}",
        "exactly one request" if heard == 0 else "no request after the F it received",
        _attempts(flow),
    )
    if flow.ended:
        yield (
            "F-STOPS",
            flow.result is not None and flow.result.outcome == "error",
            f"after F {code} the flow did not end with an error",
            "outcome error",
            flow.reported(),
        )


def _retried(
    flow: Flow, first: Callable[[str], bool], suffix: str, why: str
) -> Iterator[tuple[str, bool, str, str, str]]:
    if not flow.arrivals or not first(flow.arrivals[0].step):
        return
    # Without a trigger, one request proves nothing until the wallet's retry window has passed.
    if len(flow.arrivals) >= 2 or flow.ended or flow.settled:
        yield (
            suffix,
            len(flow.arrivals) >= 2,
            f"the wallet did not retry after {why}",
            "a second request with the same parameters",
            _attempts(flow) + f"; then {flow.reported()}",
        )


@verdict
def retry_u(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    signed = lambda s: status(s) == "U" and not s.startswith(UNSIGNED_RESULT)
    yield from _retried(flow, signed, "RETRY-U", "a U result")


@verdict
def retry_unsigned_u(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    # The official Python SDK raises on an answer without a Signature header before it reads the
    # result, so a wallet on it does not see this U: a warning (docs/sdk.md).
    unsigned = lambda s: status(s) == "U" and s.startswith(UNSIGNED_RESULT)
    yield from _retried(flow, unsigned, "RETRY-UNSIGNED-U", "an unsigned U result")


@verdict
def retry_silence(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    yield from _retried(flow, lambda s: s in (LATE, DROP), "RETRY-SILENCE", "receiving no result")


@verdict
def retry_same(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    if len(flow.arrivals) < 2:
        return
    first = flow.arrivals[0].exchange.request
    for a in flow.arrivals[1:]:
        again = a.exchange.request
        same = (
            first.json() == again.json() if first.json() is not None else first.body == again.body
        )
        yield (
            "RETRY-SAME",
            same,
            f"attempt {a.attempt} changed the parameters",
            first.body.decode("utf-8", "replace")[:300],
            again.body.decode("utf-8", "replace")[:300],
        )


@verdict
def backoff(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    low = flow.settings.min_backoff
    for before, after in zip(flow.arrivals, flow.arrivals[1:]):
        if before.step == TRAFFIC:
            gap = after.arrived - before.replied
            yield (
                "RETRY-BACKOFF",
                gap >= low,
                f"attempt {after.attempt} came {gap:.3f} s after {TRAFFIC}",
                f"a wait of at least {low:g} s ([gateway] min_backoff)",
                f"{gap:.3f} s",
            )


@verdict
def bounded(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    if not flow.scenario.persistent or flow.result is None or not flow.arrivals:
        return  # giving up before any attempt is PAI-FLOW-SENDS's failure, not a bounded retry
    cap, n, r = flow.settings.max_attempts, len(flow.arrivals), flow.result
    ok = n <= cap and r.outcome == "error"
    yield (
        "RETRY-BOUNDED",
        ok,
        "under a persistent U the wallet did not give up with an error",
        f"at most {cap} attempts ([gateway] max_attempts), then outcome error",
        f"{n} attempts; {flow.reported()}",
    )


def _opens(flow: Flow) -> bool:
    return flow.result is not None and flow.result.outcome == "redirect"


@verdict
def untrusted(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    steps = {a.step for a in flow.arrivals}
    if not flow.ended or not steps or not steps <= {BAD_SIGNATURE, UNSIGNED}:
        return
    if BAD_SIGNATURE in steps:
        what = (
            "that is unsigned or whose signature does not verify"
            if UNSIGNED in steps
            else ("whose signature does not verify")
        )
        requirement = "VERIFY-RESPONSE"
    else:
        # The official Java SDK's client skips verifying an unsigned answer: warned, not failed.
        what, requirement = "that carries no signature", "VERIFY-UNSIGNED"
    yield (
        requirement,
        not _opens(flow),
        f"the wallet trusted a SUCCESS {what}",
        "no redirect (an error)",
        flow.reported(),
    )


@verdict
def malformed(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    if (
        flow.arrivals
        and {a.step for a in flow.arrivals} <= UNUSABLE
        and flow.result is not None
        and not flow.result.abandoned
    ):
        yield (
            "MALFORMED-SAFE",
            flow.ended and not _opens(flow),
            "a reply with no usable result led to a redirect or to no outcome",
            "outcome error",
            flow.reported(),
        )


# The page names the value (authCode), not the query parameter's spelling; AlipayCN's own OAuth
# redirect spells it auth_code. Either spelling, in any case, is the appended authCode.
AUTH_CODE_NAMES = frozenset({"authcode", "auth_code"})


def _redirect_problem(reported: str, ours: str) -> str | None:
    """What keeps the reported redirect from being authRedirectUrl with an authCode appended."""
    a, b = urlsplit(reported), urlsplit(ours)
    if (a.scheme, a.netloc, a.path) != (b.scheme, b.netloc, b.path):
        return "the wallet did not redirect to authRedirectUrl"
    sent = parse_qsl(a.query, keep_blank_values=True)
    if not set(parse_qsl(b.query, keep_blank_values=True)) <= set(sent):
        return "the redirect dropped or changed a query parameter of authRedirectUrl"
    if not any(name.lower() in AUTH_CODE_NAMES and value for name, value in sent):
        return "the redirect carries no authCode appended to authRedirectUrl"
    return None


@verdict
def redirects(flow: Flow) -> Iterator[tuple[str, bool, str, str, str]]:
    # Only a SUCCESS the wallet could actually read counts: the late one arrived after it gave up.
    if not flow.ended or not any(a.step == SUCCESS for a in flow.arrivals):
        return
    r = flow.result
    assert r is not None
    problem = (
        "the wallet reported no redirect"
        if r.outcome != "redirect" or r.redirect_url is None
        else _redirect_problem(r.redirect_url, flow.redirect)
    )
    yield (
        "S-REDIRECT",
        problem is None,
        f"after a signed SUCCESS {problem}" if problem else "",
        f"redirect to {flow.redirect} with authCode=<code> appended",
        flow.reported(),
    )
