"""A gateway session: serve the mock gateway, drive flows through the trigger (or listen) and
judge them."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.checks import Context, judge
from conformance.core.errors import ConfigError
from conformance.core.model import Outcome
from conformance.gateway.scenarios import (
    API,
    SCENARIOS,
    Scenario,
    auth_url,
    new_nonce,
    redirect_url,
)
from conformance.gateway.server import UNATTRIBUTED, Gateway, HeaderCaseH11
from conformance.gateway.trigger import FlowResult, Trigger
from conformance.gateway.verdicts import Flow, judge_flow
from conformance.profile.sections import GatewaySettings
from conformance.reference.threaded import serve

if TYPE_CHECKING:
    from conformance.engine.target import Engine

PREFIX = "PAI"
POLL = 0.02


@dataclass
class Underway:
    """A flow started through the trigger and not judged yet."""

    scenario: Scenario
    nonce: str
    url: str
    worker: threading.Thread
    box: list[FlowResult]
    deadline: float
    ended: list[float] = field(default_factory=list)  # when the trigger reported the outcome


@dataclass
class Player:
    """Plays scenarios against the wallet; every method returns Outcomes for the Recorder."""

    gateway: Gateway
    endpoint: str
    trigger: Trigger | None
    context: Context
    # Flows started ahead of their test, and the scenarios still to come, when the trigger takes
    # several flows at once. Flows play only while the suite waits on them or judges one: a flow
    # played beside the suite's busy tests can wait on the interpreter lock past a short wallet
    # timeout, and the wallet would then seem to retry after F.
    underway: dict[str, Underway] = field(default_factory=dict)
    upcoming: list[str] = field(default_factory=list)
    planned: bool = False
    # A flow whose trigger answer the network spoiled is played again, up to `replays` times; each
    # counts among the run's disturbances (the sender's tally, so the report shows them).
    replays: int = 3
    disturbed: Counter[str] = field(default_factory=Counter)

    @property
    def settings(self) -> GatewaySettings:
        return self.gateway.settings

    def _requests(self, flow: Flow) -> list[Outcome]:
        return [o for a in flow.arrivals for o in judge(a.exchange, self.context)]

    def _judge(self, flow: Flow) -> list[Outcome]:
        return self._requests(flow) + judge_flow(flow, PREFIX)

    def plan(self, names: list[str]) -> None:
        """The scenarios this run will play, in order: with a trigger that takes several flows at
        once, the next ones start while the first is played."""
        if not self.planned:
            self.planned = True
            self.upcoming = [n for n in names if n in SCENARIOS and not SCENARIOS[n].timed]

    def play(self, scenario: Scenario) -> list[Outcome]:
        """Run one flow through the trigger (or take the one started ahead), wait for it to end,
        and judge it."""
        assert self.trigger is not None
        if scenario.name in self.upcoming:
            self.upcoming.remove(scenario.name)
        flow = self.underway.pop(scenario.name, None)
        if flow is None:
            if scenario.timed:
                for other in self.underway.values():  # the harness is idle before a timed flow
                    self._wait(other)
            flow = self._start(scenario)
        side_by_side = 1 if scenario.timed else max(1, self.trigger.settings.parallel)
        while self.upcoming and len(self.underway) + 1 < side_by_side:
            name = self.upcoming.pop(0)
            self.underway[name] = self._start(SCENARIOS[name])
        found: list[Outcome] = []
        for _ in range(self.replays):
            done = self._finish(flow)
            spoiled = done.result.disturbed if done.result else None
            if spoiled is None:
                return found + self._judge(done)
            # Its requests are the wallet's and judged as such; the flow is played anew.
            self.disturbed[spoiled] += 1
            found += self._requests(done)
            flow = self._start(scenario)
        return found + self._judge(self._finish(flow))

    def _start(self, scenario: Scenario) -> Underway:
        """Start a flow through the trigger."""
        assert self.trigger is not None
        trigger, nonce = self.trigger, new_nonce()
        url = auth_url(nonce, scenario.long_url)
        self.gateway.expect(nonce, scenario, url)
        box: list[FlowResult] = []
        ended: list[float] = []

        def run() -> None:
            box.append(trigger.start(url, scenario.name))
            ended.append(time.monotonic())

        worker = threading.Thread(target=run, name=f"trigger-{scenario.name}", daemon=True)
        worker.start()
        deadline = time.monotonic() + trigger.settings.timeout + 5
        return Underway(scenario, nonce, url, worker, box, deadline, ended)

    def _wait(self, underway: Underway) -> None:
        """Until the flow's trigger reports, its deadline passes, or the wallet has retried more
        than max_attempts times (it would retry forever)."""
        while underway.worker.is_alive() and time.monotonic() < underway.deadline:
            underway.worker.join(POLL)
            if len(self.gateway.arrivals_for(underway.nonce)) > self.settings.max_attempts:
                return

    def _finish(self, underway: Underway) -> Flow:
        """The flow once its trigger reported and its settle window passed."""
        assert self.trigger is not None
        nonce = underway.nonce
        self._wait(underway)  # a wallet that would retry forever is judged as it stands
        result = (
            underway.box[0]
            if underway.box
            else FlowResult(
                None,
                problem=f"the suite stopped waiting after more than {self.settings.max_attempts} "
                f"attempts",
                abandoned=True,
            )
        )
        # Requests the wallet sends after reporting its outcome.
        time.sleep(settle_left(underway, self.settings.settle, time.monotonic()))
        stray = len(self.gateway.strays) + sum(
            len(found)
            for key, found in self.gateway.all_arrivals().items()
            if key not in self.gateway.flows
        )
        where = self.endpoint + (
            f" ({stray} request(s) so far carried no flow's authUrl or went to another path)"
            if stray
            else ""
        )
        return Flow(
            underway.scenario,
            underway.url,
            redirect_url(nonce),
            self.gateway.arrivals_for(nonce),
            result,
            self.settings,
            where,
            self.trigger.where,
        )

    def listen(self, seconds: float) -> list[Outcome]:
        """Serve passively for a while and judge whatever arrives (flows grouped by authUrl)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(POLL * 5, max(0.0, deadline - time.monotonic())))
        time.sleep(self.settings.settle)
        flows = self.gateway.all_arrivals()
        where = self.endpoint + (
            f" (requests arrived elsewhere: {', '.join(self.gateway.strays[:5])})"
            if self.gateway.strays
            else ""
        )
        if not flows:
            return judge_flow(
                Flow(self.gateway.default, None, "", (), None, self.settings, where), PREFIX
            )
        found: list[Outcome] = []
        for key, arrivals in flows.items():
            scenario = (
                self.gateway.default
                if key == UNATTRIBUTED or key not in self.gateway.flows
                else self.gateway.flows[key].scenario
            )
            found += self._judge(Flow(scenario, None, "", arrivals, None, self.settings, where))
        return found


def settle_left(underway: Underway, settle: float, now: float) -> float:
    """What is left of the settle window after a flow's report: none for a flow that ended while
    others were judged, the whole window for one that never reported."""
    since = underway.ended[0] if underway.ended else now
    return max(0.0, since + settle - now)


def _bindable(host: str, port: int) -> None:
    """Refuse, with the field to change, a host and port the gateway cannot listen on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ConfigError(
            "[gateway] port",
            f"{host}:{port} cannot be served ({exc.strerror})",
            "choose a free port, or stop what holds it",
        )


@contextmanager
def open_gateway(engine: Engine, default: Scenario = SCENARIOS["success"]) -> Iterator[Player]:
    """Serve the gateway on the profile's host, port and path; point the reference wallet at it."""
    settings = engine.profile.gateway
    assert settings is not None
    gateway = Gateway(settings, settings.psp_id, default)
    _bindable(settings.host, settings.port)
    with ExitStack() as stack:
        url = stack.enter_context(
            serve(gateway.app(), settings.host, settings.port, http=HeaderCaseH11)
        )
        endpoint = url + settings.path
        client = getattr(engine.wallet, "prepare_client", None)
        if client is not None:
            client.gateway_url = endpoint
        trigger = (
            Trigger(engine.profile.trigger, engine.profile.base_url)
            if engine.profile.trigger
            else None
        )
        ctx = Context(
            engine.contract.apis[API],
            engine.contract,
            engine.catalogue,
            PREFIX,
            settings.wallet_public_key,
        )
        try:
            yield Player(
                gateway,
                endpoint,
                trigger,
                ctx,
                replays=engine.profile.limits.retries,
                disturbed=engine.sender.disturbed,
            )
        finally:
            if trigger is not None:
                trigger.close()
