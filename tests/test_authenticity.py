"""A report proves who signed its results on its own: `verify-report --public-key` fails any report
whose embedded signature does not verify with that key over its embedded results."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import cast

import pytest

from conformance import signing
from conformance.cli import main
from conformance.reference import data
from conformance.report import html
from conformance.report.signature import signature_document
from conformance.results.document import Results
from conformance.results.fold import count, digest

from .reporting import CERTIFIER

FINGERPRINT = signing.fingerprint(data.private_key(CERTIFIER))
_BLOCK = re.compile(r'<script type="application/json" id="conformance-signature">[^<]*</script>')


@pytest.fixture
def public(tmp_path: Path) -> Path:
    """The certifier's public key."""
    path = tmp_path / "certifier.pem"
    path.write_bytes(signing.public_pem(data.private_key(CERTIFIER)))
    return path


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """Somebody else's public key."""
    path = tmp_path / "other.pem"
    path.write_bytes(signing.public_pem(data.private_key("wallet")))
    return path


def verify(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["verify-report", *map(str, args)])
    return code, capsys.readouterr().out


def alone(page: Path, folder: Path) -> Path:
    """A copy of a report in a folder of its own, with no results.json beside it."""
    folder.mkdir(parents=True)
    return Path(shutil.copy(page, folder / "report.html"))


def passing(faulty_run: Path) -> Results:
    """The failed run's results, edited so that every row and the verdict consistently pass."""
    doc = cast(Results, json.loads((faulty_run / "results.json").read_text()))
    for row in doc["requirements"]:
        if row["status"] == "failed":
            row.update({"status": "passed", "failures": 0, "evidence": []})
    doc["verdict"], doc["reasons"] = "CERTIFIED", []
    doc["counts"] = count(doc["requirements"])
    del doc["transcript"]  # the edited results no longer match the run's transcript
    return doc


def write(doc: Results, path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path.read_bytes()


def test_edited_results_rendered_alone_fail_with_the_public_key(
    faulty_run: Path, tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "edited" / "results.json"
    write(passing(faulty_run), results)
    page = tmp_path / "alone" / "report.html"
    assert main(["render", str(results), "--out", str(page)]) == 0
    capsys.readouterr()
    code, out = verify(capsys, page, "--public-key", public)
    assert code == 1, out
    unsigned = "not signed, but --public-key was given: nothing shows who made these results"
    assert [line for line in out.splitlines() if line.startswith("FAIL")] == [
        f"FAIL report.html: {unsigned}"
    ]
    assert out.splitlines()[-1] == f"{page}: NOT VERIFIED (1 problem)"
    code, out = verify(capsys, page)
    assert code == 0 and "FAIL" not in out
    assert out.splitlines()[-1].startswith(f"{page}: consistent, not authenticated")
    assert "verified" not in out.splitlines()[-1]


def test_signed_report_alone_verifies_with_the_certifier_key_only(
    signed_run: Path, tmp_path: Path, public: Path, other: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = alone(signed_run / "report.html", tmp_path / "alone")
    code, out = verify(capsys, page, "--public-key", public)
    assert code == 0, out
    assert f"ok   report.html: embedded signature verified (key {FINGERPRINT})" in out
    assert out.splitlines()[-1] == f"{page}: verified: signed by key {FINGERPRINT}, the key given"
    code, out = verify(capsys, page, "--public-key", other)
    assert code == 1 and f"FAIL report.html: signed by key {FINGERPRINT}, not by the given" in out
    code, out = verify(capsys, page)
    assert code == 0 and "FAIL" not in out
    assert out.splitlines()[-1] == (
        f"{page}: consistent, signed by key {FINGERPRINT}; the signature was not checked "
        "(pass --public-key)"
    )


def test_an_unsigned_report_alone_fails_with_the_public_key(
    reference_run: Path, tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = alone(reference_run / "report.html", tmp_path / "alone")
    code, out = verify(capsys, page, "--public-key", public)
    assert code == 1 and "FAIL report.html: not signed, but --public-key was given" in out


def test_a_signature_taken_from_another_report_fails(
    faulty_run: Path,
    signed_run: Path,
    tmp_path: Path,
    public: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from conformance.report.signature import Signature, parse

    doc = passing(faulty_run)
    results = write(doc, tmp_path / "results.json")
    genuine = parse((signed_run / "results.json.sig").read_bytes())
    for forged, reason in (
        (genuine, "the embedded signature is over other bytes"),
        (Signature(genuine.key, digest(results), genuine.value), "the embedded signature does not"),
    ):
        folder = tmp_path / reason.replace(" ", "-")
        folder.mkdir()
        page = folder / "report.html"
        page.write_text(html.page(doc, digest(results), results, forged), encoding="utf-8")
        code, out = verify(capsys, page, "--public-key", public)
        assert code == 1, out
        assert len([line for line in out.splitlines() if line.startswith("FAIL")]) == 1
        assert f"FAIL report.html: {reason}" in out


def test_a_signature_block_pasted_into_an_unsigned_report_fails(
    reference_run: Path,
    signed_run: Path,
    tmp_path: Path,
    public: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    block = _BLOCK.search((signed_run / "report.html").read_text())
    assert block is not None
    page = alone(reference_run / "report.html", tmp_path / "alone")
    text = page.read_text()
    page.write_text(text.replace("</body>", block.group(0) + "</body>", 1))
    code, out = verify(capsys, page, "--public-key", public)
    assert code == 1 and "FAIL report.html: not signed, but --public-key was given" in out


def test_results_json_beside_must_carry_the_embedded_signature(
    signed_run: Path, tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(signed_run, tmp_path / "run"))
    code, out = verify(capsys, folder / "report.html", "--public-key", public)
    assert code == 0 and "ok   results.json.sig is the signature the report embeds" in out
    sig = folder / "results.json.sig"
    sig.write_bytes(
        signature_document((folder / "results.json").read_bytes(), data.private_key("wallet"))
    )
    for key in ((), ("--public-key", str(public))):
        code, out = verify(capsys, folder / "report.html", *key)
        assert code == 1 and "FAIL results.json.sig is not the signature the report embeds" in out


def test_results_json_alone_unsigned_is_consistent_not_authenticated(
    reference_run: Path, tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = alone(reference_run / "results.json", tmp_path / "alone").rename(
        tmp_path / "alone" / "results.json"
    )
    code, out = verify(capsys, results)
    assert code == 0 and out.splitlines()[-1].startswith(
        f"{results}: consistent, not authenticated"
    )
    code, out = verify(capsys, results, "--public-key", public)
    assert code == 1 and "FAIL results.json: not signed, but --public-key was given" in out


def test_render_carries_the_signature_beside_the_results_or_of_sign_key(
    signed_run: Path,
    reference_run: Path,
    tmp_path: Path,
    public: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signed, unsigned = tmp_path / "signed", tmp_path / "unsigned"
    for source, folder in ((signed_run, signed), (reference_run, unsigned)):
        folder.mkdir()
        for name in ("results.json", "results.json.sig"):
            if (source / name).exists():
                shutil.copy(source / name, folder / name)
    key = str(data.testdata(f"{CERTIFIER}-private.pem"))
    for args in (
        [str(signed / "results.json")],
        [str(unsigned / "results.json"), "--sign-key", key],
    ):
        page = tmp_path / "pages" / args[0].split("/")[-2] / "report.html"
        assert main(["render", *args, "--out", str(page)]) == 0
        assert f"signed by key {FINGERPRINT}" in capsys.readouterr().out
        code, out = verify(capsys, page, "--public-key", public)
        assert code == 0, out
    assert (unsigned / "results.json.sig").exists()


def test_render_refuses_a_signature_over_other_results(
    faulty_run: Path, signed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.json"
    write(passing(faulty_run), results)
    shutil.copy(signed_run / "results.json.sig", tmp_path / "results.json.sig")
    assert main(["render", str(results)]) == 1
    err = capsys.readouterr().err
    assert "results.json.sig: signs other results" in err and err.count("\n") == 1
    assert not (tmp_path / "certification.html").exists()


def test_integrity_section_says_who_signed_and_what_to_run(
    signed_run: Path, reference_run: Path
) -> None:
    signed = (signed_run / "report.html").read_text()
    integrity = signed[signed.index('<section id="integrity">') :]
    assert f"Signed by the key <code>{FINGERPRINT}</code>" in integrity
    assert (
        "<code>conformance verify-report report.html --public-key "
        "&lt;the certifier's public key&gt;</code>" in integrity
    )
    unsigned = (reference_run / "report.html").read_text()
    assert "Not signed" in unsigned[unsigned.index('<section id="integrity">') :]


def _package(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str]:
    code = main(["package", "--report", str(folder / "report.html"), *args])
    return code, capsys.readouterr().err


def test_signed_package_carries_the_signature_in_its_report(
    reference_run: Path,
    signed_run: Path,
    tmp_path: Path,
    public: Path,
    other: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = Path(shutil.copytree(reference_run, tmp_path / "run"))
    key = str(data.testdata(f"{CERTIFIER}-private.pem"))
    out = tmp_path / "cert.zip"
    assert _package(capsys, folder, "--sign-key", key, "--out", str(out))[0] == 0
    with zipfile.ZipFile(out) as z:
        (tmp_path / "inside").mkdir()
        page = tmp_path / "inside" / "report.html"
        page.write_bytes(z.read("report.html"))
    assert verify(capsys, page, "--public-key", public)[0] == 0
    assert verify(capsys, out, "--public-key", public)[0] == 0
    code, text = verify(capsys, out, "--public-key", other)
    assert code == 1 and "FAIL report.html: signed by key" in text
    unsigned = tmp_path / "unsigned.zip"
    assert _package(capsys, folder, "--out", str(unsigned))[0] == 0
    code, text = verify(capsys, unsigned, "--public-key", public)
    assert code == 1 and "FAIL MANIFEST.json: not signed" in text
    code, text = verify(capsys, unsigned)
    assert code == 0 and text.splitlines()[-1].startswith(
        f"{unsigned}: consistent, not authenticated"
    )
    other_key = str(data.testdata("wallet-private.pem"))
    code, err = _package(
        capsys, Path(shutil.copytree(signed_run, tmp_path / "s")), "--sign-key", other_key
    )
    assert code == 1 and f"the report is signed by key {FINGERPRINT}" in err


def test_a_package_with_an_entry_twice_fails(
    reference_run: Path, tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(reference_run, tmp_path / "run"))
    key = str(data.testdata(f"{CERTIFIER}-private.pem"))
    out = tmp_path / "cert.zip"
    assert _package(capsys, folder, "--sign-key", key, "--out", str(out))[0] == 0
    twice = io.BytesIO()
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(twice, "w") as dst:
        dst.writestr("report.html", "<p>CERTIFIED</p>")  # what a tool taking the first entry shows
        for name in src.namelist():
            if name == "report.html":
                with pytest.warns(UserWarning, match="Duplicate name"):
                    dst.writestr(name, src.read(name))
            else:
                dst.writestr(name, src.read(name))
    path = tmp_path / "twice.zip"
    path.write_bytes(twice.getvalue())
    code, out_text = verify(capsys, path, "--public-key", public)
    assert code == 1 and "FAIL the archive holds report.html more than once" in out_text


def test_a_second_set_of_sections_after_the_signed_ones_fails(
    faulty_run: Path,
    signed_run: Path,
    tmp_path: Path,
    public: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = passing(faulty_run)
    results = write(doc, tmp_path / "results.json")
    page = alone(signed_run / "report.html", tmp_path / "alone")
    forged = html.sections(doc, digest(results), results)
    page.write_text(page.read_text().replace("</body>", forged + "</body>", 1))
    code, out = verify(capsys, page, "--public-key", public)
    assert code == 1 and "FAIL report.html: holds 2 sets of certification sections, not one" in out
