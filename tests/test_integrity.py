"""verify-report recomputes a report's digests and signatures; package seals only CERTIFIED runs."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import signing
from conformance.cli import main
from conformance.reference import data

from .reporting import CERTIFIER


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(certifier private key, its public key, another public key)."""
    public, other = tmp_path / "certifier-public.pem", tmp_path / "other-public.pem"
    public.write_bytes(signing.public_pem(data.private_key(CERTIFIER)))
    other.write_bytes(signing.public_pem(data.private_key("wallet")))
    return data.testdata(f"{CERTIFIER}-private.pem"), public, other


CopyOf = Callable[[Path], Path]


@pytest.fixture
def copy_of(tmp_path: Path) -> CopyOf:
    """A writable copy of a session run's folder."""

    def make(folder: Path) -> Path:
        return Path(str(shutil.copytree(folder, tmp_path / folder.name)))

    return make


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify-report", *args])
    return code, capsys.readouterr().out


def test_fresh_report_verifies(reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = verify(capsys, str(reference_run / "report.html"))
    assert code == 0, out
    assert (
        "FAIL" not in out
        and "sections are exactly those rendered" in out
        and "transcript hashes" in out
    )


def test_changed_results_json_is_caught(
    reference_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(reference_run)
    path = folder / "results.json"
    path.write_bytes(path.read_bytes().replace(b'"passed"', b'"passed" ', 1))
    code, out = verify(capsys, str(folder / "report.html"))
    assert code == 1 and "FAIL results.json hashes to" in out


def test_edited_html_verdict_is_caught(
    faulty_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(faulty_run)
    page = folder / "report.html"
    page.write_text(
        page.read_text().replace(
            'class="verdict NOT">NOT CERTIFIED<', 'class="verdict CERTIFIED">CERTIFIED<'
        )
    )
    code, out = verify(capsys, str(page))
    assert code == 1 and "FAIL report.html: the certification sections are exactly" in out


def test_results_claiming_a_verdict_its_rows_do_not_give_are_caught(
    faulty_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(faulty_run)
    doc = json.loads((folder / "results.json").read_text())
    doc["verdict"], doc["reasons"] = "CERTIFIED", []
    (folder / "results.json").write_text(json.dumps(doc))
    code, out = verify(capsys, str(folder / "results.json"))
    assert code == 1 and "states CERTIFIED but its requirements give NOT CERTIFIED" in out


def test_missing_or_changed_transcript_is_caught(
    reference_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(reference_run)
    with (folder / "transcript.jsonl").open("a") as f:
        f.write("{}\n")
    code, out = verify(capsys, str(folder / "report.html"))
    assert code == 1 and "FAIL transcript hashes to" in out


def test_signed_results_verify_with_the_certifier_key_only(
    signed_run: Path,
    keys: tuple[Path, Path, Path],
    copy_of: CopyOf,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, public, other = keys
    folder = copy_of(signed_run)
    results = folder / "results.json"
    assert verify(capsys, str(results), "--public-key", str(public))[0] == 0
    code, out = verify(capsys, str(folder / "report.html"), "--public-key", str(public))
    assert code == 0 and "report.html: embedded signature verified" in out
    code, out = verify(capsys, str(results), "--public-key", str(other))
    assert code == 1 and "not by the given key" in out
    results.write_bytes(results.read_bytes().replace(b"CERTIFIED", b"CERTIFIED ", 1))
    code, out = verify(capsys, str(results), "--public-key", str(public))
    assert code == 1 and "is over other bytes" in out


def test_bad_sign_key_is_one_line_without_key_material(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1icm9rZW4=\n-----END PRIVATE KEY-----\n"
    )
    assert (
        main(["run", "-q", "--report", str(tmp_path / "report.html"), "--sign-key", str(bad)]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not an RSA private key" in err and "c2VjcmV0" not in err


def test_package_refuses_a_run_that_is_not_certified(
    faulty_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(faulty_run)
    assert main(["package", "--report", str(folder / "report.html")]) == 1
    err = capsys.readouterr().err
    assert (
        "package refused: the run is NOT CERTIFIED" in err
        and "IUI-SCOPE-NO-EXTRA (MUST) failed" in err
    )
    assert not (folder / "certification.zip").exists()


def test_package_refuses_a_tampered_report(
    reference_run: Path, copy_of: CopyOf, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(reference_run)
    (folder / "junit.xml").write_bytes(
        (folder / "junit.xml").read_bytes().replace(b"<testcase", b"<testcase ", 1)
    )
    assert main(["package", "--report", str(folder / "report.html")]) == 1
    assert "junit.xml is rendered from the results" in capsys.readouterr().err


def test_signed_package_verifies_and_catches_changes(
    reference_run: Path,
    keys: tuple[Path, Path, Path],
    copy_of: CopyOf,
    capsys: pytest.CaptureFixture[str],
) -> None:
    private, public, other = keys
    folder = copy_of(reference_run)
    out = folder / "cert.zip"
    assert (
        main(
            [
                "package",
                "--report",
                str(folder / "report.html"),
                "--out",
                str(out),
                "--sign-key",
                str(private),
            ]
        )
        == 0
    )
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("MANIFEST.json"))
    assert names == {
        "report.html",
        "results.json",
        "junit.xml",
        "transcript.jsonl",
        "MANIFEST.json",
        "MANIFEST.json.sig",
        "certifier-public.pem",
    }
    assert manifest["verdict"] == "CERTIFIED" and len(manifest["files"]) == 4
    assert verify(capsys, str(out), "--public-key", str(public))[0] == 0
    code, text = verify(capsys, str(out))
    assert code == 0 and "not checked (pass --public-key)" in text
    assert verify(capsys, str(out), "--public-key", str(other))[0] == 1

    def rewrite(name: str, change: bytes) -> Path:
        changed = folder / f"changed-{name}.zip"
        with zipfile.ZipFile(out) as src, zipfile.ZipFile(changed, "w") as dst:
            for n in src.namelist():
                dst.writestr(n, src.read(n) + (change if n == name else b""))
        return changed

    code, text = verify(
        capsys, str(rewrite("transcript.jsonl", b"{}\n")), "--public-key", str(public)
    )
    assert code == 1 and "transcript.jsonl: sha256:" in text and "the manifest lists" in text
    code, text = verify(capsys, str(rewrite("MANIFEST.json", b" ")), "--public-key", str(public))
    assert code == 1 and "MANIFEST.json: the signature is over other bytes" in text


def test_package_is_reproducible(reference_run: Path, copy_of: CopyOf) -> None:
    folder = copy_of(reference_run)
    first, second = folder / "a.zip", folder / "b.zip"
    assert main(["package", "--report", str(folder / "report.html"), "--out", str(first)]) == 0
    assert main(["package", "--report", str(folder / "report.html"), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert zipfile.ZipFile(io.BytesIO(first.read_bytes())).testzip() is None


@pytest.mark.parametrize("command", ["render", "package"])
@pytest.mark.parametrize("under", ["taken/out", "folder"])
def test_render_and_package_refuse_an_out_they_cannot_write(
    reference_run: Path,
    tmp_path: Path,
    command: str,
    under: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Checked before any work: one line naming --out, exit 2, no traceback."""
    (tmp_path / "taken").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    source = reference_run / ("results.json" if command == "render" else "report.html")
    given = ["--report", str(source)] if command == "package" else [str(source)]
    out = tmp_path / under
    assert main([command, *given, "--out", str(out)]) == 2
    why = "it is a folder" if under == "folder" else f"{tmp_path / 'taken'} is a file, not a folder"
    assert capsys.readouterr().err == (
        f"conformance: error: cannot write {out} ({why}); choose another --out\n"
    )


def test_render_with_a_key_refuses_a_signature_path_it_cannot_write(
    reference_run: Path,
    copy_of: CopyOf,
    keys: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_of(reference_run)
    (folder / "results.json.sig").mkdir()
    results = folder / "results.json"
    assert main(["render", str(results), "--sign-key", str(keys[0])]) == 2
    assert capsys.readouterr().err == (
        f"conformance: error: cannot write {results}.sig (it is a folder); remove it, or render a"
        " copy of the results from another folder\n"
    )
    assert not (folder / "certification.html").exists()
