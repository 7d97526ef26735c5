"""The console speaks requirements: live progress, then failed and warned requirements with the
command that reproduces each; pytest's own output only with -v."""

from __future__ import annotations

import json
import re
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from conformance.cli import main
from conformance.pytest.console import Progress, show
from conformance.reference import data
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

SCOPE_PROBE = "test_valid_request_succeeds[0-valid:BASE_USER_INFO]"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
PYTEST_NOISE = ("E   ", "Traceback", "site-packages", "ConformanceFailure", "Falsifying", "lambda")


def failing_run(tmp_path: Path, *args: str) -> int:
    return main(
        [
            "run",
            "--fault",
            "scope-leak",
            "--only",
            SCOPE_PROBE,
            "--examples",
            "3",
            "--report",
            str(tmp_path / "report.html"),
            *args,
        ]
    )


def test_off_a_terminal_a_failing_run_prints_progress_and_requirements_in_plain_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert failing_run(tmp_path) == 1
    plan, *lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"plan: at most \d+ requests, at an unlimited rate", plan)
    assert lines[0].startswith("inquiryUserInfo · behaviour: test 1 of 1; 0 requests")
    ended = lines.pop(1)  # the whole run, as the last progress line
    assert re.fullmatch(r"ended: 1 of 1 tests; \d+ requests \(\d+/s\); 1 failed, 0 warned", ended)
    assert lines[1].startswith("FAILED  IUI-SCOPE-NO-EXTRA (MUST): userInfo.userLoginId returned")
    assert lines[2] == (
        f"        reproduce: conformance run --fault scope-leak --examples 3 --only '{SCOPE_PROBE}'"
    )
    assert lines[3] == (
        "        replay: conformance replay --fault scope-leak --results "
        f"{tmp_path / 'results.json'} --requirement IUI-SCOPE-NO-EXTRA"
    )
    assert re.fullmatch(
        r"\d+ passed, 1 failed, .* requirements; \d+ requests in [\d.]+ s", lines[4]
    )
    assert lines[5].startswith("NOT CERTIFIED: report ") and len(lines) == 6
    assert not any(noise in line for line in lines for noise in PYTEST_NOISE)


def test_on_a_terminal_it_ends_with_a_table_of_requirements_and_whole_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert failing_run(tmp_path) == 1
    out = ANSI.sub("", capsys.readouterr().out)
    assert "┃ Requirement" in out and "┃ Level" in out and "┃ Found" in out
    assert re.search(r"│ IUI-SCOPE-NO-EXTRA │ MUST failed │ userInfo\.userLoginId", out)
    command = f"conformance run --fault scope-leak --examples 3 --only '{SCOPE_PROBE}'"
    assert f"  IUI-SCOPE-NO-EXTRA  {command}\n" in out  # one line, to copy whole
    assert "\nreplay:\n  IUI-SCOPE-NO-EXTRA  conformance replay --fault scope-leak" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT CERTIFIED: report ")
    assert not any(noise in out for noise in PYTEST_NOISE)


def test_the_console_changes_no_report_result_or_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs: list[list[Any]] = []
    for flags in ([], ["-q"], ["-v"]):
        assert failing_run(tmp_path, *flags) == 1
        doc = json.loads((tmp_path / "results.json").read_text())
        keys = ("id", "status", "exchanges", "failures", "tests")  # evidence holds the time
        docs.append([doc["verdict"], [[r[k] for k in keys] for r in doc["requirements"]]])
    out = capsys.readouterr().out
    assert docs[0] == docs[1] == docs[2]
    assert f"{SCOPE_PROBE} FAILED" in out and "conformance: NOT CERTIFIED" in out  # -v: pytest's


def test_progress_shows_api_family_tests_requests_rate_and_failures() -> None:
    screen = StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    progress = Progress(console, {"IUI-SCOPE-NO-EXTRA": "MUST", "IUI-TRANSPORT-HTTP-200": "SHOULD"})
    progress.total, progress.done = 154, 42
    progress.api, progress.family = "inquiryUserInfo", "behaviour"
    progress.sent, progress.started = (lambda: 1230), time.monotonic() - 10
    progress.failed, progress.warned = {"IUI-SCOPE-NO-EXTRA"}, {"IUI-TRANSPORT-HTTP-200"}
    console.print(progress)
    first, second = screen.getvalue().splitlines()
    assert first.startswith("inquiryUserInfo · behaviour ") and first.endswith("42/154 tests")
    assert re.fullmatch(r"1,230 requests · 12\d/s · 1 failed, 1 warned", second)
    assert progress.line().startswith("inquiryUserInfo · behaviour: test 43 of 154; 1230 requests")


def _results(**extra: Any) -> dict[str, Any]:
    return {
        "verdict": "NOT CERTIFIED",
        "reasons": [],
        "requirements": [],
        "counts": {"passed": 0, "failed": 0},
        "run": {"requests": 1, "duration": 0.4, "not_run": []},
        "waivers": {"entries": []},
        **extra,
    }


def test_a_failed_preflight_is_shown_first_with_its_fix() -> None:
    roles = [
        {"role": "gateway", "where": "h:1", "found": "ok", "problem": "", "fix": ""},
        {"role": "wallet (inquiryUserInfo)", "where": "https://w/p", "found": "HTTP 200"}
        | {"problem": "INVALID_CLIENT for 'X'", "fix": "set [target] client_id"},
    ]
    doc = _results(preflight={"passed": False, "roles": roles})
    for terminal in (True, False):
        screen = StringIO()
        console = Console(file=screen, force_terminal=terminal, width=100, color_system=None)
        show(console, doc)  # type: ignore[arg-type]  # the part of a document show reads
        out = screen.getvalue()
        assert "wallet (inquiryUserInfo) at https://w/p" in out and "INVALID_CLIENT for 'X'" in out
        assert "fix: set [target] client_id" in out and "gateway" not in out


def test_progress_counts_disturbances_once_there_is_one() -> None:
    screen = StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    progress = Progress(console, {})
    progress.total, progress.api, progress.family = 10, "inquiryUserInfo", "behaviour"
    progress.sent = lambda: 200
    assert "disturbed" not in progress.line()  # a steady network adds nothing
    spoiled = [("conformance-disturbances", '{"reset": 2, "502 page": 1}')]
    report = pytest.TestReport(
        "t", ("t", 0, "t"), {}, "passed", None, "call", user_properties=spoiled
    )
    progress.pytest_runtest_logreport(report)
    console.print(progress)
    assert " · 3 disturbed · 0 failed" in screen.getvalue()
    assert "200 requests (" in progress.line() and "/s), 3 disturbed; 0 failed" in progress.line()


def test_a_role_the_profile_does_not_set_up_is_not_followed_nor_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(Wallet().app()) as url:
        profile = tmp_path / "wallet-only.toml"
        profile.write_text(data.profile_toml(url))  # no [gateway], no [provider]
        report = tmp_path / "report.html"
        code = main(["run", "--profile", str(profile), "--examples", "1", "--report", str(report)])
    out = capsys.readouterr().out
    results = json.loads(report.with_name("results.json").read_text())
    assert code == 0 and "inquiryUserInfo · " in out
    assert "prepareAuthInfo" not in out.split("CERTIFIED")[0]  # not in the progress lines
    assert 0 < results["run"]["requests"] <= results["run"]["planned"]
