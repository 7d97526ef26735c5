"""A flaky network between the suite and a wallet: disturbances are re-sent and counted, never
failed; too many leave the run INCONCLUSIVE; a wallet's own failure is still caught."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.reference import data
from conformance.reference.faults import FAULTS, make_wallet
from conformance.reference.threaded import serve

from .conftest import statuses
from .flaky import FlakyProxy, Weather, flaky

# The staging network that failed a correct wallet, its delays shortened.
STAGING = Weather(reset=0.005, bad_gateway=0.005, gateway_timeout=0.002, slow=0.01, delay=0.2)
# Far rougher: a run of ~165 requests meets every kind (5-10 % of the requests disturbed).
STORMY = Weather(reset=0.02, bad_gateway=0.015, gateway_timeout=0.01, slow=0.02, delay=0.2)
FAST = "backoff = 0.01\nbackoff_max = 0.05\n"
# A correct wallet's run with only this many examples meets every requirement of inquiryUserInfo.
EXAMPLES = "2"


@pytest.fixture(scope="module")
def wallet() -> Iterator[str]:
    with serve(make_wallet("reference").app()) as url:
        yield url


def certify_through(
    tmp_path: Path, proxy: FlakyProxy, limits: str, *args: str
) -> tuple[int, dict[str, Any]]:
    profile = tmp_path / "flaky.toml"
    profile.write_text(data.profile_toml(proxy.url, timeout=5) + "[limits]\n" + FAST + limits)
    report = tmp_path / "report.html"
    argv = ["run", "--profile", str(profile), "--report", str(report), "--rate", "0", *args]
    code = main(["run", *argv[1:], "--examples", EXAMPLES] if "--examples" not in args else argv)
    return code, json.loads(report.with_name("results.json").read_text())


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_correct_wallet_behind_a_flaky_network_is_certified(
    tmp_path: Path, wallet: str, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with flaky(wallet, STORMY, seed) as proxy:
        code, results = certify_through(tmp_path, proxy, "disturbance_budget = 0.25\n")
    assert statuses(results, "failed", "warned") == set()
    assert code == 0 and results["verdict"] == "CERTIFIED"
    # Every reset and page the proxy made was counted, the preflight's apart.
    spoiled = results["run"]["disturbances"]
    preflight = results["preflight"].get("disturbances", 0)
    assert spoiled["total"] + preflight == proxy.disturbed > 0, proxy.fates
    assert set(spoiled["kinds"]) <= {"reset", "502 page", "504 page"}
    assert proxy.fates["slow"] > 0  # late answers are no disturbance: the wallet gave them
    out = capsys.readouterr().out
    assert f"{spoiled['total']} disturbed" in out  # the progress lines, as a CI log shows them
    assert f"network disturbances: {spoiled['total']} of {results['run']['requests']}" in out
    cover = (tmp_path / "report.html").read_text()
    assert f"{spoiled['total']} of {results['run']['requests']} requests" in cover


def test_the_staging_network_that_failed_a_correct_wallet_is_within_the_default_budget(
    tmp_path: Path, wallet: str
) -> None:
    with flaky(wallet, STAGING, 5) as proxy:  # seed 5: 4 of ~167 requests, each kind once or twice
        code, results = certify_through(tmp_path, proxy, "")
    assert code == 0 and results["verdict"] == "CERTIFIED"
    spoiled = results["run"]["disturbances"]
    assert spoiled["total"] == proxy.disturbed > 0 and spoiled["budget"] == 0.05


def test_without_re_sending_the_flaky_network_fails_a_correct_wallet(
    tmp_path: Path, wallet: str
) -> None:
    with flaky(wallet, STORMY, 1) as proxy:
        code, results = certify_through(
            tmp_path, proxy, "retries = 0\n", "--only", "test_header_deviation"
        )
    assert code == 1 and results["verdict"] == "NOT CERTIFIED"
    assert "IUI-TRANSPORT-ANSWER" in statuses(results, "failed")
    assert results["run"]["disturbances"]["total"] == 0  # nothing re-sent, so nothing counted


def test_disturbances_over_the_budget_leave_the_run_inconclusive(
    tmp_path: Path, wallet: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with flaky(wallet, STORMY, 2) as proxy:
        code, results = certify_through(tmp_path, proxy, "", "--disturbance-budget", "0.01")
    assert statuses(results, "failed") == set()
    assert code == 5 and results["verdict"] == "INCONCLUSIVE"
    assert results["run"]["disturbances"]["budget"] == 0.01
    assert len(results["reasons"]) == 1 and "more than the budget of 1.0%" in results["reasons"][0]
    report = tmp_path / "report.html"
    assert 'class="verdict INCONCLUSIVE"' in report.read_text()
    assert b'name="verdict" value="INCONCLUSIVE"' in (tmp_path / "junit.xml").read_bytes()
    capsys.readouterr()
    # The report verifies as it stands; only CERTIFIED runs are packaged.
    assert main(["verify-report", str(report)]) == 0
    assert main(["package", "--report", str(report)]) == 1
    assert "package refused: the run is INCONCLUSIVE" in capsys.readouterr().err
    # Certified before, inconclusive now: the gate fails.
    before = dict(results, verdict="CERTIFIED", reasons=[])
    before["run"] = {k: v for k, v in results["run"].items() if k != "disturbances"}
    (tmp_path / "before.json").write_text(json.dumps(before))
    assert main(["diff", str(tmp_path / "before.json"), str(tmp_path / "results.json")]) == 1
    assert "verdict: CERTIFIED -> INCONCLUSIVE (the network disturbed" in capsys.readouterr().out
    # The verdict follows from the counts: a document that hides them is caught.
    hidden = json.loads(json.dumps(results))
    hidden["run"]["disturbances"]["total"] = 0
    (tmp_path / "hidden.json").write_text(json.dumps(hidden))
    assert main(["verify-report", str(tmp_path / "hidden.json")]) == 1
    assert "states INCONCLUSIVE but its requirements give CERTIFIED" in capsys.readouterr().out


def test_the_plugin_fails_an_inconclusive_run_in_a_teams_own_pytest(
    pytester: pytest.Pytester, wallet: str
) -> None:
    profile, results = pytester.path / "staging.toml", pytester.path / "results.json"
    # Seed 3 resets the preflight's first attempt and the suite's one request's first.
    with flaky(wallet, Weather(reset=0.5), 3) as proxy:
        profile.write_text(data.profile_toml(proxy.url) + "[limits]\nretries = 8\n" + FAST)
        outcome = pytester.runpytest(
            "--conformance-profile",
            str(profile),
            "--conformance-examples",
            "1",
            "--conformance-only",
            "test_inactive_or_unknown_token_refused",
            "--conformance-disturbance-budget",
            "0",
            "--conformance-results",
            str(results),
        )
    doc = json.loads(results.read_text())
    assert doc["verdict"] == "INCONCLUSIVE"
    assert doc["preflight"] == {**doc["preflight"], "passed": True, "disturbances": 1}
    outcome.assert_outcomes(passed=1)  # every test passed, and still the run proves nothing
    assert outcome.ret == pytest.ExitCode.TESTS_FAILED


def test_a_wallet_that_resets_on_one_input_every_time_is_not_certified(tmp_path: Path) -> None:
    name = "drops-connection-on-empty-body"
    with serve(make_wallet(name).app()) as url, flaky(url, STORMY, 3) as proxy:
        code, results = certify_through(
            tmp_path, proxy, "", "--only", "test_body_mutation", "--examples", "1"
        )
    assert code == 1 and results["verdict"] == "NOT CERTIFIED"
    assert statuses(results, "failed") == set(FAULTS[name].catches) == {"IUI-TRANSPORT-ANSWER"}
    (exchange,) = next(r for r in results["requirements"] if r["id"] == "IUI-TRANSPORT-ANSWER")[
        "evidence"
    ][0]["exchanges"]
    # Re-sent as often as allowed, each reset kept as evidence; the last attempt is judged.
    assert exchange["attempts"] == 4 and exchange["request"]["body"] == ""
    assert [(d["attempt"], d["kind"]) for d in exchange["disturbances"]] == [
        (1, "reset"),
        (2, "reset"),
        (3, "reset"),
    ]


@pytest.mark.parametrize(
    "name, test",
    [
        ("limit-off-by-one", "test_limits_counted_in_characters"),
        ("accepts-expired-token", "test_inactive_or_unknown_token_refused"),
    ],
)
def test_faults_behind_a_flaky_network_are_still_caught(
    tmp_path: Path, name: str, test: str
) -> None:
    with serve(make_wallet(name).app()) as url, flaky(url, STORMY, 4) as proxy:
        code, results = certify_through(
            tmp_path, proxy, "disturbance_budget = 0.25\n", "--only", test
        )
    assert code == 1 and results["verdict"] == "NOT CERTIFIED"
    assert set(FAULTS[name].catches) <= statuses(results, "failed", "warned")
    assert statuses(results, "failed", "warned") <= set(FAULTS[name].catches + FAULTS[name].also)
