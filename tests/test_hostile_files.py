"""Files handed over by others: devices, FIFOs, huge, deep or malformed files and zip bombs are each
refused with one line and exit 2, quickly and in bounded memory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.core import untrusted
from conformance.reference import data

TIMEOUT = 60  # a refusal takes well under a second; a FIFO that blocks would take forever


@pytest.fixture(autouse=True)
def _never_hang() -> Iterator[None]:
    """A read that blocks (a FIFO waiting for a writer) fails the test instead of hanging it."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the command blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TIMEOUT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def refused(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    """Run the command; it must exit 2 with exactly one line on stderr, which is returned."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def profile_with(tmp_path: Path, **keys: str) -> Path:
    """The reference profile, with some [keys] paths replaced."""
    text = data.profile_toml("http://127.0.0.1:9")
    for name, value in keys.items():
        start = text.index(f"{name} = ")
        end = text.index("\n", start)
        text = text[:start] + f"{name} = {json.dumps(value)}" + text[end:]
    path = tmp_path / "profile.toml"
    path.write_text(text)
    return path


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def special(kind: str, fifo: Path) -> Path:
    return {"device": Path("/dev/zero"), "fifo": fifo, "directory": fifo.parent}[kind]


KINDS = ["device", "fifo", "directory"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_profile_or_waiver_file_that_is_not_a_file(
    kind: str, fifo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = special(kind, fifo)
    for argv in (
        ["run", "--profile", path],
        ["doctor", "--profile", path],
        ["run", "--waivers", path],
        ["replay", "--profile", path, "--results", path, "--requirement", "X"],
    ):
        err = refused(capsys, *argv)
        assert str(path) in err and "not a regular file" in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_path_that_is_not_a_file(
    kind: str, fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = special(kind, fifo)
    profile = profile_with(tmp_path, suite_private_key=str(path))
    err = refused(capsys, "doctor", "--profile", profile)
    assert "[keys] suite_private_key" in err and "not a regular file" in err
    for argv in (
        ["run", "--sign-key", path],
        ["render", tmp_path / "results.json", "--sign-key", path],
        ["verify-report", tmp_path / "r.html", "--public-key", path],
    ):
        assert "not a regular file" in refused(capsys, *argv)


@pytest.mark.parametrize("kind", KINDS)
def test_a_ca_bundle_or_registered_key_that_is_not_a_file(
    kind: str, fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = special(kind, fifo)
    profile = profile_with(tmp_path)
    err = refused(capsys, "doctor", "--profile", profile, "--ca-bundle", path)
    assert "--ca-bundle" in err and "not a regular file" in err
    err = refused(capsys, "reference-wallet", "--register-key", path, "--port", "0")
    assert "--register-key" in err and "not a regular file" in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_results_file_that_is_not_a_file(
    kind: str, fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = special(kind, fifo)
    for argv in (
        ["render", path],
        ["diff", path, path],
        ["replay", "--results", path, "--requirement", "IUI-SIG-VERIFY"],
        ["verify-report", path],
        ["package", "--report", path],
    ):
        assert "not a regular file" in refused(capsys, *argv)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["transcript.jsonl", "results.json.sig", "results.json"])
def test_a_file_beside_a_report_that_is_not_a_file(
    kind: str,
    name: str,
    fifo: Path,
    reference_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "run"
    shutil.copytree(reference_run, folder)
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(special(kind, fifo))
    assert "not a regular file" in refused(capsys, "verify-report", folder / "report.html")
    assert "not a regular file" in refused(capsys, "package", "--report", folder / "report.html")
    if name == "results.json.sig":
        page = folder / "page.html"
        assert "not a regular file" in refused(
            capsys, "render", folder / "results.json", "--out", page
        )


@pytest.mark.parametrize(
    "named,problem", [("../" * 40 + "dev/zero", "not a regular file"), ("/dev/zero", "absolute")]
)
def test_a_transcript_the_results_place_elsewhere_is_refused(
    named: str,
    problem: str,
    reference_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = json.loads((reference_run / "results.json").read_text())
    doc["transcript"]["file"] = named
    results = tmp_path / "results.json"
    results.write_text(json.dumps(doc))
    assert main(["render", str(results), "--out", str(tmp_path / "report.html")]) == 0
    capsys.readouterr()
    assert problem in refused(capsys, "verify-report", tmp_path / "report.html")


def test_a_huge_results_file_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "results.json"
    with huge.open("wb") as f:
        f.truncate(untrusted.RESULTS_BYTES + 1)  # sparse: no disk, but stat and read see it
    for argv in (
        ["render", huge],
        ["diff", huge, huge],
        ["replay", "--results", huge, "--requirement", "IUI-SIG-VERIFY"],
        ["verify-report", huge],
    ):
        assert "larger than 64.0 MiB" in refused(capsys, *argv)


def test_a_huge_report_or_package_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, size in (
        ("report.html", untrusted.REPORT_BYTES + 1),
        ("certification.zip", untrusted.PACKAGE_BYTES + 1),
    ):
        huge = tmp_path / name
        with huge.open("wb") as f:
            f.truncate(size)
        assert "larger than" in refused(capsys, "verify-report", huge)
    assert "larger than" in refused(capsys, "package", "--report", tmp_path / "report.html")


def test_huge_profile_key_and_signature_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"#" * (untrusted.KEY_BYTES + 1))
    assert "larger than" in refused(capsys, "run", "--profile", big)
    assert "larger than" in refused(capsys, "run", "--sign-key", big)
    profile = profile_with(tmp_path, wallet_public_key=str(big))
    assert "[keys] wallet_public_key" in refused(capsys, "doctor", "--profile", profile)


# VmHWM, the peak of this process's own memory; ru_maxrss would count the forking parent's.
RSS_SCRIPT = """
import re, sys, time
from pathlib import Path
from conformance.cli import main
start = time.monotonic()
code = main(sys.argv[1:])
peak = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(code, int(peak) // 1024, time.monotonic() - start)
"""


def measured(*argv: str | Path) -> tuple[int, int, float]:
    """(exit code, peak memory in MiB, seconds) of a command in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    code, mib, seconds = done.stdout.split()[-3:]
    assert done.stderr.count("\n") <= 1 and "Traceback" not in done.stderr, done.stderr
    return int(code), int(mib), float(seconds)


def bomb(
    path: Path, name: str = "report.html", unpacked: int = 2 << 30, declared: int = -1
) -> Path:
    """A zip of one member of zeros, `unpacked` bytes once inflated (2 GiB from ~2 MB), declaring
    `declared` bytes (default: the truth). Made by repeating one compressed block, not by
    compressing gigabytes."""
    block = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = first + again * (unpacked // block - 1) + c.flush()
    size = unpacked if declared < 0 else declared
    raw = name.encode()
    # version, flags, deflate, time, date, CRC (left 0: the size is what is refused), sizes
    fields = (20, 0, 8, 0, 0x21, 0, len(stream), size)
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", *fields, len(raw), 0) + raw
    central = (
        struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, *fields, len(raw), 0, 0, 0, 0, 0, 0) + raw
    )
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(stream), 0
    )
    path.write_bytes(local + stream + central + end)
    return path


def test_a_zip_bomb_is_refused_in_bounded_memory_and_time(tmp_path: Path) -> None:
    package = bomb(tmp_path / "certification.zip")
    assert package.stat().st_size < 3 << 20
    code, mib, seconds = measured("verify-report", package)
    assert code == 2 and mib < 200, (code, mib, seconds)  # the time is measured, not asserted


def test_a_zip_that_understates_its_sizes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = bomb(tmp_path / "certification.zip", unpacked=64 << 20, declared=1000)
    assert "not a readable zip" in refused(capsys, "verify-report", package)


def test_a_zip_compressed_other_than_deflate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # bzip2 and lzma inflate a whole compressed chunk at once: no bound per read.
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        package = tmp_path / "packed.zip"
        with zipfile.ZipFile(package, "w", method) as z:
            z.writestr("report.html", bytes(1000))
        assert "compressed with method" in refused(capsys, "verify-report", package)


def test_a_zip_of_many_files_or_strange_names_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(5000):
            z.writestr(f"f{i}", b"")
    assert "more than 16 files" in refused(capsys, "verify-report", many)
    with zipfile.ZipFile(tmp_path / "few.zip", "w") as z:
        for i in range(40):
            z.writestr(f"f{i}", b"")
    understated = (tmp_path / "few.zip").read_bytes()
    at = understated.rindex(b"PK\x05\x06")
    (tmp_path / "few.zip").write_bytes(  # the end record claims one file; the directory has 40
        understated[: at + 8] + struct.pack("<2H", 1, 1) + understated[at + 12 :]
    )
    assert "more than 16 files" in refused(capsys, "verify-report", tmp_path / "few.zip")
    for name in ("../evil.html", "/etc/passwd", "a/report.html", "x" * 300):
        odd = tmp_path / "odd.zip"
        with zipfile.ZipFile(odd, "w") as z:
            z.writestr(name, b"x")
        assert "holds a file named" in refused(capsys, "verify-report", odd)


def test_a_huge_results_file_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    huge = tmp_path / "results.json"
    with huge.open("w") as f:
        f.write('{"schema": "')
        for _ in range(100):  # in pieces: the test's own peak memory would count in the child's
            f.write("x" * (1 << 20))
        f.write('"}')
    for command in ("render", "verify-report"):
        code, mib, seconds = measured(command, huge)
        assert code == 2 and mib < 200, (command, code, mib, seconds)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "{f}"],
        ["diff", "{f}", "{f}"],
        ["replay", "--results", "{f}", "--requirement", "IUI-SIG-VERIFY"],
    ],
)
@pytest.mark.parametrize("text", [DEEP, '{"a":' * 50_000 + "1" + "}" * 50_000, "[" * 65 + "]" * 65])
def test_deeply_nested_json_is_one_line(
    argv: list[str], text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "results.json"
    path.write_text(text)
    err = refused(capsys, *(a.format(f=path) for a in argv))
    assert "nests deeper than 64 levels" in err


@pytest.mark.parametrize("name", ["results.json", "results.json.sig"])
def test_deeply_nested_json_fails_verification(
    name: str, reference_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(reference_run / "results.json", tmp_path / "results.json")
    (tmp_path / name).write_text("[" * 100 + "]" * 100)
    code = main(["verify-report", str(tmp_path / "results.json")])
    out, err = capsys.readouterr()
    assert code == 1 and not err and "nests deeper than 64 levels" in out


def test_deeply_nested_toml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("a = " + "[" * 5000 + "]" * 5000, ".".join(["a"] * 3000) + " = 1"):
        path = tmp_path / "deep.toml"
        path.write_text(text)
        assert "nests deeper" in refused(capsys, "run", "--profile", path)
        assert "nests deeper" in refused(capsys, "run", "--waivers", path)


@pytest.mark.parametrize("value", ["5", "true", "[]", "{ x = 1 }", '""'])
def test_an_env_name_that_is_not_a_string(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = data.profile_toml("http://127.0.0.1:9").replace(
        'access_token = "RefTok.base.7f3a9c1e5b2d4f60"', f"access_token = {{ env = {value} }}"
    )
    path = tmp_path / "profile.toml"
    path.write_text(text)
    err = refused(capsys, "doctor", "--profile", path)
    assert "[[tokens]] #1 access_token" in err and "environment variable" in err


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(requirements=5),
        lambda d: d.update(requirements=[5]),
        lambda d: d["requirements"][0].update(evidence="x"),
        lambda d: d["requirements"][0].update(evidence=[{"cases": 5}]),
        lambda d: d["requirements"][0].update(evidence=[{"cases": [{"api": 5}]}]),
        lambda d: d.update(target=[]),
        lambda d: d.update(target={"embedded": 5, "base_url": 5}),
    ],
)
def test_wrong_types_in_results_are_one_line(
    mutate: Callable[[Any], object],
    reference_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = json.loads((reference_run / "results.json").read_text())
    doc["requirements"][0]["id"] = "IUI-SIG-VERIFY"
    mutate(doc)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    refused(capsys, "replay", "--results", path, "--requirement", "IUI-SIG-VERIFY")
    refused(capsys, "diff", path, reference_run / "results.json")
    refused(capsys, "render", path)
