"""Text from the wallet, a profile or a report is escaped where it is shown: on the terminal and
in JUnit XML; a printed command line gives back its arguments when pasted into a shell."""

from __future__ import annotations

import io
import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance.cli import main
from conformance.core.sinks import TerminalStream, for_terminal, for_xml
from conformance.pytest.assembly import _replay, _reproduce
from conformance.pytest.state import State
from conformance.reference import data
from conformance.reference.pipeline import Pipeline
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

FORGED = "\r\x1b[2KCERTIFIED: report x\x00\x01\x1b]0;title\x07\x1b[2J\u202e[bold]x[/bold]"
TEST = "test_inactive_or_unknown_token_refused"
RAW = ("\x1b", "\r", "\x00", "\x01", "\x07", "\u202e")


def test_for_terminal_shows_controls_escaped_and_keeps_printable_text() -> None:
    assert for_terminal("a\r\x1b[2Kb\n\t\x00\x7f\x9b") == "a\\r\\x1b[2Kb\\n\\t\\x00\\x7f\\x9b"
    assert for_terminal("\u202eabc\u2066\u2069\u202a") == "\\u202eabc\\u2066\\u2069\\u202a"
    assert for_terminal("Zoë 张三 [bold] ok") == "Zoë 张三 [bold] ok"
    assert for_terminal("\ud800") == "\\ud800"


def test_for_xml_keeps_what_xml_carries_and_escapes_the_rest() -> None:
    assert for_xml("a\tb\nc\rd Zoë") == "a\tb\nc\rd Zoë"
    assert for_xml("\x00\x01\x1b\ufffe\ud800") == "\\x00\\x01\\x1b\\ufffe\\ud800"


def test_pytests_own_output_keeps_lines_and_colour_and_escapes_the_rest() -> None:
    out = io.StringIO()
    TerminalStream(out, colour=True).write("\x1b[31mred\x1b[0m\n\r\x1b[2Kx\x1b]0;t\x07\n")
    assert out.getvalue() == "\x1b[31mred\x1b[0m\n\\r\\x1b[2Kx\\x1b]0;t\\x07\n"
    out = io.StringIO()
    TerminalStream(out, colour=False).write("\x1b[31mred\n")
    assert out.getvalue() == "\\x1b[31mred\n"


def _state(source: str, reference: str | None = None) -> State:
    fake = SimpleNamespace(
        reference=reference,
        profile=SimpleNamespace(source=source),
        run=SimpleNamespace(seed=7, examples=3),
        results_path=Path(source).with_name("res'$(touch X)'.json"),
    )
    return cast(State, fake)


def test_a_reproduction_line_gives_back_its_arguments_in_a_shell() -> None:
    source, test = "/tmp/w'$(touch X)' \"a\".toml", "test_x[scope'$(touch X)'`id`]"
    line = _reproduce(_state(source), test)
    assert shlex.split(line) == [
        *("conformance", "run", "--profile", source),
        *("--examples", "3", "--seed", "7", "--only", test),
    ]
    assert shlex.split(_reproduce(_state(source), "(preflight)")) == [
        *("conformance", "doctor", "--profile", source)
    ]
    assert shlex.split(_replay(_state(source), "IUI-X")) == [
        *("conformance", "replay", "--profile", source),
        *("--results", str(Path(source).with_name("res'$(touch X)'.json"))),
        *("--requirement", "IUI-X"),
    ]


class Forging(Pipeline):
    """Every refusal's resultCode writes over the line and forges a verdict."""

    def result(self, code: str, message: str = "") -> dict[str, Any]:
        out = super().result(code, message)
        if code != "SUCCESS":
            out["resultCode"] = FORGED
        return out


class ForgingWallet(Wallet):
    pipeline_class = Forging


@pytest.mark.parametrize("mode", ["plain", "-q", "-v", "terminal"])
def test_a_wallet_cannot_forge_console_lines_or_break_the_junit_xml(
    tmp_path: Path,
    mode: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if mode == "terminal":  # rich's live display and table
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
        monkeypatch.setenv("COLUMNS", "400")  # the found text on one line of the table
    with serve(ForgingWallet().app()) as url:
        profile = tmp_path / "wallet.toml"
        profile.write_text(data.profile_toml(url))
        argv = ["run", "--profile", str(profile), "--examples", "1", "--only", TEST]
        argv += [] if mode in ("plain", "terminal") else [mode]
        assert main([*argv, "--report", str(tmp_path / "r.html")]) == 1
    out = capsys.readouterr().out
    if mode != "-q":
        assert "\\x1b[2KCERTIFIED: report x\\x00" in out  # shown, escaped
    if mode == "terminal":  # rich moves the cursor itself; no sequence of the wallet's passes
        assert not [c for c in ("\x00", "\x01", "\x07", "\u202e", "\x1b]") if c in out]
        assert "[bold]x[/bold]" in out  # no markup either
    else:
        assert not [c for c in RAW if c in out]
        assert not [line for line in out.splitlines() if line.startswith("CERTIFIED")]
    suite = ET.fromstring((tmp_path / "junit.xml").read_bytes())
    assert "\\x1b[2KCERTIFIED" in ET.tostring(suite, encoding="unicode")
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    lines = [ev["reproduce"] for r in results["requirements"] for ev in r["evidence"]]
    assert lines and all(shlex.split(line)[-2:] == ["--only", TEST] for line in lines)


@pytest.mark.parametrize("scope", ["NO_SUCH_SCOPE", "'$(touch X)'"])
def test_an_unknown_scope_in_a_profile_is_refused_in_one_line(
    tmp_path: Path, scope: str, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "wallet.toml"
    text = data.profile_toml("http://127.0.0.1:9")
    profile.write_text(text.replace('"BASE_USER_INFO"', json.dumps(scope), 1))
    assert main(["doctor", "--profile", str(profile)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("conformance: error: [[tokens]] #1 scopes: ")
    assert "not a scope of the contract" in err and "BASE_USER_INFO" in err
    assert "\n" not in err
