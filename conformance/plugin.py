"""The pytest plugin: options, fixtures, parametrisation, recording and the certification report."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from . import __version__, strategies
from . import profile as profiles
from .catalogue import catalogue
from .document import Meta, NotRun, Results, SuiteError, TranscriptRef
from .engine import Engine, RunSettings, open_engine
from .errors import ConfigError, ConformanceFailure
from .recorder import Recorder
from .redact import Redactor
from .results import build, digest, dumps, fold
from .spec import contract
from .throttle import Exhausted
from .waivers import Waivers
from .waivers import load as load_waivers

if TYPE_CHECKING:
    from .preflight import Preflight

APIS = ("inquiryUserInfo", "prepareAuthInfo")
SUITE = Path(__file__).resolve().parent / "suite"

RECORDER = pytest.StashKey["Recorder"]()
NOT_RUN = pytest.StashKey[str]()


@dataclass
class State:
    profile: profiles.Profile | None = None
    reference: str | None = None
    run: RunSettings = field(default_factory=RunSettings)
    results_path: Path | None = None
    junit_path: Path | None = None
    transcript_path: Path | None = None
    waivers: Waivers = field(default_factory=Waivers)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    results_data: bytes = b""
    only: tuple[str, ...] = ()
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[SuiteError] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    requests: int = 0
    started: float = field(default_factory=time.time)
    results: Results | None = None
    redactor: Redactor = field(default_factory=Redactor)
    preflight: Preflight | None = None
    live: Callable[[], int] = lambda: 0  # requests sent so far, while the suite runs

    @property
    def active(self) -> bool:
        return self.profile is not None


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Alipay+ wallet conformance")
    group.addoption(
        "--conformance-profile",
        metavar="FILE",
        help="target profile (TOML) of the wallet to certify",
    )
    group.addoption(
        "--conformance-reference",
        metavar="FAULT",
        nargs="?",
        const="reference",
        help="certify the embedded reference wallet (optionally a faulty variant)",
    )
    group.addoption("--conformance-results", metavar="PATH", help="write the results JSON here")
    group.addoption(
        "--conformance-junit", metavar="PATH", help="write JUnit XML, one case per requirement"
    )
    group.addoption(
        "--conformance-transcript",
        metavar="PATH",
        help="write every exchange (redacted) as JSON lines",
    )
    group.addoption(
        "--conformance-waivers", metavar="FILE", help="waiver file (TOML) of accepted deviations"
    )
    group.addoption(
        "--conformance-examples",
        type=int,
        default=25,
        metavar="N",
        help="hypothesis examples per property (default 25)",
    )
    group.addoption(
        "--conformance-seed", type=int, metavar="N", help="seed for a reproducible random run"
    )
    group.addoption(
        "--conformance-only",
        action="append",
        default=[],
        metavar="TEST",
        help="run only the suite test with this name (repeatable)",
    )
    group.addoption(
        "--conformance-rate",
        type=float,
        metavar="N",
        help="requests per second over the whole run, 0 for unlimited (default: the profile's "
        "[limits] rate, or 20; unlimited for the embedded reference wallet)",
    )
    group.addoption(
        "--conformance-workers",
        type=int,
        metavar="N",
        help="requests in flight at once (default 8)",
    )
    group.addoption(
        "--conformance-max-requests",
        type=int,
        metavar="N",
        help="request budget of the run; tests left when it is spent are reported as not run",
    )
    group.addoption(
        "--conformance-ca-bundle",
        metavar="PEM",
        help="trust these CAs (a private CA) for https targets",
    )
    group.addoption(
        "--conformance-listen",
        type=float,
        metavar="SECONDS",
        help="serve the prepareAuthInfo gateway passively for SECONDS and judge what arrives",
    )
    group.addoption(
        "--conformance-scenario",
        default="success",
        metavar="NAME",
        help="with --conformance-listen: how the gateway replies (default success)",
    )


def reference_profile() -> profiles.Profile:
    from .reference.data import EMBEDDED_TIMEOUT, profile_toml

    profile = profiles.parse(
        tomllib.loads(profile_toml("http://127.0.0.1:1", gateway_port=0, provider=True)),
        Path("."),
        catalogue(),
        source="(embedded reference wallet)",
    )
    return replace(profile, timeout=EMBEDDED_TIMEOUT)


def _register_markers(config: pytest.Config) -> None:
    """Markers to select suite tests with -m (documented in docs/guide.md)."""
    from .spec import APIS as ALL_APIS

    config.addinivalue_line("markers", "api(name): the Alipay+ API a conformance test probes")
    config.addinivalue_line("markers", "listen: runs only under `conformance listen`")
    config.addinivalue_line(
        "markers", "family(*names): requirement families a conformance test probes"
    )
    config.addinivalue_line("markers", "conformance: every test of the conformance suite")
    for api in ALL_APIS:
        config.addinivalue_line("markers", f"{api}: conformance tests of the {api} API")
    for family in sorted({r.family for r in catalogue()}):
        config.addinivalue_line(
            "markers", f"family_{family}: conformance tests probing the {family} requirements"
        )


def _collect_suite(config: pytest.Config) -> None:
    """Certifying from a team's own test run: collect the suite unless the arguments already hold
    it."""
    here = config.invocation_params.dir
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else here / path).resolve()
        if path == SUITE or SUITE in path.parents or path in SUITE.parents:
            return
    config.args.append(str(SUITE))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Suite files are collected even when a team's python_files setting would not match them."""
    if SUITE not in file_path.parents or not fnmatch(file_path.name, "test_*.py"):
        return None
    if parent.session.isinitpath(file_path) or any(
        fnmatch(file_path.name, p) for p in parent.config.getini("python_files")
    ):
        return None  # the python plugin collects it
    return pytest.Module.from_parent(parent, path=file_path)


def pytest_configure(config: pytest.Config) -> None:
    _register_markers(config)
    state = State()
    config.stash[STATE] = state
    path, reference = (
        config.getoption("conformance_profile"),
        config.getoption("conformance_reference"),
    )
    if not path and not reference:
        return
    try:
        state.profile = profiles.load(Path(path), catalogue()) if path else reference_profile()
        contract()
        if config.getoption("conformance_waivers"):
            state.waivers = load_waivers(Path(config.getoption("conformance_waivers")), catalogue())
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    state.reference = reference if not path else None
    try:
        state.profile = _with_run_options(config, state.profile, state.reference is not None)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    seed = config.getoption("conformance_seed")
    state.run = RunSettings(max(1, config.getoption("conformance_examples")), seed, seed is None)
    state.redactor = Redactor.for_profile(state.profile)
    for opt, attr in (
        ("conformance_results", "results_path"),
        ("conformance_junit", "junit_path"),
        ("conformance_transcript", "transcript_path"),
    ):
        if config.getoption(opt):
            setattr(state, attr, Path(config.getoption(opt)))
    state.only = tuple(config.getoption("conformance_only"))
    _collect_suite(config)
    config.pluginmanager.register(Collector(state), "conformance-collector")
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlHooks(state), "conformance-html")


def _mark_suite_item(item: pytest.Item) -> None:
    """`api(name)` and `family(...)` become plain markers, so `-m` can select them."""
    if SUITE not in item.path.parents:
        return
    item.add_marker("conformance")
    apis = [str(mark.args[0]) for mark in item.iter_markers("api")]
    families = [f"family_{name}" for mark in item.iter_markers("family") for name in mark.args]
    known = {line.split(":")[0].split("(")[0] for line in item.config.getini("markers")}
    for name in apis + families:
        if name not in known:  # not in the catalogue yet; registered so --strict-markers accepts it
            item.config.addinivalue_line("markers", f"{name}: conformance tests ({name})")
            known.add(name)
        item.add_marker(name)


def _api_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("api")
    return str(mark.args[0]) if mark and mark.args else None


@pytest.hookimpl(tryfirst=True)  # before -m deselects, so the markers added here count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        _mark_suite_item(item)
    only, prof = config.stash[STATE].only, config.stash[STATE].profile
    if prof is not None and not prof.has_target:
        # No [target]: inquiryUserInfo is reported not applicable, so none of its tests run.
        idle = [i for i in items if _api_of(i) == "inquiryUserInfo"]
        config.hook.pytest_deselected(items=idle)
        items[:] = [i for i in items if _api_of(i) != "inquiryUserInfo"]
    if config.getoption("conformance_listen") is not None:
        only = tuple(i.name for i in items if i.get_closest_marker("listen"))
    if only:
        # A parametrised test is selected whole by its bare name, or one case by its full name.
        chosen = [i.name in only or getattr(i, "originalname", None) in only for i in items]
        config.hook.pytest_deselected(items=[i for i, c in zip(items, chosen) if not c])
        keep = [i for i, c in zip(items, chosen) if c]
        items[:] = keep


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = metafunc.config.stash[STATE]
    api_name = getattr(metafunc.module, "API", None)
    if state.profile is None or api_name is None:
        return
    api, prof = contract().apis[api_name], state.profile
    if "valid_token" in metafunc.fixturenames:
        valid = [t for t in prof.tokens if t.state == "valid"]
        metafunc.parametrize(
            "valid_token", valid, ids=[f"{i}-{t.label}" for i, t in enumerate(valid)]
        )
    if "request_mutation" in metafunc.fixturenames:
        key = strategies.first_token(api, prof).access_token
        pairs = strategies.field_mutations(api, strategies.base_body(api, prof, key))
        metafunc.parametrize("request_mutation", pairs, ids=[f"{f.name}-{k}" for f, k in pairs])
    if "header_case" in metafunc.fixturenames:
        # Only the names matter here; a profile without [target] has no token to name.
        token = prof.tokens[0] if prof.tokens else profiles.Token("", frozenset())
        names = list(strategies.header_cases(api, prof, token))
        metafunc.parametrize("header_case", names)


def _with_run_options(
    config: pytest.Config, prof: profiles.Profile, reference: bool
) -> profiles.Profile:
    """The profile's limits and TLS with the command-line options applied (and split across xdist
    workers)."""
    rate = config.getoption("conformance_rate")
    limits = prof.limits.override(
        rate=0.0 if rate is None and reference else rate,  # the embedded wallet needs no sparing
        workers=config.getoption("conformance_workers"),
        max_requests=config.getoption("conformance_max_requests"),
    )
    if rate is not None and rate < 0 or limits.workers < 1 or limits.max_requests < 0:
        raise ConfigError(
            "--conformance-rate/--conformance-workers/--conformance-max-requests",
            "must not be negative (workers at least 1)",
            "pass e.g. --rate 20 --workers 8",
        )
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    ca_bundle = config.getoption("conformance_ca_bundle")
    tls = prof.tls.with_ca_bundle(Path(ca_bundle).resolve() if ca_bundle else None)
    tls.context()
    return replace(prof, limits=limits.split(workers), tls=tls)


@pytest.fixture(scope="session")
def conformance_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    state = request.config.stash[STATE]
    if state.profile is None:
        pytest.skip(
            "no conformance target: pass --conformance-profile FILE or --conformance-reference"
        )
    with open_engine(state.profile, state.run, state.reference) as engine:
        state.live = lambda: engine.sender.requests
        yield engine


@pytest.fixture
def conformance(conformance_engine: Engine, request: pytest.FixtureRequest) -> Recorder:
    stopped = conformance_engine.sender.throttle.stopped
    if stopped is not None:
        request.node.stash[NOT_RUN] = stopped
        pytest.skip(f"not run: {stopped}")
    rec = Recorder(conformance_engine, request.node.name)
    request.node.stash[RECORDER] = rec
    return rec


@pytest.fixture(scope="session")
def gateway(conformance_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The mock Alipay+ gateway (prepareAuthInfo, wallet as client), when the profile has
    [gateway]."""
    from .gateway.scenarios import SCENARIOS
    from .gateway.session import open_gateway

    if conformance_engine.profile.gateway is None:
        pytest.skip(
            "no [gateway] in the profile: prepareAuthInfo (wallet as client) is not applicable"
        )
    with open_gateway(
        conformance_engine, SCENARIOS[request.config.getoption("conformance_scenario")]
    ) as player:
        yield player


@pytest.fixture(scope="session")
def provider_engine(conformance_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine aimed at the Alipay+-side prepareAuthInfo server, when the profile has
    [provider]."""
    from .provider import open_provider

    if conformance_engine.profile.provider is None:
        pytest.skip(
            "no [provider] in the profile: prepareAuthInfo server verification is not applicable"
        )
    with open_provider(conformance_engine, request.config.stash[STATE].reference) as engine:
        yield engine


@pytest.fixture
def provider(provider_engine: Engine, request: pytest.FixtureRequest) -> Recorder:
    rec = Recorder(provider_engine, request.node.name)
    request.node.stash[RECORDER] = rec
    return rec


@pytest.fixture
def first_token(conformance_engine: Engine) -> profiles.Token:
    return next(t for t in conformance_engine.profile.tokens if t.state == "valid")


# -- preflight ------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Before the suite, one valid request per role; a wrong set-up ends the run, diagnosed."""
    config, state = session.config, session.config.stash[STATE]
    if state.profile is None or state.reference is not None:
        return None  # no target, or the embedded wallet, which the suite sets up itself
    if hasattr(config, "workerinput") or config.option.collectonly:
        return None
    from . import preflight

    wanted = {r for i in session.items for r in preflight.roles(getattr(i, "fixturenames", ()))}
    if config.pluginmanager.hasplugin("dsession"):  # xdist: the workers hold the items
        wanted = set(preflight.ROLES.values())
    listen = config.getoption("conformance_listen") is not None
    found = state.preflight = preflight.run(state.profile, wanted, None, listen)
    if found.ok:
        return None
    state.records += found.records
    state.transcript += [{"test": preflight.PREFLIGHT, **e} for e in found.transcript]
    state.requests += found.requests
    why = "the preflight found the set-up wrong"
    state.not_run += [{"test": item.nodeid, "reason": why} for item in session.items]
    session.testsfailed += 1
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    state = item.config.stash[STATE]
    if not state.active:
        return
    if call.excinfo is not None and call.excinfo.errisinstance(Exhausted):
        item.stash[NOT_RUN] = str(call.excinfo.value)
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, f"not run: {call.excinfo.value}")
    if NOT_RUN in item.stash and report.skipped:
        report.user_properties.append(("conformance-not-run", item.stash[NOT_RUN]))
    rec = item.stash.get(RECORDER, None)
    if rec is not None and report.when == "call":
        report.user_properties.append(("conformance", rec.serialise()))
        report.user_properties.append(("conformance-requests", str(rec.requests)))
        report.user_properties.append(("conformance-transcript", rec.serialise_transcript()))
    if (
        report.failed
        and call.excinfo is not None
        and not call.excinfo.errisinstance(ConformanceFailure)
    ):
        report.user_properties.append(
            ("conformance-error", state.redactor(call.excinfo.exconly())[:500])
        )
    if report.longrepr is not None:
        report.longrepr = state.redactor(str(report.longrepr))
    report.sections = [(title, state.redactor(text)) for title, text in report.sections]


def _target(state: State) -> str:
    if state.reference is None:
        return f"--profile {state.profile.source if state.profile else ''} "
    return "" if state.reference == "reference" else f"--fault {state.reference} "


def _reproduce(state: State, test: str) -> str:
    if test == "(preflight)":
        return f"conformance doctor {_target(state)}".rstrip()
    seed = f"--seed {state.run.seed} " if state.run.seed is not None else ""
    return f"conformance run {_target(state)}--examples {state.run.examples} {seed}--only '{test}'"


def _replay(state: State, rid: str) -> str:
    """Re-send the recorded minimal case of rid, re-signed now (conformance/commands/replay.py)."""
    results = f"--results {state.results_path} " if state.results_path else ""
    return f"conformance replay {_target(state)}{results}--requirement {rid}"


class Collector:
    """Gathers the records of every test (also from xdist workers) and writes the results."""

    def __init__(self, state: State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props, state = dict(report.user_properties), self.state
        if "conformance" in props:
            state.records.append(
                (report.head_line or report.nodeid, json.loads(str(props["conformance"])))
            )
            state.requests += int(str(props.get("conformance-requests", 0)))
            test = report.head_line or report.nodeid
            state.transcript += [
                {"test": test, **ex}
                for ex in json.loads(str(props.get("conformance-transcript", "[]")))
            ]
        if "conformance-not-run" in props:
            state.not_run.append(
                {"test": report.nodeid, "reason": str(props["conformance-not-run"])}
            )
        if "conformance-error" in props:
            state.errors.append({"test": report.nodeid, "message": str(props["conformance-error"])})

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state, prof = self.state, self.state.profile
        if prof is None or hasattr(session.config, "workerinput"):
            return
        tallies = fold(state.records)
        for rid, tally in tallies.items():
            for ev in tally.evidence:
                ev["reproduce"] = _reproduce(state, ev["test"])
                ev["replay"] = _replay(state, rid)
        finished = time.time()
        if state.reference:
            where = "embedded reference wallet" + (
                "" if state.reference == "reference" else f", fault {state.reference}"
            )
        else:
            where = prof.base_url or "(no [target]: prepareAuthInfo roles only)"
        meta: Meta = {
            "suite": {"name": "mpp-conformance", "version": __version__},
            "contract": {"digest": contract().digest},
            "target": {
                "base_url": where,
                "psp_id": prof.psp_id,
                "client_id": prof.client_id,
                # which wallet answered, so a replay goes to the same one
                "embedded": state.reference,
            },
            "profile": {"source": prof.source, "digest": prof.digest},
            "run": {
                "started": datetime.fromtimestamp(state.started, UTC).isoformat(timespec="seconds"),
                "finished": datetime.fromtimestamp(finished, UTC).isoformat(timespec="seconds"),
                "duration": round(finished - state.started, 2),
                "seed": state.run.seed if state.run.seed is not None else "derandomized",
                "examples": state.run.examples,
                "requests": state.requests,
                "limits": {
                    "rate": prof.limits.rate or None,
                    "workers": prof.limits.workers,
                    "max_requests": prof.limits.max_requests or None,
                },
                "not_run": state.not_run,
            },
        }
        if state.transcript_path:
            from .report.transcript import write as write_transcript

            meta["transcript"] = cast(
                TranscriptRef,
                write_transcript(state.transcript, state.transcript_path, state.results_path),
            )
        cat = catalogue().with_levels(prof.levels)
        errors = list(state.errors)
        if state.not_run:  # an incomplete run is never certified
            reasons = sorted({n["reason"] for n in state.not_run})
            errors.append(
                {
                    "test": "(run)",
                    "message": f"{len(state.not_run)} tests not run: {'; '.join(reasons)}",
                }
            )
        today = datetime.fromtimestamp(state.started, UTC).date()
        from .gateway.applicability import inapplicable
        from .gateway.scenarios import SCENARIOS

        listen = (
            SCENARIOS[session.config.getoption("conformance_scenario")]
            if session.config.getoption("conformance_listen") is not None
            else None
        )
        state.results = build(
            tallies, cat, APIS, errors, meta, state.waivers, today, inapplicable(cat, prof, listen)
        )
        if state.preflight is not None:
            from .preflight import annotate

            annotate(state.results, state.preflight)
        state.results_data = dumps(state.results)
        if state.results_path:
            state.results_path.parent.mkdir(parents=True, exist_ok=True)
            state.results_path.write_bytes(state.results_data)
        if state.junit_path:
            from .report import junit

            junit.write(state.results, state.junit_path)

    def pytest_terminal_summary(
        self, terminalreporter: Any, exitstatus: int, config: pytest.Config
    ) -> None:
        r = self.state.results
        if r is None:
            return
        from .report.text import summary

        terminalreporter.write_sep("=", f"conformance: {r['verdict']}")
        for line in summary(r):
            terminalreporter.write_line(line)


class HtmlHooks:
    """pytest-html hooks, registered only when pytest-html is present."""

    def __init__(self, state: State) -> None:
        self.state = state

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "mpp-conformance certification report"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        if self.state.results is not None:
            from .report.html import sections

            data = self.state.results_data
            prefix.append(sections(self.state.results, digest(data), data))
