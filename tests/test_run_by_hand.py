"""A wallet started by hand, certified through a profile file, as a wallet team would."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve


@pytest.mark.parametrize("fault,code", [("reference", 0), ("scope-leak", 1)])
def test_profile_run_against_a_served_wallet(
    tmp_path: Path, fault: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(make_wallet(fault).app()) as url:
        profile = tmp_path / "wallet.toml"
        profile.write_text(data.profile_toml(url))
        assert (
            main(
                [
                    "run",
                    "--profile",
                    str(profile),
                    "--examples",
                    "3",
                    "--report",
                    str(tmp_path / "r.html"),
                ]
            )
            == code
        )
    out = capsys.readouterr().out
    assert ("IUI-SCOPE-NO-EXTRA" in out) is (fault == "scope-leak")
    assert (tmp_path / "r.html").exists() and (tmp_path / "junit.xml").exists()


def test_bad_profile_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(data.profile_toml("http://127.0.0.1:9").replace("psp_id", "pspid"))
    assert main(["run", "--profile", str(profile), "--report", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "conformance: error: [target] pspid: is not a [target] setting; did you mean psp_id?"
    )
