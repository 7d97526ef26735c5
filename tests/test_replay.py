"""Every failure records its case; `conformance replay` re-sends it, re-signed, and judges it
again."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.cli import main
from conformance.commands import replay
from conformance.core.exitcodes import EXIT_UNREACHABLE
from conformance.core.model import Case, Expect
from conformance.engine import casefile
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve
from conformance.signing import Tamper

from .conftest import Certify
from .reporting import Asgi

TOKEN = "RefTok.base.7f3a9c1e5b2d4f60"


def test_case_round_trips_without_its_secret() -> None:
    body = json.dumps({"accessToken": TOKEN, "pspId": "1"}).encode()
    case = Case(
        "inquiryUserInfo",
        "too_long",
        body,
        Expect("refusal", "INVALID-REFUSED", codes=frozenset({"X"})),
        tamper=Tamper(omit=frozenset({"signature"}), sign_body=body, time_form="z"),
        field="pspId",
        token=TOKEN,
    )
    data = casefile.dump(case, [TOKEN])
    assert TOKEN not in json.dumps(data) and TOKEN.encode() not in json.dumps(data).encode()
    assert casefile.load(json.loads(json.dumps(data)), [TOKEN]) == case


def test_an_escaped_token_round_trips_without_its_secret() -> None:
    token = "Ключ-доступа-令牌-0123456789"
    body = json.dumps({"accessToken": token, "pspId": "1"}).encode()  # \\u-escaped
    case = Case("inquiryUserInfo", "valid", body, token=token)
    data = json.dumps(casefile.dump(case, [token]))
    assert "\\u041a" not in base64.b64decode(json.loads(data)["body_base64"]).decode()
    assert casefile.load(json.loads(data), [token]) == case


def _replay(
    capsys: pytest.CaptureFixture[str], results: Path, rid: str, *target: str
) -> tuple[int, str]:
    code = main(["replay", *target, "--results", str(results), "--requirement", rid])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_failure_is_recorded_and_replayed(
    certify: Certify, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, results = certify("--fault", "scope-leak")
    row = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    ev = row["evidence"][0]
    assert (
        ev["seed"] == "derandomized"
        and ev["cases"]
        and "conformance replay --fault scope-leak" in ev["replay"]
    )
    path = tmp_path / "results.json"
    code, out = _replay(capsys, path, "IUI-SCOPE-NO-EXTRA", "--fault", "scope-leak")
    assert code == 1 and "FAILED IUI-SCOPE-NO-EXTRA" in out and "reproduced" in out
    assert TOKEN not in out and "signature=" in out and "signature=[redacted]" not in out
    # The results name their target: without --fault the replay goes to the same faulty wallet.
    code, out = _replay(capsys, path, "IUI-SCOPE-NO-EXTRA")
    assert code == 1 and "reproduced" in out and "against the embedded wallet (scope-leak)" in out


def test_group_failure_is_replayed_as_a_group(
    certify: Certify, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    certify(
        "--fault",
        "limit-off-by-one",
        "--only",
        "test_limits_counted_in_characters[acquirerId-ascii-at-limit]",
    )
    code, out = _replay(
        capsys, tmp_path / "results.json", "IUI-LIMIT-WITHIN", "--fault", "limit-off-by-one"
    )
    assert code == 1 and out.count("> POST") == 2 and "FAILED IUI-LIMIT-WITHIN" in out


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (
            ["--results", "/nonexistent/results.json", "--requirement", "IUI-SCOPE-NO-EXTRA"],
            "--results",
        ),
        (["--requirement", "IUI-NOPE"], "--requirement IUI-NOPE"),
        (
            ["--requirement", "IUI-SCOPE-NO-EXTRA", "--fault", "no-such-fault"],
            "--fault no-such-fault",
        ),
    ],
)
def test_bad_arguments_get_one_line(
    certify: Certify,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    names: str,
) -> None:
    if "--results" not in args:
        certify(
            "--fault", "scope-leak", "--only", "test_valid_request_succeeds[0-valid:BASE_USER_INFO]"
        )
        args = ["--results", str(tmp_path / "results.json"), *args]
    code = main(["replay", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and names in err and len(err.splitlines()) == 1


SCOPE_PROBE = "test_valid_request_succeeds[0-valid:BASE_USER_INFO]"


@pytest.mark.parametrize(
    ("target", "names"),
    [
        (["--fault", "reference"], "--fault reference: is another target"),
        (["--profile", "staging.toml"], "--profile staging.toml: is another target"),
    ],
)
def test_another_target_than_the_results_came_from_is_refused(
    certify: Certify,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    target: list[str],
    names: str,
) -> None:
    certify("--fault", "scope-leak", "--only", SCOPE_PROBE)
    capsys.readouterr()
    code, out = _replay(capsys, tmp_path / "results.json", "IUI-SCOPE-NO-EXTRA", *target)
    assert code == 2 and len(out.strip().splitlines()) == 1
    assert names in out and "the embedded reference wallet with fault scope-leak" in out


def test_a_profile_run_is_replayed_against_the_same_wallet(
    certify: Certify, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(make_wallet("scope-leak").app()) as url, serve(make_wallet(None).app()) as other:
        profile, elsewhere = tmp_path / "staging.toml", tmp_path / "other.toml"
        profile.write_text(data.profile_toml(url))
        elsewhere.write_text(data.profile_toml(other))
        certify("--profile", str(profile), "--only", SCOPE_PROBE)
        results = tmp_path / "results.json"
        assert json.loads(results.read_text())["target"]["embedded"] is None
        code, out = _replay(capsys, results, "IUI-SCOPE-NO-EXTRA", "--profile", str(profile))
        assert code == 1 and f"against {url}" in out and "reproduced" in out
        code, out = _replay(capsys, results, "IUI-SCOPE-NO-EXTRA", "--profile", str(elsewhere))
    assert code == 2 and len(out.strip().splitlines()) == 1
    assert f"aims at [target] base_url {other}, another target" in out
    assert f"the results came from the wallet at {url} ([target] base_url {url})" in out


def _counted(app: Asgi, seen: list[str]) -> Asgi:
    """The app, noting the path of every HTTP request that reaches it."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await app(scope, receive, send)

    return wrapped


def _as_profile_run(faulty_run: Path, folder: Path, url: str, source: Path, **target: str) -> Path:
    """The embedded faulty run's results, rewritten as if a profile's wallet at url answered."""
    results = json.loads((faulty_run / "results.json").read_text())
    results["target"] = {
        "base_url": url,
        "psp_id": data.PSP_ID,
        "client_id": data.ALIPAYPLUS_CLIENT_ID,
        "embedded": None,
        **target,
    }
    results["profile"]["source"] = str(source)
    for row in results["requirements"]:
        for ev in row.get("evidence", []):
            for ex in ev.get("exchanges", []):
                ex["request"]["url"] = url + urlsplit(ex["request"]["url"]).path
    path = folder / "results.json"
    path.write_text(json.dumps(results))
    return path


@pytest.mark.parametrize(
    ("mine", "recorded", "names"),
    [
        # Someone else's results name their profile, aimed at their host: it is never read.
        (False, {}, "--profile: is required"),
        (True, {"psp_id": "2022ANOTHER"}, "[target] psp_id"),
        (True, {"client_id": "SOMEONE-ELSE"}, "[target] client_id"),
    ],
)
def test_results_naming_another_target_are_refused_before_any_request(
    faulty_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mine: bool,
    recorded: dict[str, str],
    names: str,
) -> None:
    theirs_seen: list[str] = []
    mine_seen: list[str] = []
    with (
        serve(_counted(make_wallet("scope-leak").app(), theirs_seen)) as theirs,
        serve(_counted(make_wallet("scope-leak").app(), mine_seen)) as url,
    ):
        their_profile, my_profile = tmp_path / "theirs.toml", tmp_path / "mine.toml"
        their_profile.write_text(data.profile_toml(theirs))
        my_profile.write_text(data.profile_toml(url))
        at = url if mine else theirs
        results = _as_profile_run(faulty_run, tmp_path, at, their_profile, **recorded)
        profile = ["--profile", str(my_profile)] if mine else []
        code, out = _replay(capsys, results, "IUI-SCOPE-NO-EXTRA", *profile)
    assert code == 2 and len(out.strip().splitlines()) == 1 and names in out
    assert theirs_seen == [] and mine_seen == []


def test_a_target_that_does_not_answer_is_not_a_pass(
    faulty_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nothing listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    profile = tmp_path / "staging.toml"
    profile.write_text(data.profile_toml(url))
    results = _as_profile_run(faulty_run, tmp_path, url, profile)
    code, out = _replay(capsys, results, "IUI-SCOPE-NO-EXTRA", "--profile", str(profile))
    assert code == EXIT_UNREACHABLE and "passes now" not in out
    assert "the target did not answer" in out


def _edit(results: dict[str, Any], how: str) -> None:
    row = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    if how == "evidence":
        row["evidence"] = "not a list"
    elif how == "tamper":
        row["evidence"][0]["cases"][0]["tamper"] = {"client_id": 5}
    elif how == "expect":
        row["evidence"][0]["cases"][0]["expect"] = ["not", "an", "object"]
    elif how == "api":
        row["evidence"][0]["cases"][0]["api"] = "somewhereElse"


@pytest.mark.parametrize("how", ["evidence", "tamper", "expect", "api", "deep", "huge"])
def test_a_malformed_results_document_gets_one_line(
    faulty_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    path = tmp_path / "results.json"
    text = (faulty_run / "results.json").read_text()
    if how == "deep":
        text = "[" * 100_000 + "]" * 100_000
    elif how == "huge":
        monkeypatch.setattr(replay, "MAX_RESULTS_BYTES", len(text) - 1)
    else:
        results = json.loads(text)
        _edit(results, how)
        text = json.dumps(results)
    path.write_text(text)
    code = main(["replay", "--results", str(path), "--requirement", "IUI-SCOPE-NO-EXTRA"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and f"--results {path}" in err
