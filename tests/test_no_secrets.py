"""No secret of the profile reaches any output: tokens (also env-provided), key material,
signature values."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from conformance.cli import main
from conformance.redact import token_tag
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.server import serve

from .reporting import env_profile, recording


def secrets(signatures: list[bytes]) -> list[str]:
    """Every token, every line of the suite's private key, every signature value seen on the
    wire."""
    pem = data.testdata("alipayplus-private.pem").read_text().splitlines()
    values = [s.token for s in data.SEEDS] + [line for line in pem if not line.startswith("-----")]
    for raw in signatures:
        value = raw.decode()
        values += [value, unquote(value)]
    return sorted({v for v in values if len(v) >= 16})


def outputs(folder: Path, terminal: str) -> dict[str, str]:
    found = {
        p.name: p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.is_file() and p.suffix != ".zip"
    }
    for archive in folder.glob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            found.update({f"{archive.name}/{n}": z.read(n).decode("utf-8") for n in z.namelist()})
    return {**found, "terminal": terminal}


@pytest.mark.parametrize(
    ("fault", "levels", "certified"),
    [
        (
            "scope-leak",
            "",
            False,
        ),  # MUST failures: evidence, pytest tracebacks and hypothesis output
        (
            "unsigned-success",
            '"IUI-RESP-SIGNED" = "SHOULD"',
            True,
        ),  # warnings, then a certification package
    ],
)
def test_no_secret_in_report_json_junit_transcript_package_or_terminal(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    levels: str,
    certified: bool,
) -> None:
    seen: list[bytes] = []
    with serve(recording(make_wallet(fault).app(), seen)) as url:
        env: dict[str, str] = {}
        profile = tmp_path / "profile.toml"
        profile.write_text(env_profile(url, env, levels))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = tmp_path / "out"
        code = main(
            [
                "run",
                "--profile",
                str(profile),
                "--examples",
                "3",
                "--report",
                str(out / "report.html"),
            ]
        )
    assert code == (0 if certified else 1)
    if certified:
        assert (
            main(
                [
                    "package",
                    "--report",
                    str(out / "report.html"),
                    "--sign-key",
                    str(data.testdata("stranger-private.pem")),
                ]
            )
            == 0
        )
    terminal = "".join(capfd.readouterr())
    assert len(seen) > 100 and terminal
    files = outputs(out, terminal)
    assert {"report.html", "results.json", "junit.xml", "transcript.jsonl", "terminal"} <= set(
        files
    )
    for name, text in files.items():
        leaked = [s[:8] for s in secrets(seen) if s in text]
        assert not leaked, f"{name} shows secrets starting {leaked}"
        assert not re.search(
            r"signature=(?!\[redacted\])[A-Za-z0-9%+/]{16}", text, re.IGNORECASE
        ), name
    # Tokens are still recognisable to the wallet team: a short prefix and a hash.
    assert token_tag(data.SEEDS[0].token) in files["results.json"] + files["report.html"]
