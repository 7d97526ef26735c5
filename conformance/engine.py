"""The engine: a target, its contexts, and per-test recording of outcomes."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from . import casefile, signing
from .budget import bounded
from .catalogue import Catalogue, catalogue
from .checks import Context, judge
from .client import MAX_RESPONSE_BYTES, Sender, open_sender
from .errors import ConformanceFailure
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
    requests: int = 0
    wallet: Any = None  # the embedded reference wallet, when it is the target

    def context(self, api: str) -> Context:
        key = self.profile.wallet_public_key
        assert key is not None, "only a profile with [target] or [provider] sends requests"
        return Context(self.contract.apis[api], self.contract, self.catalogue, PREFIXES[api], key)

    def exchange(self, case: Case) -> Exchange:
        self.requests += 1
        return self.sender.send(case, self.profile.path(case.api))

    def submit(self, case: Case) -> Future[Exchange]:
        """Start sending a case in the background; up to the workers limit are in flight at once."""
        self.requests += 1
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
        wallet = None
        if reference is not None:
            from .reference.faults import make_wallet
            from .reference.server import serve

            wallet = make_wallet(reference)
            url = stack.enter_context(serve(wallet.app()))
            profile = replace(profile, base_url=url)
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


@dataclass
class Recorder:
    """Per-test: sends cases, judges them and keeps the outcomes for the report."""

    engine: Engine
    nodeid: str = ""
    records: dict[str, Record] = field(default_factory=dict)
    sent: int = 0
    # Answers by case: prefetched ones, and replays of a case hypothesis already tried agree.
    answers: dict[Case, Exchange] = field(default_factory=dict, repr=False)
    pending: dict[Case, Future[Exchange]] = field(default_factory=dict, repr=False)
    stopped: Exhausted | None = None
    first: int = field(init=False, default=0)
    transcript: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.first = self.engine.sender.requests

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
        exchange = self.answers.get(case)
        fresh = exchange is None  # a replayed case was sent once, so it is logged once
        if exchange is None:
            ahead = self.pending.pop(case, None)
            exchange = self.answers[case] = ahead.result() if ahead else self.engine.exchange(case)
            self.sent += 1
        outcomes = judge(exchange, self.engine.context(case.api))
        if fresh:
            self.transcript.append(transcript_entry(exchange, outcomes, self.engine.redactor))
        self.record(outcomes)
        return exchange

    def record(self, outcomes: list[Outcome]) -> None:
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
        """Run test over the strategy with the run's budget, seed and shrinking."""
        s = self.engine.settings
        drawn: list[T] | None = [] if self.engine.sender.limits.workers > 1 else None
        bounded_test = bounded(test)  # each shrink step is a request: keep their number fixed

        @settings(
            max_examples=s.examples,
            deadline=None,
            database=None,
            derandomize=s.seed is None and s.derandomize,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        )
        @given(strategy)
        def probe(value: T) -> None:
            if drawn is not None:
                drawn.append(value)
                for case in _cases(value):
                    if case not in self.answers and case not in self.pending:
                        self.pending[case] = self.engine.submit(case)
                return
            try:
                bounded_test(value)
            except Exhausted as exc:
                self.stopped = exc  # the examples left pass untried, so hypothesis ends quickly

        if s.seed is not None:
            probe = seed(s.seed)(probe)
        try:
            if drawn is not None:
                # Draw every example first (generation is seeded, so hypothesis draws these same
                # ones again) and start sending them, `workers` at a time; then judge each answer
                # as it arrives. Only when one fails does hypothesis run for real, to shrink it:
                # what it tries anew is sent live, so the minimal failing example is kept.
                probe()
                values, drawn = drawn, None
                if not self._judge_in_order(values, test):
                    probe()
            else:
                probe()
        finally:
            # Drawn, but shrinking took another path. Let each finish (the client bounds it by the
            # total deadline): cancelling a request mid-exchange can leave its pooled connection
            # half-used, and the next request on it would stall or read another's answer.
            for unused in self.pending.values():
                with contextlib.suppress(Exception):
                    unused.result()
            self.pending.clear()
        if self.stopped is not None:
            raise self.stopped

    def _judge_in_order(self, values: list[T], test: Callable[[T], Any]) -> bool:
        """Test drawn values as hypothesis would; False (records untouched) when one fails."""
        before = copy.deepcopy(self.records)
        for value in values:
            try:
                test(value)
            except Exhausted as exc:
                self.stopped = exc
            except Exception:  # noqa: BLE001 (a test may raise anything; hypothesis reruns it)
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
