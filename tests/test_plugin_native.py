"""The plugin inside a wallet team's own pytest run: `pytest --conformance-profile staging.toml`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.pytest.selection import SUITE
from conformance.reference.data import profile_toml
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve

SUITE_TESTS = "test_inquiry_user_info.py::"
SUITE_FILES = (
    "test_inquiry_user_info.py::",
    "test_prepare_auth_info.py::",
    "test_prepare_auth_info_provider.py::",
)


@pytest.fixture
def team(pytester: pytest.Pytester) -> pytest.Pytester:
    """A wallet team's project: its own tests, its own settings, which do not name the suite."""
    pytester.makeini(
        "[pytest]\ntestpaths = tests\npython_files = check_*.py\naddopts = -p no:cacheprovider\n"
    )
    pytester.mkdir("tests")
    (pytester.path / "tests/check_wallet.py").write_text(
        "def test_wallet_own():\n    assert True\n"
    )
    return pytester


@pytest.fixture(scope="module")
def wallets() -> Iterator[dict[str, str]]:
    """The reference wallet and a faulty one on loopback ports, as a staging wallet would be."""
    with serve(make_wallet(None).app()) as good, serve(make_wallet("scope-leak").app()) as leaky:
        yield {"reference": good, "scope-leak": leaky}


def profile(pytester: pytest.Pytester, url: str) -> str:
    path = pytester.path / "staging.toml"
    path.write_text(profile_toml(url))
    return str(path)


def certify(
    pytester: pytest.Pytester, url: str, *args: str, subprocess: bool = False
) -> dict[str, Any]:
    results = pytester.path / "results.json"
    argv = [
        "--conformance-profile",
        profile(pytester, url),
        "--conformance-examples",
        "1",
        "--conformance-results",
        str(results),
        *args,
    ]
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    run(*argv)
    return dict(json.loads(results.read_text()))


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    out = pytester.runpytest("--collect-only", "-q", *args).outlines
    return [line for line in out if "::" in line]


def test_without_the_option_nothing_changes(team: pytest.Pytester) -> None:
    assert collected(team) == ["tests/check_wallet.py::test_wallet_own"]
    team.runpytest().assert_outcomes(passed=1)


def test_with_the_option_the_suite_runs_beside_the_team_tests(
    team: pytest.Pytester, wallets: dict[str, str]
) -> None:
    names = collected(team, "--conformance-profile", profile(team, wallets["reference"]))
    assert "tests/check_wallet.py::test_wallet_own" in names
    suite = [n for n in names if n.startswith(SUITE_TESTS)]
    assert suite, "the suite was not collected although the team's python_files does not match it"
    results = certify(team, wallets["reference"])
    assert results["verdict"] == "CERTIFIED" and results["counts"]["failed"] == 0


def test_suite_named_explicitly_is_not_collected_twice(
    team: pytest.Pytester, wallets: dict[str, str]
) -> None:
    option = ["--conformance-profile", profile(team, wallets["reference"])]
    implicit = collected(team, *option)
    explicit = collected(team, *option, str(SUITE / "test_inquiry_user_info.py"))
    assert (
        len(explicit)
        == len(set(explicit))
        == len([n for n in implicit if n.startswith(SUITE_TESTS)])
    )
    whole = collected(team, *option, str(SUITE))
    assert (
        len(whole) == len(set(whole)) == len(implicit) - 1
    )  # the suite's tests, without the team's


def test_markers_select_an_api_or_a_family(team: pytest.Pytester, wallets: dict[str, str]) -> None:
    option = ["--conformance-profile", profile(team, wallets["reference"]), "--strict-markers"]
    everything = collected(team, *option)
    api = collected(team, *option, "-m", "inquiryUserInfo")
    assert api == [n for n in everything if n.startswith(SUITE_TESTS)]
    suite = collected(team, *option, "-m", "conformance")
    assert suite == [n for n in everything if n.startswith(SUITE_FILES)]
    signature = collected(team, *option, "-m", "family_signature")
    assert signature and set(signature) < set(suite) and set(signature) & set(api)
    assert any("header_deviation" in n for n in signature) and not any(
        "method_refused" in n for n in signature
    )
    listed = team.runpytest("--markers").stdout.str()
    assert "@pytest.mark.inquiryUserInfo:" in listed and "@pytest.mark.family_signature:" in listed


def test_a_faulty_wallet_fails_certification_in_the_team_run(
    team: pytest.Pytester, wallets: dict[str, str]
) -> None:
    results = certify(team, wallets["scope-leak"])
    assert results["verdict"] == "NOT CERTIFIED"
    assert {r["id"] for r in results["requirements"] if r["status"] == "failed"} == {
        "IUI-SCOPE-NO-EXTRA"
    }


def test_xdist_gives_the_same_verdict(team: pytest.Pytester, wallets: dict[str, str]) -> None:
    def summary(results: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return results["verdict"], {r["id"]: r["status"] for r in results["requirements"]}

    serial = summary(certify(team, wallets["scope-leak"]))
    parallel = summary(
        certify(team, wallets["scope-leak"], "-n", "2", "-p", "xdist", subprocess=True)
    )
    assert parallel == serial and serial[0] == "NOT CERTIFIED"
