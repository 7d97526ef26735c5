"""The wallet's reactions seen in passing: requests for one authUrl grouped into flows, judged by
the gateway's own flow verdicts (gateway/verdicts.py)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field, replace

from conformance.core.model import Exchange, Outcome
from conformance.gateway.scenarios import BAD_SIGNATURE, DROP, MALFORMED, SUCCESS, Scenario, status
from conformance.gateway.server import Arrival
from conformance.gateway.verdicts import Flow, judge_flow
from conformance.profile.sections import GatewaySettings

# The flow verdicts traffic alone can settle: no trigger tells the outcome the wallet showed.
PASSIVE = frozenset({"F-NO-RETRY", "RETRY-U", "RETRY-SILENCE", "RETRY-SAME"})
# Observed flows follow no script; a one-step success keeps the scripted-only verdicts silent.
OBSERVED = Scenario("observed", (SUCCESS,), "traffic observed in passing")
OPEN_LIMIT = 10_000  # flows kept open at once; the oldest is judged as it stands past this


def step(ex: Exchange, delivered: bool, trusted: bool) -> str:
    """The reply the wallet received, in the gateway's step names (gateway/scenarios.py)."""
    if not delivered or ex.response is None:
        return DROP  # no result reached the wallet
    if ex.response.status != 200 or not ex.result:
        return MALFORMED
    if not trusted:
        return BAD_SIGNATURE
    code = ex.code or ""
    if code == "SUCCESS":
        return SUCCESS
    # A status that contradicts the code's row leaves the wallet's right reaction open.
    return code if status(code) is not None and status(code) == ex.result_status else MALFORMED


def key(ex: Exchange) -> str:
    """Requests of one flow carry the same authUrl (a retry must not change it)."""
    body = ex.request.json()
    url = body.get("authUrl") if isinstance(body, dict) else None
    if isinstance(url, str) and url:
        return url
    return "body:" + hashlib.sha256(ex.request.body).hexdigest()


@dataclass
class _Open:
    arrivals: list[Arrival] = field(default_factory=list)
    last: float = 0.0  # when the latest attempt was answered (or arrived, if later)


class Flows:
    """Open flows by authUrl; a flow closes when the wallet's retry window passes in silence."""

    def __init__(self, window: float, settings: GatewaySettings, where: str) -> None:
        self.window, self.settings, self.where = window, settings, where
        self.open: dict[str, _Open] = {}

    def add(
        self, ex: Exchange, arrived: float, replied: float, delivered: bool, trusted: bool
    ) -> list[Outcome]:
        """Record one request; return the verdicts of flows it closed (a new flow, same authUrl)."""
        name, found = key(ex), []
        current = self.open.get(name)
        # Judged in the order answers end, so an early attempt may come after a later one.
        if current is not None and arrived > current.last + self.window:
            found = self._judge(self.open.pop(name), settled=True)
            current = None
        if current is None:
            if len(self.open) >= OPEN_LIMIT:
                oldest = min(self.open, key=lambda k: self.open[k].last)
                found += self._judge(self.open.pop(oldest), settled=False)
            current = self.open[name] = _Open()
        current.arrivals.append(
            Arrival(ex, name, 0, step(ex, delivered, trusted), arrived, replied)
        )
        current.last = max(current.last, replied, arrived)
        return found

    def due(self, now: float, final: bool = False) -> list[Outcome]:
        """Judge the flows whose retry window has passed (all of them when the session ends)."""
        found: list[Outcome] = []
        for name in [k for k, f in self.open.items() if final or now - f.last >= self.window]:
            flow = self.open.pop(name)
            found += self._judge(flow, settled=now - flow.last >= self.window)
        return found

    def _judge(self, flow: _Open, settled: bool) -> list[Outcome]:
        ordered = sorted(flow.arrivals, key=lambda a: a.arrived)
        arrivals = tuple(replace(a, attempt=i) for i, a in enumerate(ordered, 1))
        for before, after in itertools.pairwise(arrivals):
            if after.arrived < before.replied and before.step != DROP:
                # The wallet asked again before this answer reached it: it had given up waiting.
                arrivals = _with_step(arrivals, before.attempt, DROP)
        verdict = Flow(
            OBSERVED, None, "", arrivals, None, self.settings, self.where, settled=settled
        )
        return [o for o in judge_flow(verdict) if o.requirement.split("-", 1)[1] in PASSIVE]


def _with_step(arrivals: tuple[Arrival, ...], attempt: int, new: str) -> tuple[Arrival, ...]:
    return tuple(replace(a, step=new) if a.attempt == attempt else a for a in arrivals)
