"""Per-test recording: cases sent ahead (`Prefetch`), judged and kept per requirement
(`Recorder`), hypothesis run with the run's seed and budget."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conformance.checks import Context, judge
from conformance.core.errors import ConformanceFailure
from conformance.core.model import Case, Exchange, Outcome
from conformance.engine.budget import bounded
from conformance.engine.evidence import outcome_evidence, transcript_entry
from conformance.engine.target import Engine
from conformance.generation.constants import keyless, seed_only
from conformance.generation.spaces import Spend
from conformance.profile import Profile
from conformance.transport.sender import Answer
from conformance.transport.throttle import Exhausted

T = TypeVar("T")
# The seed of a derandomized run. Hypothesis would derive one from the source of the function it
# runs, so any edit of the engine would change every example; this is the one it derived before
# the engine fixed it, so runs still send what they sent then.
DERANDOMIZED = int(
    "26617767985069381701330029306857970192456698223610735081545762792572751654747779341249032687"
    "235270518070897521632901"
)


@dataclass
class Record:
    """One requirement as judged within one test."""

    exchanges: int = 0
    failures: int = 0
    evidence: dict[str, Any] | None = None


class Prefetch:
    """Cases sent ahead of their test: every drawn example is started at once, and each answer
    is taken when the test reaches its case."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: dict[Case, Answer] = {}

    def start(self, cases: list[Case], known: Mapping[Case, Exchange]) -> None:
        for case in cases:
            if case not in known and case not in self.pending:
                self.pending[case] = self.engine.submit(case)

    def take(self, case: Case) -> Exchange:
        """The answer to a case: the prefetched one, or sent now."""
        ahead = self.pending.pop(case, None)
        return ahead.result() if ahead is not None else self.engine.exchange(case)

    def drain(self) -> dict[Case, Exchange]:
        """Drawn, but the test took another path (it failed, and shrinking tried others): the
        exchanges of those that were answered, so none is lost or sent twice."""
        self.engine.sender.drain(self.pending.values())
        answered = {
            case: answer.task.result()
            for case, answer in self.pending.items()
            if not answer.task.cancelled() and answer.task.exception() is None
        }
        self.pending.clear()
        return answered


@dataclass
class Recorder:
    """Per-test: sends cases, judges them and keeps the outcomes for the report."""

    engine: Engine
    nodeid: str = ""
    spend: Spend = field(default_factory=Spend)  # the property's space: examples `run` draws
    records: dict[str, Record] = field(default_factory=dict)
    # Answers by case, and their outcomes: a case hypothesis tries again gets the same answer
    # (so it never looks flaky) and is judged once.
    answers: dict[Case, Exchange] = field(default_factory=dict, repr=False)
    judged: dict[Case, list[Outcome]] = field(default_factory=dict, repr=False)
    counted: set[Case] = field(default_factory=set, repr=False)  # cases in the records' counts
    # Sent ahead and answered, but not reached by the test (yet): logged unjudged at its end.
    unjudged: dict[Case, Exchange] = field(default_factory=dict, repr=False)
    stopped: Exhausted | None = None
    first: int = field(init=False, default=0)
    first_disturbed: Counter[str] = field(init=False, default_factory=Counter)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    prefetch: Prefetch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.first = self.engine.sender.requests
        self.first_disturbed = Counter(self.engine.sender.disturbed)
        self.prefetch = Prefetch(self.engine)

    @property
    def requests(self) -> int:
        """HTTP requests this test sent, re-sends after a back-off included."""
        return self.engine.sender.requests - self.first

    @property
    def disturbances(self) -> dict[str, int]:
        """Attempts of this test the network spoiled, per kind (each re-sent)."""
        return dict(self.engine.sender.disturbed - self.first_disturbed)

    @property
    def profile(self) -> Profile:
        return self.engine.profile

    def context(self, api: str) -> Context:
        return self.engine.context(api)

    def send(self, case: Case) -> Exchange:
        """Send one case, judge it with every applicable check, fail on a MUST violation."""
        __tracebackhide__ = True  # a failure shows the test and the exchange, not the engine
        exchange = self.answers.get(case)
        if exchange is None:
            ahead = self.unjudged.pop(case, None)
            exchange = self.answers[case] = ahead or self.prefetch.take(case)
            outcomes = self.judged[case] = judge(exchange, self.engine.context(case.api))
            # A replayed case was sent once, so it is logged once.
            self.transcript.append(transcript_entry(exchange, outcomes, self.engine.redactor))
        # ... and counted once in the records kept (a case replayed in a group, or by hypothesis
        # as it shrinks, is judged from memory).
        counted = case in self.counted
        self.counted.add(case)  # before recording, which raises on a MUST failure
        self.record(self.judged[case], counted=counted)
        return exchange

    def witnessed(self, outcomes: list[Outcome]) -> None:
        """Record the judgement of exchanges the suite did not send (the wallet's requests to the
        suite's gateway), each logged in the transcript like the suite's own."""
        seen: dict[int, Exchange] = {}
        for o in outcomes:
            for ex in o.exchanges:
                seen.setdefault(id(ex), ex)
        for ex in seen.values():
            mine = [o for o in outcomes if any(e is ex for e in o.exchanges)]
            self.transcript.append(transcript_entry(ex, mine, self.engine.redactor))
        self.record(outcomes)

    def answer(self, case: Case) -> Exchange:
        """The answer a case sent in this test got (also when judging it raised)."""
        return self.answers[case]

    def record(self, outcomes: list[Outcome], counted: bool = False) -> None:
        """Keep the outcomes per requirement (unless `counted`: a replay, judged before) and
        fail the test on a MUST violation."""
        __tracebackhide__ = True
        cat, failed, gateway = self.engine.catalogue, [], self.engine.profile.gateway
        # Counted in distinct exchanges: a flow judges each request, and one exchange may hold
        # several violations of one requirement.
        judged: dict[str, set[int]] = {}
        broke: dict[str, set[int]] = {}
        for o in outcomes:
            ids = {id(ex) for ex in o.exchanges} or {id(o)}
            judged.setdefault(o.requirement, set()).update(ids)
            if not o.ok:
                broke.setdefault(o.requirement, set()).update(ids)
                self.records.setdefault(o.requirement, Record()).evidence = outcome_evidence(
                    o,
                    self.nodeid,
                    self.engine.redactor,
                    self.engine.settings.seed,
                    self.engine.profile.secrets,
                    key=self.engine.profile.wallet_public_key,
                    request_key=gateway.wallet_public_key if gateway else None,
                )
                if cat[o.requirement].level == "MUST":
                    failed.append(o)
        for rid, ids in judged.items():
            rec = self.records.setdefault(rid, Record())
            if not counted:
                rec.exchanges += len(ids)
                rec.failures += len(broke.get(rid, ()))
        if failed:
            raise ConformanceFailure(
                tuple(sorted({o.requirement for o in failed})),
                self.engine.redactor(
                    "; ".join(
                        f"{o.message} (expected {o.expected}, got {o.received})" for o in failed
                    )
                ),
            )

    def run(self, strategy: st.SearchStrategy[T], test: Callable[[T], Any]) -> None:
        """Run test over the strategy with the run's budget, seed and shrinking.

        With more than one worker, every example is drawn first and sent at once (generation is
        seeded and does not depend on the results, so hypothesis draws these same examples when
        it runs the test); each answer is judged as it arrives, in order. Only when one fails
        does hypothesis run the test for real, to shrink it: the examples it already drew are
        answered and judged from memory, and what it tries anew is sent live, so the minimal
        failing example and its evidence are those of `--workers 1`.
        """
        __tracebackhide__ = True
        drawn: list[T] = []
        bounded_test = bounded(test)  # each shrink step is a request: keep their number fixed

        def draw(value: T) -> None:
            drawn.append(value)
            self.prefetch.start(_cases(value), self.answers)

        def probe(value: T) -> None:
            __tracebackhide__ = True
            try:
                bounded_test(value)
            except Exhausted as exc:
                self.stopped = exc  # the examples left pass untried, so hypothesis ends quickly

        try:
            ahead = self.engine.sender.limits.workers > 1
            if not (ahead and self._ahead(strategy, draw, drawn, test)):
                self._given(strategy, probe)  # one worker, or shrinking a failure found ahead
        finally:
            self.unjudged.update(self.prefetch.drain())
        if self.stopped is not None:
            raise self.stopped

    def _given(self, strategy: st.SearchStrategy[T], body: Callable[[T], None]) -> None:
        """Run body under hypothesis with the run's settings."""
        __tracebackhide__ = True
        s = self.engine.settings
        run = settings(
            max_examples=self.spend.examples(s.examples),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        )(given(strategy)(body))
        run = keyless(run)
        chosen = s.seed if s.seed is not None else DERANDOMIZED if s.derandomize else None
        if chosen is not None:
            run = seed(chosen)(run)
        with seed_only():
            run()

    def _ahead(
        self,
        strategy: st.SearchStrategy[T],
        draw: Callable[[T], None],
        drawn: list[T],
        test: Callable[[T], Any],
    ) -> bool:
        """Draw every example and send them all, then test each in order; False (records
        untouched) when one fails, for hypothesis to shrink."""
        self._given(strategy, draw)
        before, counted = copy.deepcopy(self.records), set(self.counted)
        for value in drawn:
            try:
                test(value)
            except Exhausted as exc:
                self.stopped = exc  # the answers that came before the budget ran out still count
            except AssertionError:  # ConformanceFailure, or an assertion of the test itself
                self.records, self.counted = before, counted
                return False
        return True

    def unreached(self) -> list[dict[str, Any]]:
        """The exchanges sent ahead that the test never reached, for its transcript (`judged`
        false)."""
        return [
            {**transcript_entry(ex, [], self.engine.redactor), "judged": False}
            for ex in self.unjudged.values()
        ]


def _cases(value: Any) -> list[Case]:
    """The cases a drawn value holds: a Case, or a tuple of them."""
    if isinstance(value, Case):
        return [value]
    return [v for v in value if isinstance(v, Case)] if isinstance(value, tuple) else []
