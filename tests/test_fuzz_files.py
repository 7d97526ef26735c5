"""Every file the tool reads from others, fed hostile input through the real command line: each
command ends with one of its documented exit codes, at most one line on stderr and no traceback."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cli import main
from conformance.reference import data

FUZZ = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Values that break a field's type or size, put where a real document holds something else.
ODD: list[Any] = [
    None,
    True,
    5,
    -1,
    10**400,
    1e308,
    "",
    "\x1b[2J\u202e",
    "x" * 5000,
    [],
    {},
    [[[]]],
    {"env": 5},
]


@dataclass(frozen=True)
class Real:
    """The files of one CERTIFIED run of the reference wallet, and its package."""

    folder: Path
    package: bytes

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


@pytest.fixture(scope="module")
def real(reference_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Real:
    folder = tmp_path_factory.mktemp("real")
    for name in ("report.html", "results.json", "junit.xml", "transcript.jsonl"):
        shutil.copy(reference_run / name, folder / name)
    out = folder / "certification.zip"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["package", "--report", str(folder / "report.html"), "--out", str(out)]) == 0
    return Real(folder, out.read_bytes())


def cli(*argv: str | Path) -> tuple[int, str]:
    """The command run in-process; its exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def sane(code: int, err: str, codes: set[int]) -> None:
    assert code in codes, (code, err)
    assert err.count("\n") <= 1 and "Traceback" not in err, err


def _truncated(raw: bytes, at: float) -> bytes:
    return raw[: int(len(raw) * at)]


def _flipped(raw: bytes, where: list[tuple[float, int]]) -> bytes:
    out = bytearray(raw)
    for at, byte in where:
        out[min(int(len(out) * at), len(out) - 1)] = byte
    return bytes(out)


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


def _retyped(doc: Any, path: list[int], value: Any) -> Any:
    """doc with the value found by following path (indexes taken modulo each container's size)
    replaced."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[key] = _retyped(doc[key], path[1:], value)
    return copy


def hostile(raw: bytes, *, as_json: bool = False) -> st.SearchStrategy[bytes]:
    """Hostile variants of a real file: truncated, bytes flipped, random, deeply nested and, for
    JSON, one value anywhere given another type or size."""
    kinds = [
        st.builds(_truncated, st.just(raw), st.floats(0, 1)),
        st.builds(
            _flipped,
            st.just(raw),
            st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
        ),
        st.binary(max_size=512),
        st.builds(_nested, st.integers(50, 20_000), st.sampled_from(["[", '{"a":'])),
        st.just(b"1" * 5000),  # a number with more digits than Python parses
    ]
    if as_json:
        doc = json.loads(raw)
        kinds.append(
            st.builds(
                lambda path, value: json.dumps(_retyped(doc, path, value)).encode(),
                st.lists(st.integers(0, 10_000), max_size=6),
                st.sampled_from(ODD),
            )
        )
    return st.one_of(kinds)


def results_commands(real: Real, path: Path) -> list[tuple[list[str | Path], set[int]]]:
    """Every command that reads a results document, and the exit codes each documents."""
    return [
        (["render", path, "--out", path.with_name("page.html")], {0, 1, 2}),
        (["diff", real.folder / "results.json", path], {0, 1, 2}),
        (["replay", "--results", path, "--requirement", "IUI-SIG-VERIFY"], {0, 1, 2, 3}),
        (["verify-report", path], {0, 1, 2}),
    ]


def exercise(tmp: Path, name: str, raw: bytes) -> Path:
    path = tmp / name
    path.unlink(missing_ok=True)
    path.write_bytes(raw)
    return path


def check_all(runs: list[tuple[list[str | Path], set[int]]]) -> None:
    for argv, codes in runs:
        sane(*cli(*argv), codes)


def fuzz(raw: Callable[[Real], bytes], as_json: bool = False) -> Callable[..., Any]:
    """Given-style decorator over the hostile variants of one real file (drawn per example)."""

    def wrap(test: Callable[..., None]) -> Callable[..., Any]:
        @FUZZ
        @given(data=st.data())
        def run(real: Real, tmp_path: Path, data: st.DataObject) -> None:
            test(real, tmp_path, data.draw(hostile(raw(real), as_json=as_json)))

        run.__name__, run.__doc__ = test.__name__, test.__doc__
        return run

    return wrap


@fuzz(lambda r: r.read("results.json"), as_json=True)
def test_results_json(real: Real, tmp: Path, raw: bytes) -> None:
    check_all(results_commands(real, exercise(tmp, "results.json", raw)))


@fuzz(lambda r: r.read("report.html"))
def test_report_html(real: Real, tmp: Path, raw: bytes) -> None:
    folder = tmp / "run"
    if not folder.exists():
        shutil.copytree(real.folder, folder)
    page = exercise(folder, "report.html", raw)
    check_all([(["verify-report", page], {0, 1, 2}), (["package", "--report", page], {0, 1, 2})])


@fuzz(lambda r: r.package)
def test_package_zip(real: Real, tmp: Path, raw: bytes) -> None:
    check_all([(["verify-report", exercise(tmp, "certification.zip", raw)], {0, 1, 2})])


@FUZZ
@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(["report.html", "results.json", "MANIFEST.json", "a/../b", "x" * 99])
            | st.text(max_size=20),
            st.binary(max_size=64),
        ),
        max_size=20,
    )
)
def test_package_zip_of_any_members(real: Real, tmp_path: Path, members: list[Any]) -> None:
    package = tmp_path / "built.zip"
    with zipfile.ZipFile(package, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a name written twice is the point
        for name, content in members:
            with contextlib.suppress(ValueError, UnicodeEncodeError):
                z.writestr(name or "empty", content)
    sane(*cli("verify-report", package), {0, 1, 2})


@fuzz(
    lambda r: b'{"algorithm": "SHA256withRSA", "key": "sha256:00", "sha256": "", "signature": ""}'
)
def test_signature_beside_results(real: Real, tmp: Path, raw: bytes) -> None:
    shutil.copy(real.folder / "results.json", tmp / "results.json")
    exercise(tmp, "results.json.sig", raw)
    check_all(
        [
            (["verify-report", tmp / "results.json"], {1, 2}),
            (["render", tmp / "results.json", "--out", tmp / "page.html"], {0, 1, 2}),
        ]
    )


PROFILE = data.profile_toml("http://127.0.0.1:9").encode()
WAIVERS = b"""[[waiver]]
requirement = "IUI-TRANSPORT-CONTENT-TYPE"
reason = "gateway adds its own media type"
owner = "payments-team@wallet.example"
expires = 2027-03-31
"""


@fuzz(lambda r: PROFILE)
def test_profile_toml(real: Real, tmp: Path, raw: bytes) -> None:
    # --rate -1 stops the run once the profile is read: a good profile still exits 2, one line.
    path = exercise(tmp, "profile.toml", raw)
    sane(*cli("run", "--profile", path, "--rate", "-1"), {2})


@fuzz(lambda r: WAIVERS)
def test_waivers_toml(real: Real, tmp: Path, raw: bytes) -> None:
    path = exercise(tmp, "waivers.toml", raw)
    sane(*cli("run", "--waivers", path, "--rate", "-1"), {2})


@FUZZ
@given(
    table=st.dictionaries(
        st.sampled_from(["suite_private_key", "wallet_public_key", "key_version"]),
        st.sampled_from(ODD[:-1])
        | st.sampled_from(["/dev/zero", "/", "-----BEGIN x", "A" * 300])
        | st.builds(lambda v: {"env": v}, st.sampled_from(ODD)),
    )
)
def test_profile_keys_of_any_type(real: Real, tmp_path: Path, table: dict[str, Any]) -> None:
    text = PROFILE.decode()
    for key, value in table.items():
        start = text.index(f"{key} = ")
        text = text[:start] + f"{key} = {_toml(value)}" + text[text.index("\n", start) :]
    path = exercise(tmp_path, "profile.toml", text.encode())
    sane(*cli("run", "--profile", path, "--rate", "-1"), {2})


def _toml(value: Any) -> str:
    """A TOML inline value (tomllib only reads; the few shapes used here are written by hand)."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value) if isinstance(value, str) else str(value)
