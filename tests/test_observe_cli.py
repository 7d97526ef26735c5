"""`conformance observe` from the command line: duration and signals end a session with its
report, reports are rewritten while traffic flows, TLS both ways, the report verifies and diffs,
and no secret of the traffic reaches any output."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from conformance.cli import main
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve
from conformance.report.schema import problems

from .observe_traffic import (
    PATH,
    AlipayPlus,
    body,
    held_open,
    profile,
    session,
    settings,
    wait_until,
)

WITHIN = 30.0  # seconds a step of a session may take at most on a loaded machine
UNDECLARED = "UserTok.real.4c9e1f0b7a2d6e35"  # a real user's token: in no profile, in no output
CREDENTIAL = "Bearer gw-credential-9f8e7d6c5b4a"


@pytest.fixture
def wallet(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(make_wallet(getattr(request, "param", None)).app()) as url:
        yield url


def write_profile(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "staging.toml"
    path.write_text(profile(extra))
    return path


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def traffic(url: str) -> AlipayPlus:
    client = AlipayPlus(url)
    for token in ("RefTok.base.7f3a9c1e5b2d4f60", UNDECLARED):
        b = body(accessToken=token)
        client.send(b, {**client.headers(b), "Authorization": CREDENTIAL})
    client.http.close()
    return client


class Background:
    """`main([...])` on a thread, its printed URL read back."""

    def __init__(self, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
        self.capsys, self.code, self.out = capsys, -1, ""
        self.thread = threading.Thread(target=self._run, args=(argv,))
        self.thread.start()

    def _run(self, argv: list[str]) -> None:
        self.code = main(argv)

    def url(self) -> str:
        def printed() -> bool:
            assert self.thread.is_alive(), self.out
            self.out += self.capsys.readouterr().out
            return "observing as" in self.out

        wait_until(printed, WITHIN, "the session's URL")
        return self.out.split("observing as ", 1)[1].split(": ", 1)[1].split(" ", 1)[0]

    def join(self) -> tuple[int, str]:
        self.thread.join(WITHIN)
        assert not self.thread.is_alive(), f"the session did not end within {WITHIN:g} s"
        return self.code, self.out + self.capsys.readouterr().out


@pytest.mark.parametrize("wallet", ["scope-leak"], indirect=True)
def test_duration_ends_the_session_and_reports_are_rewritten_meanwhile(
    tmp_path: Path, wallet: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = held_open(monkeypatch)  # set once the test has read an interim report
    report = tmp_path / "out" / "observation.html"
    argv = ["observe", "--profile", str(write_profile(tmp_path)), "--upstream", wallet]
    argv += ["--role", "wallet", "--listen", "127.0.0.1:0", "--report", str(report)]
    run = Background(capsys, [*argv, "--duration", "0.3", "--report-every", "0.1", "--transcript"])
    results = report.with_suffix(".json")
    try:
        traffic(run.url())
        wait_until(
            lambda: results.exists() and load(results)["observation"]["judged"] == 2,
            WITHIN,
            "an interim report of both exchanges",
        )
        assert load(results)["observation"]["complete"] is False
    finally:
        seen.set()
    code, out = run.join()
    final = load(results)
    assert code == 1 and final["observation"]["complete"] is True
    assert final["verdict"] == "observed: 2 exchanges, 1 requirement violated"
    assert "FAILED  IUI-SCOPE-NO-EXTRA (MUST)" in out and "observed: 2 exchanges" in out
    assert problems(final) == []
    for name in ("observation.html", "observation-junit.xml", "observation.jsonl"):
        text = (report.parent / name).read_text()
        assert UNDECLARED not in text and CREDENTIAL.split()[1] not in text, name
        assert "RefTok.base.7f3a" not in text, name
    # Each failure has its evidence line; an observation has no command that reproduces it, so
    # no `reproduce:` line is printed at all.
    assert "reproduce:" not in out
    assert main(["verify-report", str(report), "--results", str(results)]) == 0
    capsys.readouterr()
    # The observation's own results file is found beside its report, without --results.
    assert main(["verify-report", str(report)]) == 0
    checked = capsys.readouterr().out
    assert "not found" not in checked and "results.json hashes to" in checked
    junit = (report.parent / "observation-junit.xml").read_text()
    assert 'name="IUI-SCOPE-NO-EXTRA"' in junit and "<failure" in junit


def test_a_signal_ends_the_session_and_writes_the_report(tmp_path: Path, wallet: str) -> None:
    report = tmp_path / "observation.html"
    argv = [sys.executable, "-m", "conformance", "observe", "--upstream", wallet]
    argv += ["--role", "wallet", "--listen", "127.0.0.1:0", "--report", str(report)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(": ", 1)[1].split(" ", 1)[0]
        traffic(url)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    final = load(report.with_suffix(".json"))
    assert final["observation"]["complete"] and final["observation"]["exchanges"] == 2
    # No profile: no key, no token; what needs them is not applicable, the rest is judged.
    rows = {r["id"]: r for r in final["requirements"]}
    assert rows["IUI-RESP-SIGNED"]["status"] == "not applicable"
    assert rows["IUI-RESP-SCHEMA"]["status"] == "passed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wallet"], "--upstream / [observe] upstream: is missing"),
        (["--upstream", "http://127.0.0.1:1/v1", "--role", "wallet"], "has a path"),
        (["--upstream", "http://127.0.0.1:1"], "--role / [observe] role: is missing"),
        (["--upstream", "http://127.0.0.1:1", "--role", "wallet", "--listen", "x"], "HOST:PORT"),
    ],
)
def test_a_bad_command_line_is_refused_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["observe", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--report", "--results", "--junit"])
def test_an_output_it_cannot_write_is_refused_before_it_observes(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found before the first exchange, not after hours of traffic."""
    (tmp_path / "taken").write_text("not a folder")
    out = tmp_path / "taken" / "out"
    argv = ["observe", "--upstream", "http://127.0.0.1:1", "--role", "wallet"]
    argv += ["--listen", "127.0.0.1:0", "--duration", "600", option, str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # never observing
    assert captured.err == (
        f"conformance: error: cannot write {out} ({tmp_path / 'taken'} is a file, not a folder);"
        f" choose another {option}\n"
    )


def test_a_transcript_it_cannot_write_names_the_option_that_moves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--transcript is a switch: the transcript goes beside the report, so --report moves it."""
    report = tmp_path / "obs.html"
    (tmp_path / "obs.jsonl").mkdir()  # a folder where the transcript would go
    argv = ["observe", "--upstream", "http://127.0.0.1:1", "--role", "wallet", "--listen"]
    argv += ["127.0.0.1:0", "--duration", "600", "--report", str(report), "--transcript"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"conformance: error: cannot write {tmp_path / 'obs.jsonl'} (it is a folder);"
        " choose another --report (the transcript goes beside it)\n"
    )


def test_a_port_in_use_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        argv = ["observe", "--upstream", "http://127.0.0.1:1", "--role", "wallet"]
        assert main([*argv, "--listen", f"127.0.0.1:{port}", "--duration", "1"]) == 2
    assert "cannot be served" in capsys.readouterr().err


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ca, folder = trustme.CA(), tmp_path_factory.mktemp("pki")
    files = {name: folder / f"{name}.pem" for name in ("ca", "server")}
    ca.cert_pem.write_to_path(str(files["ca"]))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(files["server"]))
    return files


def test_upstream_tls_is_verified_and_the_proxy_may_listen_on_tls(
    tmp_path: Path, pki: dict[str, Path]
) -> None:
    with serve(make_wallet(None).app(), ssl_certfile=str(pki["server"])) as upstream:
        trusted = settings(
            profile(), upstream, "wallet", ca_bundle=pki["ca"], tls_cert=pki["server"]
        )
        with session(trusted, tmp_path / "a") as running:
            b = body()
            with httpx.Client(verify=ssl.create_default_context(cafile=pki["ca"])) as http:
                answer = http.post(running.url + PATH, content=b, headers=AlipayPlus("").headers(b))
        assert (
            running.url.startswith("https://")
            and answer.json()["result"]["resultCode"] == "SUCCESS"
        )
        with session(settings(profile(), upstream, "wallet"), tmp_path / "b") as running:
            client = AlipayPlus(running.url)
            client.send(b, client.headers(b))
    assert isinstance(client.answers[0], httpx.HTTPError)  # an unverified upstream is never used
    assert running.results is not None
    row = next(r for r in running.results["requirements"] if r["id"] == "IUI-TRANSPORT-ANSWER")
    assert "CERTIFICATE_VERIFY_FAILED" in row["evidence"][0]["received"]


def test_diff_compares_observations_and_an_observation_with_a_certification(
    tmp_path: Path, reference_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = {}
    for name in (None, "scope-leak"):
        with (
            serve(make_wallet(name).app()) as url,
            session(settings(profile(), url, "wallet"), tmp_path / str(name)) as running,
        ):
            traffic(running.url)
        found[name] = tmp_path / str(name) / "observation.json"
    assert main(["diff", str(found[None]), str(found["scope-leak"])]) == 1
    out = capsys.readouterr().out
    assert "comparing: observation (wallet role) -> observation (wallet role)" in out
    assert "regressed: 1\n  IUI-SCOPE-NO-EXTRA: passed -> failed (MUST" in out
    assert main(["diff", str(reference_run / "results.json"), str(found[None])]) == 0
    out = capsys.readouterr().out
    assert "comparing: certification -> observation (wallet role)" in out
    assert "regressed: 0" in out and "fixed: 0" in out  # what traffic did not judge is not compared
    assert main(["render", str(found["scope-leak"]), "--out", str(tmp_path / "page.html")]) == 0
    page = (tmp_path / "page.html").read_text()
    assert "Observation report" in page and "Observed traffic (not a certification)" in page


def test_public_keys_are_enough(tmp_path: Path, wallet: str) -> None:
    """No private key, no token, no [target]: what needs only public keys is judged."""
    keys = Path(__file__).resolve().parent.parent / "conformance" / "reference" / "testdata"
    text = f'[keys]\nwallet_public_key = "{keys / "wallet-public.pem"}"\n'
    with session(settings(text, wallet, "wallet"), tmp_path) as running:
        traffic(running.url)
    assert running.results is not None
    rows = {r["id"]: r for r in running.results["requirements"]}
    assert rows["IUI-RESP-SIGNED"]["status"] == "passed"
    assert rows["IUI-SCOPE-NO-EXTRA"]["reason"].startswith("no valid [[tokens]]")
    assert running.results["observation"]["requests"]["well_formed"] == 2  # signature not checked
