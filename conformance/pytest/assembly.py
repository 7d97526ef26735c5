"""Results assembly: the records of every test gathered (also from xdist workers), folded into the
results document at session end and written as JSON, JUnit, the terminal summary and HTML."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Generator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from conformance import __version__
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import APIS, contract
from conformance.core.sinks import for_terminal
from conformance.profile import Profile
from conformance.pytest.selection import stopped, unreached
from conformance.pytest.state import State
from conformance.report.signature import sign
from conformance.results import rows
from conformance.results.document import INCONCLUSIVE, PARTIAL, Meta, TranscriptRef
from conformance.results.fold import build, digest, dumps, fold
from conformance.transport.disturbance import ordered

if TYPE_CHECKING:
    from conformance.report.appendix import SuiteTest


def _target(state: State) -> list[str]:
    if state.reference is None:
        return ["--profile", str(state.profile.source) if state.profile else ""]
    return [] if state.reference == "reference" else ["--fault", state.reference]


def command(*argv: str) -> str:
    """A command line to copy and paste: each argument quoted for a POSIX shell."""
    return shlex.join(argv)


def _reproduce(state: State, test: str) -> str:
    if test == "(preflight)":
        return command("conformance", "doctor", *_target(state))
    seed = ["--seed", str(state.run.seed)] if state.run.seed is not None else []
    return command(
        "conformance",
        "run",
        *_target(state),
        *("--examples", str(state.run.examples)),
        *seed,
        *("--only", test),
    )


def _replay(state: State, rid: str) -> str:
    """Re-send the recorded minimal case of rid, re-signed now (conformance/commands/replay.py)."""
    results = ["--results", str(state.results_path)] if state.results_path else []
    return command("conformance", "replay", *_target(state), *results, "--requirement", rid)


def _meta(state: State, prof: Profile) -> Meta:
    """What was certified, with what, and how the run went."""
    finished = time.time()
    if state.reference:
        where = "embedded reference wallet" + (
            "" if state.reference == "reference" else f", fault {state.reference}"
        )
    else:
        where = prof.base_url or "(no [target]: prepareAuthInfo roles only)"
    return {
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
            "planned": state.planned,
            "limits": {
                "rate": prof.limits.rate or None,
                "workers": prof.limits.workers,
                "max_requests": prof.limits.max_requests or None,
            },
            "not_run": state.not_run,
            "disturbances": {
                "total": state.disturbed.total(),
                "kinds": ordered(state.disturbed),
                "budget": prof.limits.disturbance_budget,
            },
        },
    }


class ResultsAssembly:
    """Gathers the records of every test and writes the results.

    Named for what it does, and not `Collector`, which in pytest is a node that collects tests.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.reported: set[str] = set()  # tests that ran (or were skipped), so none goes missing

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state, test = self.state, report.head_line or report.nodeid
        self.reported.add(report.nodeid)
        got = rows.load(report.user_properties, test)
        if got.row is not None:
            state.records.append(got.row)
            state.requests += got.requests
            state.disturbed.update(got.disturbances)
            state.transcript += [{"test": test, **ex} for ex in got.transcript]
        if got.not_run is not None:
            state.not_run.append({"test": report.nodeid, "reason": got.not_run})
        if got.error is not None:
            state.errors.append({"test": report.nodeid, "message": got.error})

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state, prof = self.state, self.state.profile
        if prof is None or hasattr(session.config, "workerinput"):
            return
        if session.exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # nothing ran: no results, rather than a NOT CERTIFIED that judged nothing
        tallies = fold(
            state.records,
            lambda rid, ev: {
                **ev,
                "reproduce": _reproduce(state, ev["test"]),
                "replay": _replay(state, rid),
            },
        )
        meta = _meta(state, prof)
        if state.transcript_path:
            from conformance.report.transcript import write as write_transcript

            meta["transcript"] = cast(
                TranscriptRef,
                write_transcript(state.transcript, state.transcript_path, state.results_path),
            )
        cat = catalogue().with_levels(prof.levels)
        errors = list(state.errors)  # tests not run and a selection make the run PARTIAL instead
        ended = stopped(session) or unreached(session, self.reported)
        meta["run"]["selection"] = [*state.selection, *ended]
        today = datetime.fromtimestamp(state.started, UTC).date()
        from conformance.gateway.applicability import inapplicable
        from conformance.gateway.scenarios import SCENARIOS

        listen = (
            SCENARIOS[session.config.getoption("conformance_scenario")]
            if session.config.getoption("conformance_listen") is not None
            else None
        )
        state.results = build(
            tallies, cat, APIS, errors, meta, state.waivers, today, inapplicable(cat, prof, listen)
        )
        if state.preflight is not None:
            from conformance.preflight import annotate

            annotate(state.results, state.preflight)
        unproven = (INCONCLUSIVE, PARTIAL)
        if state.results["verdict"] in unproven and session.exitstatus == pytest.ExitCode.OK:
            # Every test passed, yet the run proves nothing: pytest must not exit 0. Not 5, which
            # is pytest's own "no tests collected" that CI jobs often let pass.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        state.results_data = dumps(state.results)
        if state.sign_key is not None:
            state.signature = sign(state.results_data, state.sign_key)
        if state.results_path:
            state.results_path.parent.mkdir(parents=True, exist_ok=True)
            state.results_path.write_bytes(state.results_data)
            if state.signature is not None:
                state.results_path.with_name(state.results_path.name + ".sig").write_bytes(
                    state.signature.document()
                )
        if state.junit_path:
            from conformance.report import junit

            junit.write(state.results, state.junit_path)

    def pytest_terminal_summary(
        self, terminalreporter: Any, exitstatus: int, config: pytest.Config
    ) -> None:
        r = self.state.results
        if r is None:
            return
        from conformance.report.text import summary

        terminalreporter.write_sep("=", f"conformance: {r['verdict']}")
        for line in summary(r):
            terminalreporter.write_line(for_terminal(line))


def html_reports(config: pytest.Config) -> list[object]:
    """pytest-html's report of this session (its writer, not its module); none once withheld."""
    return [
        p
        for p in config.pluginmanager.get_plugins()
        if type(p).__module__.startswith("pytest_html.")
    ]


class HtmlHooks:
    """pytest-html hooks, registered only when pytest-html is present."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.tests: dict[str, SuiteTest] = {}  # each suite test's outcome, for the appendix

    @staticmethod
    def _outcome(report: pytest.TestReport) -> SuiteTest:
        from conformance.report.appendix import outcome

        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        result = report.outcome if report.when == "call" or report.skipped else "error"
        if report.passed:
            result = "passed"
        return outcome(
            report.head_line or report.nodeid, result, dict(report.user_properties), reason
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        seen = self._outcome(report)
        known = self.tests.get(report.nodeid)
        # A test's worst phase stands for it: a failure or an error is never hidden by a pass.
        if known is None or known.outcome == "passed":
            self.tests[report.nodeid] = seen

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        # Its outcome in words instead of the traceback (internal paths, object reprs).
        data[:] = [escape(self._outcome(report).text)]

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "mpp-conformance certification report"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        if self.state.results is not None:
            from conformance.report.html import sections

            data = self.state.results_data
            prefix.append(sections(self.state.results, digest(data), data, self.state.signature))

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        # After pytest-html has written the report: its head gets the Content-Security-Policy.
        yield
        where = session.config.getoption("htmlpath", None)
        if where and html_reports(session.config) and not hasattr(session.config, "workerinput"):
            from conformance.report.appendix import arrange, duration, tally
            from conformance.report.html import protected

            page = Path.cwd() / Path(os.path.expandvars(where)).expanduser()
            if page.is_file():
                written = page.read_text(encoding="utf-8")
                if (r := self.state.results) is not None:
                    failed = [x["id"] for x in r["requirements"] if x["status"] == "failed"]
                    lines = tally(list(self.tests.values()), failed)
                    written = arrange(written, lines, duration(r["run"]["duration"]))
                page.write_text(protected(written), encoding="utf-8")
