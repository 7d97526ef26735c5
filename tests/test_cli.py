"""The `conformance` command: every sub-command, its --help, and every documented exit code."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.cli import COMMANDS, main
from conformance.core.exitcodes import (
    EXIT_NOT_CERTIFIED,
    EXIT_PARTIAL,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from conformance.reference.data import profile_toml

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ONE_REQUEST = "test_other_method_refused[GET]"  # one exchange: enough for a verdict, fast
SCOPE_PROBE = "test_valid_request_succeeds[0-valid:BASE_USER_INFO]"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(tmp_path: Path, *args: str) -> int:
    return main(["run", "--examples", "1", "--report", str(tmp_path / "report.html"), *args])


@pytest.mark.parametrize("command", [[], *([c] for c in sorted(COMMANDS))])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: conformance") and "-h, --help" in out


def test_top_level_help_documents_exit_codes_and_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    for line in (
        "0  certified",
        "1  not certified",
        "2  usage or configuration error",
        "3  target unreachable",
    ):
        assert line in out
    assert "NO_COLOR" in out and '{ env = "NAME" }' in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mpp-conformance {__version__}"


# What building the parser must not load: each command loads its machinery when it runs, so
# `conformance --version`, `doctor` or `verify-report` do not pay for a certification's.
MACHINERY = (
    "pytest",
    "hypothesis",
    "conformance.engine.recorder",
    "conformance.pytest.options",
    "conformance.pytest.console",
    "conformance.observe.proxy",
    "conformance.observe.session",
)


def test_the_parser_loads_no_command_machinery() -> None:
    probe = (
        "import sys; from conformance.cli import parser; parser(); "
        f"print(sorted(m for m in {MACHINERY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["certify"],
        ["run", "--examples", "many"],
        ["run", "--no-such-option"],
        ["init", "--key-format", "pkcs12"],
        ["requirements", "--format", "pdf"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_USAGE
    assert "usage: conformance" in capsys.readouterr().err


def test_run_of_one_test_is_partial_exits_6_with_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--only", ONE_REQUEST) == EXIT_PARTIAL
    out = capsys.readouterr().out
    assert "inquiryUserInfo · headers: test 1 of 1" in out  # the console's progress, off a terminal
    assert f"partial: --only '{ONE_REQUEST}' leaves suite tests out" in out  # shell-quoted
    assert out.rstrip().endswith(
        f"PARTIAL: report {tmp_path / 'report.html'}, results {tmp_path / 'results.json'}"
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["run"]["selection"] == [f"--only '{ONE_REQUEST}'"]
    assert {"report.html", "results.json", "junit.xml"} <= {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("chosen", "code", "verdict"),
    [
        ("test_wallet_flow[success]", EXIT_PARTIAL, "PARTIAL"),  # one flow, judged
        ("test_listen", EXIT_NOT_CERTIFIED, "NOT CERTIFIED"),  # skipped: nothing judged at all
    ],
)
def test_run_of_chosen_tests_is_partial_when_it_judged_them(
    tmp_path: Path, chosen: str, code: int, verdict: str
) -> None:
    """A run of one prepareAuthInfo flow sends no inquiryUserInfo request: what it judged shows
    it happened. A run that judged nothing still certifies nothing, and says so."""
    assert run(tmp_path, "-q", "--only", chosen) == code
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"] == verdict
    judged_nothing = "no request was answered or judged" in results["reasons"]
    assert judged_nothing is (verdict == "NOT CERTIFIED")


@pytest.mark.parametrize("name", ["test_no_such_test", "test_header_deviation[no-such-case]"])
def test_run_of_a_name_that_selects_no_test_exits_2_with_no_results(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in --only is a usage error, not a NOT CERTIFIED run that judged nothing; the last
    run's report is left as it was."""
    (tmp_path / "report.html").write_text("the last run's report")
    assert run(tmp_path, "-q", "--only", name) == EXIT_USAGE
    assert (tmp_path / "report.html").read_text() == "the last run's report"
    err = capsys.readouterr().err
    assert (
        len(err.strip().splitlines()) == 1 and "names no test of the suite" in err and name in err
    )
    assert not (tmp_path / "results.json").exists()


def test_run_verbose_lists_every_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "-v", "--only", ONE_REQUEST) == EXIT_PARTIAL
    assert f"{ONE_REQUEST} PASSED" in capsys.readouterr().out


def test_run_quiet_prints_only_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "-q", "--only", ONE_REQUEST) == EXIT_PARTIAL
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"PARTIAL: report {tmp_path / 'report.html'}, results {tmp_path / 'results.json'}"
    ]
    assert err == ""


def test_run_not_certified_exits_1(tmp_path: Path) -> None:
    assert run(tmp_path, "-q", "--fault", "scope-leak", "--only", SCOPE_PROBE) == EXIT_NOT_CERTIFIED
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"] == "NOT CERTIFIED"


def test_run_against_a_closed_port_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "closed.toml"
    profile.write_text(profile_toml(f"http://127.0.0.1:{closed_port()}"))
    assert run(tmp_path, "-q", "--profile", str(profile), "--only", ONE_REQUEST) == EXIT_UNREACHABLE
    assert capsys.readouterr().out.startswith("NOT CERTIFIED")


@pytest.mark.parametrize("args", [["--fault", "no-such-fault"], ["--profile", "missing.toml"]])
def test_run_configuration_errors_exit_2(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, *args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("conformance: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--report", "--junit", "--transcript", "--results"])
@pytest.mark.parametrize("under", ["taken/out", "taken/deeper/out", "folder"])
def test_run_that_cannot_write_an_output_exits_2_before_sending(
    tmp_path: Path, option: str, under: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output under a file, or one that is a folder, stops the run before its first request:
    one line, exit 2, and no run lost at its end for want of a place to write."""
    (tmp_path / "taken").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    path = tmp_path / under
    argv = ["run", "-q", "--only", ONE_REQUEST, "--report", str(tmp_path / "r/report.html")]
    code = main([*argv, option, str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    why = "it is a folder" if under == "folder" else f"{tmp_path / 'taken'} is a file, not a folder"
    assert err == f"conformance: error: cannot write {path} ({why}); choose another {option}\n"
    assert (tmp_path / "taken").read_text() == "not a folder"
    assert not (tmp_path / "r").exists()  # nothing made, nothing sent


def test_no_colour_off_a_terminal_or_with_no_color(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    run(tmp_path, "--only", ONE_REQUEST)
    assert not ANSI.search(capsys.readouterr().out)  # captured output is no terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    run(tmp_path, "--only", ONE_REQUEST)
    assert not ANSI.search(capsys.readouterr().out)


def test_colour_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run(tmp_path, "-q", "--only", ONE_REQUEST)
    assert "\x1b[33mPARTIAL\x1b[0m" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_requirements_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "IUI-SIG-VERIFY" in out
    if fmt == "json":
        assert any(
            r["id"] == "IUI-SIG-VERIFY" and r["family"] == "signature" for r in json.loads(out)
        )


def test_requirements_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements", "--family", "signature"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "IUI-SIG-VERIFY" in ids and "IUI-RESP-SCHEMA" not in ids
    assert main(["requirements", "--family", "no-such-family"]) == EXIT_USAGE


def test_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults"]) == 0
    assert "scope-leak" in capsys.readouterr().out


def test_reference_wallet_serves_with_a_registered_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from conformance import signing
    from conformance.reference import data

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    key = signing.generate_private_key()
    (tmp_path / "suite-public.pem").write_bytes(signing.public_pem(key.public_key()))
    code = main(
        [
            "reference-wallet",
            "--port",
            "8499",
            "--register-key",
            str(tmp_path / "suite-public.pem"),
            "--public-key-out",
            str(tmp_path / "wallet.pem"),
            "--profile-out",
            str(tmp_path / "ref.toml"),
        ]
    )
    assert code == 0 and served["port"] == 8499
    assert 'base_url = "http://127.0.0.1:8499"' in (tmp_path / "ref.toml").read_text()
    assert (
        signing.load_public_key((tmp_path / "wallet.pem").read_bytes()).public_numbers()
        == data.public_key("wallet").public_numbers()
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--fault", "no-such-fault"],
        ["--register-key", "/no/such/key.pem"],
        ["--profile-out", "{taken}/ref.toml"],
        ["--public-key-out", "{taken}/wallet.pem"],
    ],
)
def test_reference_wallet_refuses_bad_options(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before it serves: one line, exit 2 (an output under a file among them)."""
    (tmp_path / "taken").write_text("not a folder")
    given = [a.format(taken=tmp_path / "taken") for a in args]
    assert main(["reference-wallet", "--port", "0", *given]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("conformance: error: ") and err.count("\n") == 1


def test_export_openapi_to_stdout_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-openapi"]) == 0
    assert json.loads(capsys.readouterr().out)["openapi"] == "3.1.0"
    assert main(["export-openapi", "-q", "-o", str(tmp_path / "out/openapi.json")]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads((tmp_path / "out/openapi.json").read_text())["openapi"] == "3.1.0"


def test_export_openapi_takes_paths_from_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ref.toml").write_text(profile_toml("http://127.0.0.1:8470"))
    assert main(["export-openapi", "--profile", str(tmp_path / "ref.toml")]) == 0
    assert "/mpp/v1/alipayplus/inquiryUserInfo" in json.loads(capsys.readouterr().out)["paths"]


def test_export_openapi_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert main(["export-openapi", "-o", str(tmp_path / "file/openapi.json")]) == EXIT_USAGE
    assert main(["export-openapi", "--profile", str(tmp_path / "missing.toml")]) == EXIT_USAGE


def test_installed_console_script() -> None:
    script = shutil.which("conformance", path=str(Path(sys.executable).parent))
    assert script is not None, "the conformance console script is not installed beside this Python"
    done = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == f"mpp-conformance {__version__}"
