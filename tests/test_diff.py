"""The release gate: `conformance diff OLD NEW` lists regressions and fixes; a regression exits
1."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast

import pytest

from conformance.cli import main
from conformance.commands.diff import compare
from conformance.results.document import Results


def load(folder: Path) -> Results:
    return cast(Results, dict(json.loads((folder / "results.json").read_text())))


def diff(capsys: pytest.CaptureFixture[str], old: Path, new: Path) -> tuple[int, str]:
    code = main(["diff", str(old), str(new)])
    return code, capsys.readouterr().out


def test_regression_exits_1_and_names_the_requirement(
    reference_run: Path, faulty_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = diff(capsys, reference_run / "results.json", faulty_run / "results.json")
    assert code == 1
    assert "regressed: 1\n  IUI-SCOPE-NO-EXTRA: passed -> failed (MUST" in out
    assert "verdict: CERTIFIED -> NOT CERTIFIED" in out


def test_fix_exits_0_and_names_the_requirement(
    reference_run: Path, faulty_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = diff(capsys, faulty_run / "results.json", reference_run / "results.json")
    assert (
        code == 0
        and "fixed: 1\n  IUI-SCOPE-NO-EXTRA: failed -> passed" in out
        and "regressed: 0" in out
    )


def test_same_run_has_no_change(reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = diff(capsys, reference_run / "results.json", reference_run / "results.json")
    assert code == 0 and "regressed: 0" in out and "fixed: 0" in out


def test_new_warning_is_a_regression_and_waived_ones_are_accepted_unless_the_verdict_drops(
    reference_run: Path,
) -> None:
    old = load(reference_run)
    new = copy.deepcopy(old)
    rows = {r["id"]: r for r in new["requirements"]}
    rows["IUI-TRANSPORT-HTTP-200"]["status"] = "warned"
    rows["IUI-TRANSPORT-CONTENT-TYPE"].update(
        {
            "status": "waived",
            "waiver": {"reason": "r", "owner": "ops", "expires": "2099-01-01", "was": "warned"},
        }
    )
    regressed, accepted, fixed = compare(old, new)
    assert [r.split(":")[0] for r in regressed] == ["IUI-TRANSPORT-HTTP-200"]
    assert [r.split(":")[0] for r in accepted] == ["IUI-TRANSPORT-CONTENT-TYPE"] and fixed == []
    # A waiver is no fix: failed -> waived (was failed) is not listed as fixed.
    assert compare(new, new) == ([], [], [])


def test_waived_must_loses_certification_and_fails_the_gate(
    reference_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = load(reference_run)
    row = next(r for r in new["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    row.update(
        {
            "status": "waived",
            "waiver": {"reason": "r", "owner": "ops", "expires": "2099-01-01", "was": "failed"},
        }
    )
    new["verdict"], new["reasons"] = "NOT CERTIFIED", ["IUI-SCOPE-NO-EXTRA (MUST) is waived"]
    (tmp_path / "new.json").write_text(json.dumps(new))
    code, out = diff(capsys, reference_run / "results.json", tmp_path / "new.json")
    assert (
        code == 1
        and "accepted by a waiver: 1" in out
        and "verdict: CERTIFIED -> NOT CERTIFIED (" in out
    )


def test_unreadable_or_foreign_file_is_a_usage_error(
    reference_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "other.json").write_text('{"schema": "something-else"}')
    assert main(["diff", str(tmp_path / "other.json"), str(reference_run / "results.json")]) == 2
    assert "is not a results document (mpp-conformance/results/v1)" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "missing.json"), str(reference_run / "results.json")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_a_document_that_breaks_the_schema_is_a_usage_error(
    reference_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken: dict[str, Any] = json.loads((reference_run / "results.json").read_text())
    del broken["requirements"][0]["status"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert main(["diff", str(reference_run / "results.json"), str(tmp_path / "broken.json")]) == 2
    assert "breaks the results schema: /requirements/0: 'status' is a required" in (
        capsys.readouterr().err
    )
