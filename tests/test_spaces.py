"""Each property spends examples by the size of its input space; the run plans its requests
before the first and sends no more; a run whose console reader leaves still ends whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.generation.bodies import BODY_MUTATIONS
from conformance.generation.spaces import DEFAULT_EXAMPLES, Space, Spend
from conformance.pytest import console
from conformance.reference.data import embedded_profile

from .conftest import ROLE_PASSED, Certify, verdict


def _kinds(transcript: Path) -> list[tuple[str, str, str]]:
    """(test, case kind, note) of every exchange a run's transcript holds."""
    rows = [json.loads(line) for line in transcript.read_text().splitlines()]
    return [(r["test"], *(r["case"].split(": ", 1) + [""])[:2]) for r in rows]


def test_examples_follow_the_space() -> None:
    assert [Spend(s).examples(DEFAULT_EXAMPLES) for s in Space] == [1, 2, DEFAULT_EXAMPLES]
    assert Spend(Space.FEW, 2).requests(9) == 6 and Spend(Space.LARGE).examples(0) == 1


def test_every_body_variant_is_probed_none_left_to_a_draw(certify: Certify, tmp_path: Path) -> None:
    code, results = certify("--only", "test_body_mutation", examples=DEFAULT_EXAMPLES)
    assert verdict(code, results) == ROLE_PASSED
    notes = {note for _, _, note in _kinds(tmp_path / "transcript.jsonl")}
    every = {v for m in BODY_MUTATIONS.values() for v in m.variants}
    assert every <= notes, sorted(every - notes)


def test_every_inactive_token_of_the_profile_is_sent(certify: Certify, tmp_path: Path) -> None:
    declared = [t for t in embedded_profile().tokens if t.state != "valid"]
    assert len(declared) >= 2
    code, results = certify(
        "--only", "test_inactive_or_unknown_token_refused", examples=DEFAULT_EXAMPLES
    )
    assert verdict(code, results) == ROLE_PASSED
    sent = [kind for _, kind, _ in _kinds(tmp_path / "transcript.jsonl")]
    for state in {t.state for t in declared}:
        assert sent.count(f"token-{state}") == sum(t.state == state for t in declared)
    assert 1 <= sent.count("token-unknown") <= Spend(Space.FEW).examples(DEFAULT_EXAMPLES)


def test_the_plan_is_said_before_the_first_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.html"
    only = ("--only", "test_other_psp_id_refused")
    code = main(["run", "--rate", "1000", "--report", str(report), *only])
    lines = capsys.readouterr().out.splitlines()
    results = json.loads(report.with_name("results.json").read_text())
    assert code == EXIT_PARTIAL
    planned = Spend(Space.FEW).requests(DEFAULT_EXAMPLES)
    assert lines[0] == f"plan: at most {planned:,} requests; at 1000 per second, about 0 s"
    assert 0 < results["run"]["requests"] <= results["run"]["planned"] == planned


def test_a_run_that_ends_on_an_internal_error_is_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = iter(range(2))

    def line(self: console.Progress, ended: bool = False) -> str:
        if next(lines, None) is None:
            raise RuntimeError("the console broke")
        return "a line"

    monkeypatch.setattr(console.Progress, "line", line)
    report = tmp_path / "report.html"
    main(["run", "--examples", "1", "--report", str(report)])
    results = json.loads(report.with_name("results.json").read_text())
    assert results["verdict"] == "PARTIAL"
    assert any("internal error" in s for s in results["run"]["selection"])


def test_a_reader_that_leaves_changes_neither_the_run_nor_its_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    args = ["--only", "test_valid_request_succeeds", "--only", "test_other_method_refused"]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: every write meets a broken pipe
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--report", str(report), *args],
        stdout=write,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    os.close(write)
    results = json.loads(report.with_name("results.json").read_text())
    assert (done.returncode, results["verdict"]) == ROLE_PASSED, done.stderr.decode()[-500:]
    assert results["run"]["selection"] == [f"--only {a}" for a in args[1::2]]
    assert b"Traceback" not in done.stderr
