"""The README's console example is what a real run prints: regenerated from one, it cannot go
stale. `UPDATE_DOCS=1 pytest tests/test_doc_examples.py` writes the current output into it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from conformance.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
OPENING = "(`conformance run --fault scope-leak`):\n\n```text\n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
TIME = re.compile(r"requests in [\d.]+ s")


def _block(text: str) -> tuple[int, int]:
    start = text.index(OPENING) + len(OPENING)
    return start, text.index("```", start)


def test_the_readme_console_example_is_a_real_runs_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "96")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["run", "--fault", "scope-leak", "--report", "reports/report.html"]) == 1
    out = ANSI.sub("", capsys.readouterr().out).replace(f"{tmp_path}/", "")
    shown = out[out.index("┏") :].rstrip() + "\n"  # the end of the run, after its progress
    readme = README.read_text(encoding="utf-8")
    start, end = _block(readme)
    written = readme[start:end]
    # Only the time differs between two runs of the same suite.
    took = TIME.search(written)
    shown = TIME.sub(took[0] if took else "requests in 0.0 s", shown)
    if os.environ.get("UPDATE_DOCS") and written != shown:
        README.write_text(readme[:start] + shown + readme[end:], encoding="utf-8")
    assert written == shown, "README's console example is stale: run with UPDATE_DOCS=1"
