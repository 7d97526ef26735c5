"""The results document's types, one TypedDict per object of report/results.schema.json."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# The document's schema name, its verdicts, and the status of a role the profile leaves out
# (reported, never judged): plain values that readers of a results file check without folding.
RESULTS_SCHEMA = "mpp-conformance/results/v1"
CERTIFIED, NOT_CERTIFIED = "CERTIFIED", "NOT CERTIFIED"
INCONCLUSIVE, PARTIAL = "INCONCLUSIVE", "PARTIAL"
NOT_APPLICABLE = "not applicable"

# A new optional field of the document is one `name: NotRequired[type]` line in the TypedDict
# of its object (plus its description in results.schema.json): `results.build` copies `Meta`
# whole, and every renderer reads these types.


class Suite(TypedDict):
    name: str
    version: str


class ContractDoc(TypedDict):
    digest: str


class Target(TypedDict):
    base_url: str
    psp_id: str
    client_id: str
    embedded: NotRequired[str | None]  # the embedded wallet's variant; None for the profile's


class PreflightRole(TypedDict):
    role: str
    where: str
    found: str
    problem: str  # empty when the role is set up right
    fix: str


class PreflightDoc(TypedDict):
    passed: bool
    requests: int
    roles: list[PreflightRole]
    disturbances: NotRequired[int]  # its attempts the network spoiled, each re-sent


class ProfileRef(TypedDict):
    source: str
    digest: str


class LimitsDoc(TypedDict, total=False):
    """How hard the run pressed the target; None means unlimited."""

    rate: float | None
    workers: int
    max_requests: int | None


class NotRun(TypedDict):
    test: str
    reason: str


class Disturbances(TypedDict):
    """Attempts the network spoiled (no answer, or an intermediary's 502/503/504 page), each
    re-sent; more than `budget` of the run's requests make it INCONCLUSIVE."""

    total: int
    kinds: dict[str, int]  # reset, timeout, no connection, 502 page, 503 page, 504 page
    budget: float  # the share of the run's requests allowed ([limits] disturbance_budget)


class Run(TypedDict):
    started: str
    finished: str
    duration: float
    seed: int | str | None  # an integer, "derandomized", or None for an observation
    examples: int  # 0 for an observation
    requests: int
    planned: NotRequired[int]  # the requests the run planned before its first, at most
    limits: NotRequired[LimitsDoc]
    not_run: NotRequired[list[NotRun]]
    disturbances: NotRequired[Disturbances]  # absent from documents older than the count
    selection: NotRequired[list[str]]  # what left tests out: a run with any is PARTIAL


class SuiteError(TypedDict):
    """A suite test that could not complete: not a verdict on the wallet."""

    test: str
    message: str


class TranscriptRef(TypedDict):
    file: str
    sha256: str
    exchanges: int


class LatencyDoc(TypedDict):
    """What the proxy added to each exchange, in milliseconds."""

    samples: int
    median: float
    p95: float
    max: float


class Asked(TypedDict):
    """Alipay+'s requests to an observed wallet: judged, never counted against the wallet."""

    well_formed: int
    malformed: int
    broken: dict[str, int]  # rule ID -> requests that broke it


class Closed(TypedDict):
    """Client connections the proxy closed, by why (docs/observe.md)."""

    refused: int  # over the connection cap, as they arrived
    idle: int  # no request began within the idle timeout
    slow_head: int  # a request's headers not complete in time (408)
    slow_body: int  # a request's body not complete in time (408)
    malformed: int  # refused with 400 (ambiguous framing) or another 4xx


class TranscriptCut(TypedDict):
    """How much of an observation its transcript holds."""

    kept: int
    left_out: int  # exchanges past the cap: counted, not written
    limit_bytes: int


class Observation(TypedDict):
    """Where the proxy of `conformance observe` listened and forwarded, and what it saw."""

    role: str  # wallet or alipayplus
    listen: str
    upstream: str
    exchanges: int
    complete: bool  # False while the session still runs
    judged: NotRequired[int]
    path: NotRequired[str]
    not_judged: NotRequired[dict[str, int]]  # backlog, aborted, other_path
    judge_errors: NotRequired[int]
    connections: NotRequired[Closed]
    transcript: NotRequired[TranscriptCut]  # with --transcript
    added_latency_ms: NotRequired[LatencyDoc]
    requests: NotRequired[Asked]  # the wallet role only
    open_flows: NotRequired[int]  # the alipayplus role only


class Meta(TypedDict):
    """What the run says of itself; `results.build` puts it in the document as it is."""

    suite: Suite
    contract: ContractDoc
    target: Target
    profile: ProfileRef
    run: Run
    transcript: NotRequired[TranscriptRef | None]
    observation: NotRequired[Observation]  # only in an observation (`conformance observe`)
    preflight: NotRequired[PreflightDoc]  # profile runs: one valid request per role first


class SentRequest(TypedDict):
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str


class AnswerDoc(TypedDict):
    status: int  # the HTTP status code
    headers: list[tuple[str, str]]
    body: str
    elapsed: NotRequired[float]


class DisturbanceRecord(TypedDict):
    """An earlier attempt of an exchange that the network spoiled, redacted."""

    attempt: int
    kind: str
    what: str


class ExchangeRecord(TypedDict):
    """One redacted request and its answer, as evidence keeps it."""

    case: str
    request: SentRequest
    response: AnswerDoc | None
    error: str | None
    attempts: NotRequired[int]  # the answer kept is of this attempt
    disturbances: NotRequired[list[DisturbanceRecord]]


class SignatureShown(TypedDict):
    """A target's signature that did not verify: the exact content it was checked over."""

    signed: str  # which message carried it: "response"
    signature: str  # the value, public
    contents: list[str]  # one per Client-Id tried, the body's bytes as received (\xNN if not UTF-8)
    verifies: bool
    key: str  # "right": the expected key made it (over other bytes); "other": another key did


class Evidence(TypedDict):
    """The last (after shrinking, the minimal) failing example of one suite test."""

    test: str
    message: str
    expected: str
    received: str
    exchanges: list[ExchangeRecord]
    seed: NotRequired[int | str]
    cases: NotRequired[list[dict[str, Any]]]  # casefile.dump's format, read back by replay
    reproduce: NotRequired[str]
    replay: NotRequired[str]
    signatures: NotRequired[list[SignatureShown]]


class RowWaiver(TypedDict):
    """The waiver a deviating requirement is shown under, and the status it had."""

    reason: str
    owner: str
    expires: str
    was: str


class Described(TypedDict):
    """What the catalogue says of a requirement."""

    id: str
    api: str
    family: str
    level: str
    label: str
    basis: str
    source: str
    rule: str
    text: str
    level_default: NotRequired[str]  # the documented level, when the profile changed it


class RequirementRow(Described):
    """A requirement as the run judged it."""

    status: str
    reason: NotRequired[str]  # why it is not applicable; results.build always writes it
    exchanges: int
    failures: int
    tests: list[str]
    evidence: list[Evidence]
    waiver: RowWaiver | None


class WaiverEntry(TypedDict):
    requirement: str
    reason: str
    owner: str
    expires: str
    level: str | None  # None when the requirement is not part of the run
    state: str  # applied, expired or unused
    note: str


class WaiverBlock(TypedDict):
    source: str | None
    digest: str | None
    entries: list[WaiverEntry]


class Results(Meta):
    """The results document: the HTML, the JUnit XML and the exit code are derived from it."""

    schema: str
    verdict: (
        str  # CERTIFIED, NOT CERTIFIED, PARTIAL, INCONCLUSIVE, or an observation's "observed: ..."
    )
    reasons: list[str]
    counts: dict[str, int]
    errors: list[SuiteError]
    waivers: WaiverBlock
    requirements: list[RequirementRow]
