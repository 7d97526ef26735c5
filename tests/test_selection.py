"""Only a whole run certifies: any selection makes a run PARTIAL, in every way it is made, and
every tool that reads a verdict treats it so."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from conformance import signing
from conformance.cli import main
from conformance.commands.diff import compare
from conformance.core.exitcodes import EXIT_NOT_CERTIFIED, EXIT_PARTIAL
from conformance.report.integrity import check_results
from conformance.results.document import CERTIFIED, INCONCLUSIVE, NOT_CERTIFIED, PARTIAL
from conformance.results.fold import partial, pick

from .conftest import Certify

ONE_REQUEST = "test_other_method_refused[GET]"


def test_the_verdict_ranks_failures_then_the_network_then_the_selection() -> None:
    assert pick([], [], []) == CERTIFIED
    assert pick([], ["--only x leaves suite tests out"], []) == PARTIAL
    assert pick([], ["--only x"], ["the network disturbed"]) == INCONCLUSIVE
    assert pick(["IUI-X (MUST) failed"], ["--only x"], ["disturbed"]) == NOT_CERTIFIED


def test_a_run_of_one_test_is_partial_and_is_refused_a_package(
    certify: Certify, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, results = certify("--only", ONE_REQUEST, examples=1)
    assert (code, results["verdict"]) == (EXIT_PARTIAL, PARTIAL)
    assert results["reasons"] == [f"--only '{ONE_REQUEST}' leaves suite tests out"]
    cover = (tmp_path / "report.html").read_text()
    assert 'id="selection"' in cover and "only a whole run certifies" in cover
    key = tmp_path / "certifier.pem"
    key.write_bytes(signing.private_key_pem(signing.generate_private_key()))
    report = tmp_path / "report.html"
    assert main(["package", "--report", str(report), "--sign-key", str(key)]) == EXIT_NOT_CERTIFIED
    assert "the run is PARTIAL" in capsys.readouterr().err


@pytest.mark.parametrize(
    "choice", [["-k", "other_method"], ["-m", "family_headers and inquiryUserInfo"]]
)
def test_pytest_selections_in_a_teams_own_run_are_partial(
    pytester: pytest.Pytester, choice: list[str]
) -> None:
    results = pytester.path / "results.json"
    outcome = pytester.runpytest(
        "--conformance-reference",
        "reference",
        "--conformance-examples",
        "1",
        "--conformance-results",
        str(results),
        *choice,
    )
    doc = json.loads(results.read_text())
    assert doc["verdict"] == PARTIAL and doc["run"]["selection"] == [shlex.join(choice)]
    assert outcome.ret == pytest.ExitCode.TESTS_FAILED  # every test passed; the run still fails


def _row(rid: str, status: str) -> dict[str, Any]:
    return {"id": rid, "status": status, "waiver": None, "level": "MUST", "text": "t"}


def test_diff_counts_a_requirement_no_longer_judged_as_a_regression() -> None:
    old = {"requirements": [_row("IUI-A", "passed"), _row("IUI-B", "passed")]}
    new = {"requirements": [_row("IUI-A", "passed"), _row("IUI-B", "untested")]}
    regressed, _, _ = compare(old, new)  # type: ignore[arg-type]
    assert regressed == ["IUI-B: passed -> untested (MUST: t)"]


def test_a_results_document_that_hides_its_selection_behind_certified_is_refused(
    reference_run: Path,
) -> None:
    doc = json.loads((reference_run / "results.json").read_text())
    doc["run"]["selection"] = ["--only 'test_other_method_refused[GET]'"]
    checks, _ = check_results(json.dumps(doc).encode(), "results.json")
    assert (
        not checks[0].ok and "states CERTIFIED but its requirements give PARTIAL" in checks[0].text
    )


def test_a_run_cut_short_names_why() -> None:
    """An interrupted or early-stopped session is a selection too: it never certifies."""
    from types import SimpleNamespace

    from conformance.pytest.selection import stopped

    def session(status: int, stop: str = "") -> pytest.Session:
        return SimpleNamespace(exitstatus=status, shouldstop=stop, shouldfail="")  # type: ignore[return-value]

    assert stopped(session(pytest.ExitCode.INTERRUPTED)) == ["the run was interrupted"]
    assert stopped(session(1, "stopping after 1 failures")) == [
        "the run stopped early: stopping after 1 failures"
    ]
    assert stopped(session(0)) == []
    run = {"selection": ["the run was interrupted"]}
    assert pick([], partial(run), []) == PARTIAL  # type: ignore[arg-type]
