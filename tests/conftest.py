"""Shared test helpers: certify the reference wallet or a faulty variant and read the results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main

from .reporting import faulty_run, reference_run  # noqa: F401  (session runs shared by the report tests)

pytest_plugins = ["pytester"]  # the plugin is tested as a wallet team uses it

Certify = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def certify(tmp_path: Path) -> Certify:
    """Run `conformance run` in-process; return its exit code and results document."""

    def run(*args: str, examples: int = 5) -> tuple[int, dict[str, Any]]:
        report = tmp_path / "report.html"
        code = main(["run", "-q", "--examples", str(examples), "--report", str(report), *args])
        results = report.with_name("results.json")
        return code, json.loads(results.read_text()) if results.exists() else {}

    return run


def statuses(results: dict[str, Any], *wanted: str) -> set[str]:
    """Requirement IDs whose status is one of wanted."""
    return {r["id"] for r in results["requirements"] if r["status"] in wanted}
