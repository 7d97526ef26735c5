"""The engine: a target, its contexts, and per-test recording of outcomes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from . import casefile, loopback, signing
from .budget import bounded
from .catalogue import Catalogue, catalogue
from .checks import Context, judge
from .client import MAX_RESPONSE_BYTES, Answer, Sender, open_sender
from .errors import ConformanceFailure
from .loopback import Loopback
from .model import Case, Exchange, Outcome
from .profile import Profile
from .redact import Redactor
from .spec import Contract, contract
from .throttle import Exhausted

T = TypeVar("T")
# prepareAuthInfo here is the provider role (PAS); the wallet-as-client role (PAI) lives in
# gateway/.
PREFIXES = {"inquiryUserInfo": "IUI", "prepareAuthInfo": "PAS"}
EVIDENCE_BODY_LIMIT = MAX_RESPONSE_BYTES  # bodies are kept whole up to the read bound
# The seed of a derandomized run. Hypothesis would derive one from the source of the function it
# runs, so any edit of the engine would change every example; this is the one it derived before
# the engine fixed it, so runs still send what they sent then.
DERANDOMIZED = int(
    "26617767985069381701330029306857970192456698223610735081545762792572751654747779341249032687"
    "235270518070897521632901"
)


@dataclass(frozen=True)
class RunSettings:
    examples: int = 25
    seed: int | None = None
    derandomize: bool = True


@dataclass
class Engine:
    """Everything a test needs to probe one target; built once per session."""

    profile: Profile
    sender: Sender
    contract: Contract
    catalogue: Catalogue
    settings: RunSettings
    redactor: Redactor
    foreign_key: Any = None
    wallet: Any = None  # the embedded reference wallet, when it is the target
    loopback: Loopback | None = None  # the embedded servers, reached without sockets (tests)

    def context(self, api: str) -> Context:
        key = self.profile.wallet_public_key
        assert key is not None, "only a profile with [target] or [provider] sends requests"
        return Context(self.contract.apis[api], self.contract, self.catalogue, PREFIXES[api], key)

    def exchange(self, case: Case) -> Exchange:
        return self.sender.send(case, self.profile.path(case.api))

    def submit(self, case: Case) -> Answer:
        """Start sending a case; up to the workers limit are in flight at once."""
        return self.sender.submit(case, self.profile.path(case.api))


@contextmanager
def open_engine(
    profile: Profile,
    run: RunSettings,
    reference: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Iterator[Engine]:
    """Open the target (starting the embedded reference wallet when asked) and yield an engine."""
    from .reference import data

    with ExitStack() as stack:
        wallet, loop = None, None
        if reference is not None:
            from .reference.faults import make_wallet
            from .reference.server import serve

            wallet = make_wallet(reference)
            app = wallet.app()
            url = stack.enter_context(serve(app))
            profile = replace(profile, base_url=url)
            loop = loopback.transport() if transport is None else None
            if loop is not None:
                loop.add(url, app)
                transport = loop
        foreign = data.private_key("stranger")

        def auth(tamper: signing.Tamper) -> httpx.Auth:
            assert profile.suite_private_key is not None, "no [target]: nothing to sign for"
            return signing.RSA256Auth(
                profile.client_id,
                profile.suite_private_key,
                profile.key_version,
                tamper,
                foreign_key=foreign,
            )

        verify = profile.tls.context() if profile.base_url.startswith("https:") else True
        sender = stack.enter_context(
            open_sender(profile.base_url, auth, profile.limits, profile.timeout, verify, transport)
        )
        yield Engine(
            profile,
            sender,
            contract(),
            catalogue().with_levels(profile.levels),
            run,
            Redactor.for_profile(profile),
            foreign,
            wallet=wallet,
            loopback=loop,
        )


# -- evidence -------------------------------------------------------------------------------


def _text(body: bytes, redact: Redactor) -> str:
    # Redacted whole, then shortened: a secret cut in two would escape redaction.
    text = redact(body.decode("utf-8", errors="backslashreplace"))
    if len(text) > EVIDENCE_BODY_LIMIT:
        text = (
            text[:EVIDENCE_BODY_LIMIT] + f"\n… ({len(text) - EVIDENCE_BODY_LIMIT} more characters)"
        )
    return text


def exchange_evidence(ex: Exchange, redact: Redactor) -> dict[str, Any]:
    req = ex.request
    out: dict[str, Any] = {
        "case": redact(ex.case.title),
        "request": {
            "method": req.method,
            "url": req.url,
            "headers": [[k, redact(v)] for k, v in req.headers],
            "body": _text(req.body, redact),
        },
        "response": None,
        "error": redact(ex.error) if ex.error else None,
    }
    if ex.attempts > 1:
        out["attempts"] = ex.attempts  # re-sent after a back-off; this is the last answer
    if ex.response is not None:
        r = ex.response
        out["response"] = {
            "status": r.status,
            "headers": [[k, redact(v)] for k, v in r.headers],
            "body": _text(r.body, redact),
            "elapsed": round(r.elapsed, 4),
        }
    return out


def transcript_entry(ex: Exchange, outcomes: list[Outcome], redact: Redactor) -> dict[str, Any]:
    """One exchange of the run's transcript (redacted), with the requirements it broke."""
    return {
        **exchange_evidence(ex, redact),
        "broke": sorted({o.requirement for o in outcomes if not o.ok}),
    }


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

    def drain(self) -> None:
        """Drawn, but the test took another path (it failed, and shrinking tried others)."""
        self.engine.sender.drain(self.pending.values())
        self.pending.clear()


@dataclass
class Recorder:
    """Per-test: sends cases, judges them and keeps the outcomes for the report."""

    engine: Engine
    nodeid: str = ""
    records: dict[str, Record] = field(default_factory=dict)
    # Answers by case, and their outcomes: a case hypothesis tries again gets the same answer
    # (so it never looks flaky) and is judged once.
    answers: dict[Case, Exchange] = field(default_factory=dict, repr=False)
    judged: dict[Case, list[Outcome]] = field(default_factory=dict, repr=False)
    stopped: Exhausted | None = None
    first: int = field(init=False, default=0)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    prefetch: Prefetch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.first = self.engine.sender.requests
        self.prefetch = Prefetch(self.engine)

    @property
    def requests(self) -> int:
        """HTTP requests this test sent, re-sends after a back-off included."""
        return self.engine.sender.requests - self.first

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
            exchange = self.answers[case] = self.prefetch.take(case)
            outcomes = self.judged[case] = judge(exchange, self.engine.context(case.api))
            # A replayed case was sent once, so it is logged once.
            self.transcript.append(transcript_entry(exchange, outcomes, self.engine.redactor))
        else:
            outcomes = self.judged[case]
        self.record(outcomes)
        return exchange

    def record(self, outcomes: list[Outcome]) -> None:
        __tracebackhide__ = True
        cat, failed = self.engine.catalogue, []
        # Counted in distinct exchanges: a flow judges each request, and one exchange may hold
        # several violations of one requirement.
        judged: dict[str, set[int]] = {}
        broke: dict[str, set[int]] = {}
        for o in outcomes:
            ids = {id(ex) for ex in o.exchanges} or {id(o)}
            judged.setdefault(o.requirement, set()).update(ids)
            if not o.ok:
                broke.setdefault(o.requirement, set()).update(ids)
                self.records.setdefault(o.requirement, Record()).evidence = self.evidence(o)
                if cat[o.requirement].level == "MUST":
                    failed.append(o)
        for rid, ids in judged.items():
            rec = self.records.setdefault(rid, Record())
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

    def evidence(self, o: Outcome) -> dict[str, Any]:
        redact = self.engine.redactor
        seed_ = self.engine.settings.seed
        return {
            "test": self.nodeid,
            "message": redact(o.message),
            "expected": redact(o.expected),
            "received": redact(o.received),
            "exchanges": [exchange_evidence(ex, redact) for ex in o.exchanges],
            # The minimal example and how it was found, for `conformance replay`.
            "seed": seed_ if seed_ is not None else "derandomized",
            "cases": [casefile.dump(ex.case, self.engine.profile.secrets) for ex in o.exchanges],
        }

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
            self.prefetch.drain()
        if self.stopped is not None:
            raise self.stopped

    def _given(self, strategy: st.SearchStrategy[T], body: Callable[[T], None]) -> None:
        """Run body under hypothesis with the run's settings."""
        __tracebackhide__ = True
        s = self.engine.settings
        run = settings(
            max_examples=s.examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        )(given(strategy)(body))
        chosen = s.seed if s.seed is not None else DERANDOMIZED if s.derandomize else None
        if chosen is not None:
            run = seed(chosen)(run)
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
        before = copy.deepcopy(self.records)
        for value in drawn:
            try:
                test(value)
            except Exhausted as exc:
                self.stopped = exc  # the answers that came before the budget ran out still count
            except AssertionError:  # ConformanceFailure, or an assertion of the test itself
                self.records = before
                return False
        return True

    def serialise_transcript(self) -> str:
        return json.dumps(self.transcript, ensure_ascii=False)

    def serialise(self) -> str:
        return json.dumps({rid: vars(rec) for rid, rec in self.records.items()}, ensure_ascii=False)


def _cases(value: Any) -> list[Case]:
    """The cases a drawn value holds: a Case, or a tuple of them."""
    if isinstance(value, Case):
        return [value]
    return [v for v in value if isinstance(v, Case)] if isinstance(value, tuple) else []
