"""The preflight: a wrong set-up ends the run after a handful of requests, diagnosed with its fix;
a wallet set up right sees one valid request more and nothing else."""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from conformance import signing
from conformance.cli import main
from conformance.core.exitcodes import EXIT_OK, EXIT_PARTIAL, EXIT_PREFLIGHT, EXIT_UNREACHABLE
from conformance.core.model import Case, Exchange, Request, Response
from conformance.preflight import diagnose
from conformance.reference import data
from conformance.reference.faults import make_server, make_wallet
from conformance.reference.threaded import serve
from conformance.report.schema import problems

from .test_cli import closed_port

ONE_TEST = "test_other_method_refused[GET]"
SUITE_KEY = str(data.testdata("alipayplus-private.pem"))
WALLET_KEY = str(data.testdata("wallet-public.pem"))
STRANGER = data.testdata("stranger-private.pem")


@contextmanager
def counted(app: Any) -> Iterator[tuple[str, list[str]]]:
    """Serve an ASGI app on loopback; yield its URL and the paths of the requests it received."""
    seen: list[str] = []

    async def counting(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await app(scope, receive, send)

    with serve(counting) as url:
        yield url, seen


def wrong(setting: str, text: str, url: str) -> str:
    """The reference profile with one setting wrong."""
    edits = {
        "client_id": (data.ALIPAYPLUS_CLIENT_ID, "NOT_REGISTERED"),
        "suite_private_key": (SUITE_KEY, str(STRANGER)),
        "key_version": ('key_version = "1"', 'key_version = "7"'),
        "path": (data.PATHS["inquiryUserInfo"], "/v1/inquiryUserInfo"),
        "base_url": (url, f"http://127.0.0.1:{closed_port()}"),
        "wallet_public_key": (WALLET_KEY, str(data.testdata("alipayplus-public.pem"))),
    }
    old, new = edits[setting]
    assert old in text
    return text.replace(old, new, 1)


CASES = [
    ("client_id", EXIT_PREFLIGHT, ["INVALID_CLIENT", "'NOT_REGISTERED'", "set [target] client_id"]),
    (
        "suite_private_key",
        EXIT_PREFLIGHT,
        [
            "INVALID_SIGNATURE",
            signing.fingerprint(signing.load_private_key(STRANGER.read_bytes())),
            f"Client-Id '{data.ALIPAYPLUS_CLIENT_ID}'",
            "register that public key with the wallet",
        ],
    ),
    ("key_version", EXIT_PREFLIGHT, ["KEY_NOT_FOUND", "'7'", "set [keys] key_version"]),
    ("path", EXIT_PREFLIGHT, ["HTTP 404", "/v1/inquiryUserInfo", "set [target.paths]"]),
    ("base_url", EXIT_UNREACHABLE, ["nothing accepts connections", "correct [target] base_url"]),
    ("wallet_public_key", EXIT_PREFLIGHT, ["not made with [keys] wallet_public_key", "set [keys]"]),
]


@pytest.mark.parametrize(("setting", "code", "says"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_setting_ends_the_run_after_one_request_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, code: int, says: list[str]
) -> None:
    with counted(make_wallet("reference").app()) as (url, seen):
        profile = tmp_path / "staging.toml"
        profile.write_text(wrong(setting, data.profile_toml(url), url))
        report = tmp_path / "report.html"
        assert main(["run", "--profile", str(profile), "--report", str(report)]) == code
    assert len(seen) <= 1  # the preflight's one request, not the suite's 1,600
    out = capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"] == "NOT CERTIFIED" and results["preflight"]["passed"] is False
    assert problems(results) == []
    assert results["reasons"][0].startswith("preflight: wallet (inquiryUserInfo)")
    for phrase in says:
        assert phrase in results["reasons"][0] and phrase in out, phrase
    assert "fix: " in out and out.rstrip().splitlines()[-1].startswith("NOT CERTIFIED: report")
    assert report.exists() and (tmp_path / "junit.xml").exists()
    assert all(
        n["reason"] == "the preflight found the set-up wrong" for n in results["run"]["not_run"]
    )


def test_a_wallet_set_up_right_gets_one_request_more_and_certifies(tmp_path: Path) -> None:
    with counted(make_wallet("reference").app()) as (url, seen):
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url))
        argv = ["run", "-q", "--profile", str(profile), "--report", str(tmp_path / "r.html")]
        only = ["--only", "test_valid_request_succeeds"]  # one test: a partial run
        assert main([*argv, "--examples", "2", *only]) == EXIT_PARTIAL
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["preflight"]["passed"] is True and results["verdict"] == "PARTIAL"
    assert problems(results) == [] and results["target"]["embedded"] is None
    assert results["preflight"]["requests"] == 1
    assert len(seen) == results["run"]["requests"] + 1
    assert all(t["test"] != "(preflight)" for t in map(json.loads, _lines(tmp_path)))


def _lines(folder: Path) -> list[str]:
    return (folder / "transcript.jsonl").read_text().splitlines()


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["doctor", *args])
    return code, capsys.readouterr().out.splitlines()


def test_doctor_runs_only_the_preflight(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with counted(make_wallet("reference").app()) as (url, seen):
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url, gateway_port=0))
        code, lines = doctor(capsys, "--profile", str(profile))
        assert code == EXIT_OK and len(lines) == 3 and all(x.startswith("ok") for x in lines)
        assert seen == [data.PATHS["inquiryUserInfo"], data.HARNESS_PATH]
        profile.write_text(wrong("client_id", profile.read_text(), url))
        code, lines = doctor(capsys, "--profile", str(profile))
    assert code == EXIT_PREFLIGHT and lines[0].startswith("WRONG  wallet (inquiryUserInfo)")
    assert lines[1].startswith("       fix: set [target] client_id")


def test_doctor_names_a_busy_gateway_port_and_a_wrong_trigger_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        counted(make_wallet("reference").app()) as (url, _),
        socket.create_server(("127.0.0.1", 0)) as busy,
    ):
        port = busy.getsockname()[1]
        text = data.profile_toml(url, gateway_port=port).replace(
            f'path = "{data.HARNESS_PATH}"', 'path = "/harness/none"'
        )
        profile = tmp_path / "staging.toml"
        profile.write_text(text)
        code, lines = doctor(capsys, "--profile", str(profile))
    out = "\n".join(lines)
    assert code == EXIT_PREFLIGHT and lines[0].startswith("ok     wallet")
    assert f"WRONG  gateway (prepareAuthInfo) at 127.0.0.1:{port}: [gateway] port" in out
    assert "WRONG  trigger" in out and "HTTP 404" in out and "[trigger] path" in out


def test_doctor_names_the_providers_signing_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        counted(make_wallet("reference").app()) as (url, _),
        counted(make_server("reference").app()) as (provider, seen),
    ):
        text = data.profile_toml(url, gateway_port=0, provider=True)
        text = text.replace(data.PROVIDER_PLACEHOLDER, provider)
        profile = tmp_path / "staging.toml"
        profile.write_text(text)
        assert doctor(capsys, "--profile", str(profile))[0] == EXIT_OK
        profile.write_text(text.replace(str(data.testdata("wallet-private.pem")), str(STRANGER)))
        code, lines = doctor(capsys, "--profile", str(profile))
    assert code == EXIT_PREFLIGHT and len(seen) == 2
    wrong_line = next(x for x in lines if x.startswith("WRONG"))
    assert "Alipay+ server (prepareAuthInfo)" in wrong_line and "INVALID_SIGNATURE" in wrong_line
    assert "[provider] signing_key" in wrong_line


def test_an_untrusted_certificate_is_diagnosed_with_the_ca_bundle_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = trustme.CA()
    server, ca_file = tmp_path / "server.pem", tmp_path / "ca.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(server))
    ca.cert_pem.write_to_path(str(ca_file))
    with serve(make_wallet("reference").app(), ssl_certfile=str(server)) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url))
        code, lines = doctor(capsys, "--profile", str(profile))
        assert code == EXIT_UNREACHABLE and "is not trusted" in lines[0]
        assert lines[1].endswith(
            "fix: pass --ca-bundle with the CA that issued it (or set [tls] ca_bundle)"
        )
        assert doctor(capsys, "--profile", str(profile), "--ca-bundle", str(ca_file))[0] == 0


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("ConnectError: [Errno -2] Name or service not known", "cannot be resolved"),
        ("timeout: ConnectTimeout", "no connection to wallet.example:443"),
        ("ConnectError: [SSL: WRONG_VERSION_NUMBER] wrong version number", "does not speak TLS"),
        ("ReadError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED]", "set [tls] client_cert"),
    ],
)
def test_transport_errors_name_their_cause(error: str, says: str) -> None:
    found = diagnose.transport(error, "https://wallet.example:443/x", "[target] base_url", "it")
    assert found is not None and says in " ".join(found)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("timeout: no complete answer within 10 s", "gave no answer within 10 s"),
        ("ReadError: [Errno 104] Connection reset by peer", "reset the connection"),
        ("RemoteProtocolError: Server disconnected without sending a response.", "closed"),
        ("RemoteProtocolError: illegal status line: bytearray(b'SSH-2.0')", "is not HTTP"),
    ],
)
def test_a_connection_without_an_http_answer_is_named_after_the_transport(
    error: str, says: str
) -> None:
    url, field = "https://wallet.example/x", "[target] base_url"
    assert diagnose.transport(error, url, field, "it") is None  # the connection was made
    problem, fix = diagnose.silence(error, url, field, "it", (10.0, "[target] timeout"))
    assert says in problem and ("[target] timeout" in fix or field in fix)


def _signed_answer(key_name: str) -> Exchange:
    """A SUCCESS answer signed over the wrong content with the named key."""
    sig = signing.sign(b"some other content", data.private_key(key_name))
    headers = (("Signature", signing.format_signature_header(sig)),)
    body = b'{"result":{"resultCode":"SUCCESS","resultStatus":"S"}}'
    return Exchange(
        Case("inquiryUserInfo", "valid", b"{}"),
        Request((), b"{}"),
        Response(headers, body, 200),
    )


def test_a_response_signed_with_another_key_is_a_setup_problem_and_wrong_content_is_not() -> None:
    from conformance.reference.data import embedded_profile

    p = embedded_profile()
    assert p.suite_private_key is not None and p.wallet_public_key is not None
    setup = diagnose.Setup(
        "wallet (inquiryUserInfo)", "inquiryUserInfo", "the wallet", "[target]", p.base_url, "/",
        "[target.paths]", p.client_id, "[target] client_id", p.suite_private_key, "[keys] k",
        "1", "[keys] key_version", p.wallet_public_key, "[keys] wallet_public_key", "",
    )  # fmt: skip
    assert diagnose.answer(_signed_answer("wallet"), setup) is None  # the suite judges it
    found = diagnose.answer(_signed_answer("stranger"), setup)
    assert found is not None and "not made with [keys] wallet_public_key" in found[0]


def test_the_exit_code_of_a_wrong_setup_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    assert "4  set-up wrong" in capsys.readouterr().out
    guide = (Path(__file__).resolve().parent.parent / "docs/guide.md").read_text()
    assert "| 4 |" in guide and "conformance doctor --profile" in guide
