"""Politeness and speed: budget, back-off on U answers, limits from the profile, workers keep
minimal examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conformance.core.errors import ProfileError
from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.reference.chaos import Chaos, profile_toml
from conformance.reference.threaded import serve
from conformance.transport.throttle import Limits, parse_limits

from .conftest import ROLE_PASSED, Certify, statuses, verdict

TOKEN_TEST = "test_inactive_or_unknown_token_refused"
FAST_BACKOFF = "[limits]\nbackoff = 0.01\nbackoff_max = 0.02\nretries = 2\n"


def run_chaos(
    certify: Certify, tmp_path: Path, behaviour: str, extra: str, *args: str
) -> tuple[int, dict[str, Any], Chaos]:
    chaos = Chaos()
    with serve(chaos) as url:
        profile = tmp_path / "p.toml"
        profile.write_text(profile_toml(url, behaviour, 2.0, extra))
        code, results = certify("--profile", str(profile), "--only", TOKEN_TEST, *args, examples=2)
    return code, results, chaos


def test_budget_spent_leaves_tests_not_run_never_passed(certify: Certify) -> None:
    code, results = certify("--max-requests", "40")
    assert code == EXIT_PARTIAL and results["verdict"] == "PARTIAL"
    assert results["run"]["requests"] <= 40
    not_run = results["run"]["not_run"]
    assert not_run and all("budget of 40 requests" in n["reason"] for n in not_run)
    assert any(f"{len(not_run)} tests not run" in reason for reason in results["reasons"])
    assert statuses(results, "untested")  # what the unrun tests would have judged is not passed


def test_traffic_limit_is_backed_off_and_the_same_case_sent_again(
    certify: Certify, tmp_path: Path
) -> None:
    code, results, chaos = run_chaos(certify, tmp_path, "traffic-limit/every/2", FAST_BACKOFF)
    assert verdict(code, results) == ROLE_PASSED  # one test: a partial run
    assert statuses(results, "failed", "warned") == set()
    sent = results["run"]["requests"] + results["preflight"]["requests"]  # and the preflight's
    assert sent == chaos.calls["/traffic-limit/every/2"] > 2


def test_a_wallet_always_over_its_limit_is_recorded_after_bounded_retries(
    certify: Certify, tmp_path: Path
) -> None:
    _, results, chaos = run_chaos(
        certify, tmp_path, "traffic-limit", FAST_BACKOFF, "--workers", "1"
    )
    row = next(r for r in results["requirements"] if r["id"] == "IUI-TOKEN-CODE")
    assert (
        row["status"] == "warned"
        and "U/REQUEST_TRAFFIC_EXCEED_LIMIT" in row["evidence"][0]["received"]
    )
    assert row["evidence"][0]["exchanges"][0]["attempts"] == 3
    assert results["run"]["requests"] == 3 * row["exchanges"]
    assert chaos.calls["/traffic-limit"] == results["run"]["requests"] + 3  # the preflight's 3


def test_limits_come_from_the_profile_and_options_override(
    certify: Certify, tmp_path: Path
) -> None:
    chaos = Chaos()
    with serve(chaos) as url:
        profile = tmp_path / "p.toml"
        profile.write_text(profile_toml(url, "ok", 2.0, "[limits]\nrate = 500\nworkers = 3\n"))
        _, results = certify("--profile", str(profile), "--only", TOKEN_TEST, "--workers", "2")
    assert results["run"]["limits"] == {"rate": 500.0, "workers": 2, "max_requests": None}
    _, results = certify("--only", TOKEN_TEST)
    assert results["run"]["limits"]["rate"] is None  # the embedded wallet is not throttled


@pytest.mark.parametrize(
    "table, field",
    [
        ({"rate": "fast"}, "[limits] rate"),
        ({"workers": 0}, "[limits] workers"),
        ({"max_requests": 1.5}, "[limits] max_requests"),
        ({"speed": 1}, "[limits] speed"),
        ({"disturbance_budget": 1.5}, "[limits] disturbance_budget"),
    ],
)
def test_bad_limits_name_the_field(table: dict[str, Any], field: str) -> None:
    with pytest.raises(ProfileError, match="^" + re.escape(field) + ": "):
        parse_limits(table)


def test_limits_are_shared_out_between_processes() -> None:
    limits = Limits(rate=20, max_requests=101).split(4)
    assert (limits.rate, limits.max_requests) == (5, 26)


def test_workers_keep_the_minimal_failing_example(certify: Certify) -> None:
    evidence = []
    for workers in ("1", "8"):
        code, results = certify(
            "--fault",
            "bytes-not-chars",
            "--only",
            "test_limits_counted_in_characters",
            "--workers",
            workers,
        )
        row = next(r for r in results["requirements"] if r["id"] == "IUI-LIMIT-CHARS")
        assert code == 1 and row["status"] == "failed"
        ev = row["evidence"][0]
        evidence.append(
            (ev["message"], ev["received"], [x["request"]["body"] for x in ev["exchanges"]])
        )
    assert evidence[0] == evidence[1]


@pytest.mark.parametrize(
    "args, says",
    [
        (("--workers", "0"), "--workers 0 is below 1"),
        (("--rate", "-1"), "--rate -1 is below 0"),
        (("--disturbance-budget", "2"), "--disturbance-budget 2 is above 1"),
        (("--ca-bundle", "/nonexistent/ca.pem"), "--ca-bundle / [tls] ca_bundle: cannot be read"),
    ],
)
def test_bad_run_options_are_one_line(
    certify: Certify, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    code, _ = certify(*args)
    err = capsys.readouterr().err.strip()
    assert code == 2 and says in err and "\n" not in err
