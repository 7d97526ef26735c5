"""The console of `conformance run`: live progress while the suite runs, then the verdict and
the failed and warned requirements. Rich on a terminal; plain lines elsewhere (CI logs)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping

import pytest
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from conformance.core.sinks import for_terminal
from conformance.pytest.selection import applicable
from conformance.pytest.state import State
from conformance.report.text import Finding, disturbed, findings, notes, plan_line
from conformance.results import rows
from conformance.results.document import Results

STYLE = {"failed": "bold red", "warned": "yellow", "waived": "cyan"}


class Progress:
    """A pytest plugin following the run: API and family, tests done, requests, failures, rate."""

    def __init__(self, console: Console, levels: Mapping[str, str]) -> None:
        self.console, self.levels = console, levels
        self.total = self.done = 0
        self.api = self.family = ""
        self.failed: set[str] = set()
        self.warned: set[str] = set()
        self.disturbed = 0  # attempts the network spoiled (each re-sent), in tests done
        self.started = time.monotonic()
        self.sent: Callable[[], int] = lambda: 0
        self.planning: State | None = None  # the run's plan, said before its first request

    # -- pytest hooks ---------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        assembly = session.config.pluginmanager.get_plugin("conformance-results")
        if assembly is not None:  # the live count of requests the suite has sent
            self.sent = lambda: int(assembly.state.live())
            self.planning = assembly.state

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Iterator[None]:
        self.started = time.monotonic()
        state = self.planning
        if state is not None and state.planned and state.profile is not None:
            plan = plan_line(state.planned, state.profile.limits.rate)
            print(plan, file=self.console.file, flush=True)
        if not self.console.is_terminal:
            yield
            if self.done:  # the whole run's progress, as the last line of a CI log shows it
                print(self.line(ended=True), file=self.console.file, flush=True)
            return
        # pytest captures sys.stdout around each test; the console writes to the stream it was
        # given, before that (run.py asks pytest to capture at the sys level only).
        with Live(
            self,
            console=self.console,
            refresh_per_second=4,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        ):
            yield

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        state = self.planning
        if state is not None and state.profile is not None and not applicable(item, state.profile):
            return  # a role the profile does not set up: its tests are skipped, nothing to follow
        api = next((str(m.args[0]) for m in item.iter_markers("api")), "")
        family = next((str(m.args[0]) for m in item.iter_markers("family") if m.args), "")
        if (api, family) != (self.api, self.family):
            self.api, self.family = api, family
            if not self.console.is_terminal:
                print(self.line(), file=self.console.file, flush=True)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        got = rows.load(report.user_properties, report.nodeid, transcript=False)
        self.disturbed += sum(got.disturbances.values())
        if got.row is not None:
            for rid, rec in got.row.judged.items():
                if rec.failures:
                    failing = self.failed if self.levels.get(rid) == "MUST" else self.warned
                    failing.add(rid)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.done += 1

    # -- rendering --------------------------------------------------------------------------
    def rate(self) -> float:
        return self.sent() / max(time.monotonic() - self.started, 1e-3)

    def spoiled(self, before: str = "", after: str = "") -> str:
        """The disturbances so far, shown once there is one: a steady network adds no noise."""
        return f"{before}{self.disturbed} disturbed{after}" if self.disturbed else ""

    def line(self, ended: bool = False) -> str:
        """The progress as one plain line: where the run is, or (ended) what it did."""
        where = (
            f"ended: {self.done} of {self.total} tests"
            if ended
            else f"{for_terminal(self.api)} · {for_terminal(self.family)}: "
            f"test {self.done + 1} of {self.total}"
        )
        return (
            f"{where}; "
            f"{self.sent()} requests ({self.rate():.0f}/s){self.spoiled(', ')}; "
            f"{len(self.failed)} failed, {len(self.warned)} warned"
        )

    def __rich__(self) -> RenderableType:
        """Two lines: where the run is and how far; what it sent and what failed so far."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_row(
            Text(
                for_terminal(f"{self.api} · {self.family}") if self.api else "starting",
                style="bold",
            ),
            ProgressBar(total=max(self.total, 1), completed=self.done, width=20),
            Text(f"{self.done}/{self.total} tests"),
        )
        state = "red" if self.failed else ("yellow" if self.warned else "green")
        sent = Text.assemble(
            f"{self.sent():,} requests · {self.rate():.0f}/s · ",
            (self.spoiled(after=" · "), "yellow"),
            (f"{len(self.failed)} failed, {len(self.warned)} warned", state),
            no_wrap=True,
            overflow="ellipsis",
        )
        return Group(grid, sent)


def make_console() -> Console:
    """Standard output as it is now; colour and live display only on a terminal (NO_COLOR
    respected)."""
    # NO_COLOR (no-color.org): rich would drop colours but keep bold; the suite drops both.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(file=sys.stdout, highlight=False, color_system=None if plain else "auto")


def counts(results: Results) -> str:
    run = results["run"]
    tally = ", ".join(f"{n} {s}" for s, n in results["counts"].items())
    line = f"{tally} requirements; {run['requests']} requests in {run['duration']:g} s"
    spoiled = results["run"].get("disturbances")
    if spoiled is not None and spoiled["total"]:
        line = f"{line}; network disturbances: {disturbed(results)}"
    return line


def preflight_lines(results: Results) -> list[tuple[str, str, str]]:
    """(role and where, problem, fix) of every role the preflight found set up wrong."""
    roles = results["preflight"]["roles"] if "preflight" in results else []
    return [(f"{r['role']} at {r['where']}", r["problem"], r["fix"]) for r in roles if r["problem"]]


def show(console: Console, results: Results) -> None:
    """The end of a run: preflight diagnosis, failed and warned requirements, notes, counts."""
    rows, out = findings(results), console.file
    if not console.is_terminal:
        lines = []
        for where, problem, fix in preflight_lines(results):
            lines += [f"PREFLIGHT {where}: {problem}", f"          fix: {fix}"]
        for f in rows:
            lines += [f"{f.status.upper():7} {f.rid} ({f.level}): {f.found}"]
            lines += [f"        {how}: {line}" for how, line in f.commands()]
        for line in [*lines, *notes(results), counts(results)]:
            print(for_terminal(line), file=out)
        out.flush()
        return
    for where, problem, fix in preflight_lines(results):
        console.print(
            Group(
                Text.assemble(("preflight ", "bold red"), (for_terminal(where), "bold")),
                Text(f"  {for_terminal(problem)}"),
                Text.assemble(("  fix: ", "bold"), for_terminal(fix)),
            )
        )
    if rows:
        console.print(_table(rows))
    for how in ("reproduce", "replay"):
        found = [(f.rid, line) for f in rows for h, line in f.commands() if h == how]
        if found:
            console.print(Text(f"{how}:", style="bold"))
        for rid, line in found:
            console.print(
                Text.assemble(f"  {for_terminal(rid)}  ", (for_terminal(line), "dim")),
                soft_wrap=True,
            )
    for line in [*notes(results), counts(results)]:
        console.print(Text(for_terminal(line)))


def _table(rows: list[Finding]) -> Table:
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("Requirement", no_wrap=True)
    table.add_column("Level", no_wrap=True)
    table.add_column("Found", overflow="fold")
    for f in rows:
        table.add_row(
            Text(for_terminal(f.rid), style=STYLE.get(f.status, "")),
            Text(f"{f.level} {f.status}"),
            Text(for_terminal(f.found)),
        )
    return table
