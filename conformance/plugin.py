"""The pytest plugin: its hooks and fixtures. Options live in `options`, the run's state in
`state`, results assembly in `assembly`."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from conformance import profile as profiles
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import APIS, contract
from conformance.core.errors import ConformanceFailure
from conformance.core.sinks import for_terminal
from conformance.engine.recorder import Recorder
from conformance.engine.target import Engine, open_engine
from conformance.generation import spaces, strategies
from conformance.generation.spaces import Spend
from conformance.pytest import options
from conformance.pytest.assembly import HtmlHooks, ResultsAssembly, html_reports
from conformance.pytest.selection import SUITE, applicable, names, no_test, unmatched
from conformance.pytest.state import NOT_RUN, RECORDER, STATE, State
from conformance.results import rows
from conformance.transport import loopback
from conformance.transport.throttle import Exhausted


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


def _register_markers(config: pytest.Config) -> None:
    """Markers to select suite tests with -m (documented in docs/guide.md)."""
    config.addinivalue_line("markers", "api(name): the Alipay+ API a conformance test probes")
    config.addinivalue_line("markers", "listen: runs only under `conformance listen`")
    config.addinivalue_line(
        "markers", f"{spaces.MARKER}(spend): the input space of a conformance test's property"
    )
    config.addinivalue_line(
        "markers", "family(*names): requirement families a conformance test probes"
    )
    config.addinivalue_line("markers", "conformance: every test of the conformance suite")
    for api in APIS:
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
    state = config.stash[STATE] = State()
    options.configure(config, state)
    if not state.active:
        return
    _collect_suite(config)
    _prestart(config, state)
    if getattr(config.option, "tbstyle", None) is None:
        # `conformance run` has no terminal plugin, so no --tb: a failure's traceback is Python's
        # own, not pytest's long form, which parses the source of every frame (a sixth of a
        # faulty wallet's run). The evidence, not the traceback, is what the report shows.
        config.option.tbstyle = "native"
    config.pluginmanager.register(ResultsAssembly(state), "conformance-results")
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlHooks(state), "conformance-html")


def _prestart(config: pytest.Config, state: State) -> None:
    """The embedded servers start in processes of their own while the suite is collected."""
    runs_tests = not config.pluginmanager.hasplugin("dsession") and not config.option.collectonly
    if state.reference is None or loopback.ENABLED or not runs_tests:
        return
    from conformance.reference.apart import prestart

    prestart("wallet", state.reference)
    if state.profile is not None and state.profile.provider is not None:
        prestart("alipayplus", state.reference)


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
    missing = unmatched(only, items)
    if missing:  # a typo must not pass for a run that sent nothing
        for report in html_reports(config):  # else an empty report replaces the last run's
            config.pluginmanager.unregister(report)
        raise pytest.UsageError(for_terminal(no_test(missing[0])))
    if prof is not None and not prof.has_target:
        # No [target]: inquiryUserInfo is reported not applicable, so none of its tests run.
        idle = [i for i in items if _api_of(i) == "inquiryUserInfo"]
        config.hook.pytest_deselected(items=idle)
        items[:] = [i for i in items if _api_of(i) != "inquiryUserInfo"]
    if config.getoption("conformance_listen") is not None:
        only = tuple(i.name for i in items if i.get_closest_marker("listen"))
    if only:
        chosen = [not names(i).isdisjoint(only) for i in items]
        config.hook.pytest_deselected(items=[i for i, c in zip(items, chosen) if not c])
        keep = [i for i, c in zip(items, chosen) if c]
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """The run's plan: the requests its selected tests may send, before the first is sent."""
    state = session.config.stash[STATE]
    if state.profile is None:
        return
    prof = state.profile
    chosen = [i for i in session.items if applicable(i, prof)]
    # The preflight's one valid request per role, before the suite (not for the embedded wallet).
    preflight = 0 if state.reference else prof.has_target + (prof.provider is not None)
    state.planned = preflight + spaces.planned(chosen, state.run.examples, prof)


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
def recorder(conformance_engine: Engine, request: pytest.FixtureRequest) -> Recorder:
    stopped = conformance_engine.sender.throttle.stopped
    if stopped is not None:
        request.node.stash[NOT_RUN] = stopped
        pytest.skip(f"not run: {stopped}")
    rec = Recorder(conformance_engine, request.node.name, spaces.spend_of(request.node) or Spend())
    request.node.stash[RECORDER] = rec
    return rec


def _needs(engine: Engine, section: str, role: str) -> None:
    """Skip a role's tests when the profile leaves its section out."""
    if getattr(engine.profile, section) is None:
        pytest.skip(f"no [{section}] in the profile: {role} is not applicable")


@pytest.fixture(scope="session")
def gateway(conformance_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The mock Alipay+ gateway (prepareAuthInfo, wallet as client), when the profile has
    [gateway]."""
    from conformance.gateway.play import open_gateway
    from conformance.gateway.scenarios import SCENARIOS

    _needs(conformance_engine, "gateway", "prepareAuthInfo (wallet as client)")
    scenario = SCENARIOS[request.config.getoption("conformance_scenario")]
    with open_gateway(conformance_engine, scenario) as player:
        yield player


@pytest.fixture(scope="session")
def provider_engine(conformance_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine aimed at the Alipay+-side prepareAuthInfo server, when the profile has
    [provider]."""
    from conformance.engine.provider import open_provider

    _needs(conformance_engine, "provider", "prepareAuthInfo server verification")
    with open_provider(conformance_engine, request.config.stash[STATE].reference) as engine:
        yield engine


@pytest.fixture
def provider(provider_engine: Engine, request: pytest.FixtureRequest) -> Recorder:
    rec = Recorder(provider_engine, request.node.name, spaces.spend_of(request.node) or Spend())
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
    from conformance import preflight

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
    rec = item.stash.get(RECORDER, None) if report.when == "call" else None
    not_run = item.stash[NOT_RUN] if NOT_RUN in item.stash and report.skipped else None
    error, raised = None, call.excinfo
    if report.failed and raised is not None and not raised.errisinstance(ConformanceFailure):
        error = state.redactor(raised.exconly())[:500]
    report.user_properties += rows.dump(rows.recorded(rec, not_run=not_run, error=error))
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason), as pytest expects it
        path, line, reason = report.longrepr
        report.longrepr = (path, line, state.redactor(reason))
    elif report.longrepr is not None:
        report.longrepr = state.redactor(str(report.longrepr))
    report.sections = [(title, state.redactor(text)) for title, text in report.sections]
