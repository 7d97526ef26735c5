"""Shared test helpers: certify the reference wallet or a faulty variant and read the results."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.core.exitcodes import EXIT_NOT_CERTIFIED, EXIT_PARTIAL
from conformance.transport import loopback

from .reporting import (  # noqa: F401  (session runs shared by the report tests)
    faulty_run,
    reference_run,
    signed_run,
)

pytest_plugins = ["pytester"]  # the plugin is tested as a wallet team uses it

Certify = Callable[..., tuple[int, dict[str, Any]]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sockets: certify the embedded servers over loopback sockets, not in-process"
    )


@pytest.fixture(scope="session", autouse=True)
def _in_process() -> Iterator[None]:
    """Runs of the embedded servers hand requests straight to their apps
    (conformance/transport/loopback.py);
    the run's session-wide results (reference_run, faulty_run) too."""
    loopback.ENABLED = True
    yield
    loopback.ENABLED = False


@pytest.fixture(autouse=True)
def _over_sockets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked `sockets` is about the HTTP framing: it certifies over real sockets."""
    if request.node.get_closest_marker("sockets") is not None:
        monkeypatch.setattr(loopback, "ENABLED", False)


@pytest.fixture
def certify(tmp_path: Path) -> Certify:
    """Run `conformance run` in-process; return its exit code and results document."""

    def run(*args: str, examples: int = 5) -> tuple[int, dict[str, Any]]:
        report = tmp_path / "report.html"
        code = main(["run", "-q", "--examples", str(examples), "--report", str(report), *args])
        results = report.with_name("results.json")
        return code, json.loads(results.read_text()) if results.exists() else {}

    return run


# A run of one role (--only) never certifies: with no MUST failed, it is PARTIAL.
ROLE_PASSED = (EXIT_PARTIAL, "PARTIAL")
ROLE_FAILED = (EXIT_NOT_CERTIFIED, "NOT CERTIFIED")


def verdict(code: int, results: dict[str, Any]) -> tuple[int, str]:
    return code, results["verdict"]


def statuses(results: dict[str, Any], *wanted: str) -> set[str]:
    """Requirement IDs whose status is one of wanted."""
    return {r["id"] for r in results["requirements"] if r["status"] in wanted}
