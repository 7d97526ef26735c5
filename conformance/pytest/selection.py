"""What left suite tests out of a run: a run that skipped any is PARTIAL, never certified."""

from __future__ import annotations

import ast
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.profile import Profile

SUITE = Path(__file__).resolve().parents[1] / "suite"


def chosen(config: pytest.Config, only: tuple[str, ...]) -> list[str]:
    """Each choice of the user that runs less than the whole suite, as they wrote it."""
    found = [f"--only {shlex.quote(name)}" for name in only]
    option = config.option
    if getattr(option, "keyword", ""):
        found.append(f"-k {shlex.quote(option.keyword)}")
    if getattr(option, "markexpr", ""):
        found.append(f"-m {shlex.quote(option.markexpr)}")
    found += [f"--deselect {shlex.quote(d)}" for d in getattr(option, "deselect", None) or ()]
    if getattr(option, "lf", False):
        found.append("--last-failed")
    here = config.invocation_params.dir
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else here / path).resolve()
        if SUITE in path.parents or (path == SUITE and "::" in arg):
            found.append(f"only {shlex.quote(arg)}")  # one suite file or test named on its own
    return found


def names(item: pytest.Item) -> set[str]:
    """What `--only` selects a test by: a parametrised test whole by its bare name, one case by
    its full name."""
    return {item.name, getattr(item, "originalname", item.name)}


def unmatched(only: tuple[str, ...], items: list[pytest.Item]) -> list[str]:
    """The names of `--only` that select no test."""
    known = {name for item in items for name in names(item)}
    return [name for name in only if name not in known]


def no_test(name: str) -> str:
    """The usage error of an `--only` that selects no test."""
    return f"--only {shlex.quote(name)} names no test of the suite; `conformance run -v` lists them"


def unknown_tests(only: tuple[str, ...]) -> list[str]:
    """The names of `--only` whose test (the name before any `[case]`) the suite does not define,
    read from its source before anything runs; a case's id is checked once collected."""
    defined = {
        node.name
        for module in SUITE.glob("test_*.py")
        for node in ast.parse(module.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    return [name for name in only if name.split("[", 1)[0] not in defined]


def stopped(session: pytest.Session) -> list[str]:
    """Why the session ended before every selected test ran."""
    if session.exitstatus == pytest.ExitCode.INTERRUPTED:
        return ["the run was interrupted"]
    if session.exitstatus == pytest.ExitCode.INTERNAL_ERROR:
        return ["the run ended on an internal error"]
    reason = session.shouldstop or session.shouldfail
    return [f"the run stopped early: {reason}"] if reason else []


def unreached(session: pytest.Session, reported: set[str]) -> list[str]:
    """Selected tests the session ended before reaching, whatever ended it."""
    left = sum(1 for item in session.items if item.nodeid not in reported)
    return [f"{left} selected tests never ran: the run ended early"] if left else []


def applicable(item: pytest.Item, profile: Profile) -> bool:
    """Whether the profile sets up the roles a suite test plays (else it is skipped, unsent):
    the Alipay+ server for the provider tests, the gateway for the client flows."""
    needs = {"provider": profile.provider, "gateway": profile.gateway}
    return all(needs[f] is not None for f in getattr(item, "fixturenames", ()) if f in needs)
