"""The README's console example and the guide's doctor example are what real runs print:
regenerated from them, they cannot go stale. `UPDATE_DOCS=1 pytest tests/test_doc_examples.py`
writes the current output into them."""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.cli import main
from conformance.reference import data
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

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


GUIDE = README.parent / "docs" / "guide.md"
DOCTOR = "```text\n$ conformance doctor --profile staging.toml\n"
KEY_DIGEST = "9e7348c1f0a25d6b8e4c3a7f19d2b05e6c8a4f3d7b1e9a2c5f0d8b6e4a3c1f27"


def test_the_guides_doctor_example_is_a_real_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wallet that does not hold the suite's key, with a gateway and a trigger that are fine:
    doctor's lines, with the addresses of this machine written as the guide's."""
    monkeypatch.chdir(tmp_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "unregistered.pem").write_bytes(pem)
    with serve(Wallet().app()) as url, socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        text = data.profile_toml(url, gateway_port=port).replace(
            f'suite_private_key = "{data.testdata("alipayplus-private.pem")}"',
            'suite_private_key = "unregistered.pem"',
        )
        text = text.replace(f'path = "{data.HARNESS_PATH}"', f'url = "{url}{data.HARNESS_PATH}"')
        (tmp_path / "staging.toml").write_text(text)
        assert main(["doctor", "--profile", "staging.toml"]) == 4
    out = capsys.readouterr().out
    out = re.sub(r"sha256:[0-9a-f]{64}", f"sha256:{KEY_DIGEST}", out)  # a key made for the test
    out = out.replace(f"127.0.0.1:{port}", "127.0.0.1:8471")
    out = out.replace(f"{url}{data.HARNESS_PATH}", f"http://127.0.0.1:9000{data.HARNESS_PATH}")
    out = out.replace(url, "https://staging.wallet.example")
    guide = GUIDE.read_text(encoding="utf-8")
    start = guide.index(DOCTOR) + len(DOCTOR)
    end = guide.index("```", start)
    if os.environ.get("UPDATE_DOCS") and guide[start:end] != out:
        GUIDE.write_text(guide[:start] + out + guide[end:], encoding="utf-8")
    assert guide[start:end] == out, "the guide's doctor example is stale: run with UPDATE_DOCS=1"
