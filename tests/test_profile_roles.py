"""A profile holds any subset of the roles; each runs alone, the others reported not applicable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.gateway.scenarios import SCENARIOS
from conformance.reference import data
from conformance.reference.client import PrepareClient
from conformance.reference.client_variants import VARIANTS
from conformance.reference.faults import make_server, make_wallet
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

from .conftest import Certify, statuses
from .gateway_port import aim

KEY = data.testdata


UNSIGNED = "u-unsigned"  # a U flow of its own requirement (PAI-RETRY-UNSIGNED-U)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _gateway_only(port: int, harness: str) -> str:
    """[gateway] with its own keys and a [trigger] URL: no [target], no [keys]."""
    return (
        f'[gateway]\nport = {port}\nclient_id = "{data.WALLET_CLIENT_ID}"\n'
        f'wallet_public_key = "{KEY("wallet-public.pem")}"\n'
        f'suite_private_key = "{KEY("alipayplus-private.pem")}"\n'
        f"wallet_timeout = {data.CLIENT_TIMEOUT}\nmin_backoff = 0.025\nsettle = 0.02\n\n"
        f'[trigger]\nurl = "{harness}{data.HARNESS_PATH}"\ntimeout = 30\n'
    )


@contextmanager
def _client(wallet: Wallet, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, str]]:
    """Serve a wallet's harness; its client sends prepareAuthInfo to the port the run's gateway
    binds (port 0: its own choice)."""
    aim(monkeypatch, wallet)
    with serve(wallet.app()) as url:
        yield 0, url


def _only(results: dict[str, object], prefix: str) -> None:
    """Every requirement outside prefix is not applicable, with the missing section named."""
    rows = results["requirements"]
    assert isinstance(rows, list)
    others = [r for r in rows if not r["id"].startswith(prefix)]
    assert others and all(r["status"] == "not applicable" for r in others)
    assert all("no [" in r["reason"] for r in others)


def test_gateway_only_profile_certifies_the_reference_client(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(make_wallet(None), monkeypatch) as (port, harness):
        code, results = certify("--profile", str(_write(tmp_path, _gateway_only(port, harness))))
    assert code == 0 and results["verdict"] == "CERTIFIED"
    assert statuses(results, "failed", "warned", "untested") == set()
    assert {"PAI-REQ-SIGNED", "PAI-REQ-SIG-ENCODED", "PAI-S-REDIRECT"} <= statuses(
        results, "passed"
    )
    _only(results, "PAI-")
    assert results["target"]["base_url"].startswith("(no [target]")
    # Counted in exchanges, not flows: a U flow is its trigger exchange and two requests, the
    # persistent one its trigger and every attempt; request rules count every request.
    rows = {r["id"]: r for r in results["requirements"]}
    u_flows = [s for s in SCENARIOS if s.startswith("u-") and s not in ("u-persistent", UNSIGNED)]
    assert rows["PAI-RETRY-U"]["exchanges"] == 3 * len(u_flows) + 1 + PrepareClient.max_attempts
    assert rows["PAI-RETRY-UNSIGNED-U"]["exchanges"] == 3  # its trigger and two requests
    signed = rows["PAI-REQ-SIGNED"]["exchanges"]
    assert signed == rows["PAI-REQ-TIME"]["exchanges"] >= len(SCENARIOS) + len(u_flows) + 3


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_correct_client_variant_is_certified_with_no_warning(
    certify: Certify, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(VARIANTS[name](), monkeypatch) as (port, harness):
        code, results = certify("--profile", str(_write(tmp_path, _gateway_only(port, harness))))
    broken = statuses(results, "failed", "warned", "untested")
    assert code == 0 and broken == set(), f"{name}: {sorted(broken)}"


def test_gateway_only_profile_judges_a_faulty_client_alone(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(make_wallet("pai-redirect-drops-auth-code"), monkeypatch) as (port, harness):
        code, results = certify("--profile", str(_write(tmp_path, _gateway_only(port, harness))))
    assert code == 1 and statuses(results, "failed", "warned") == {"PAI-S-REDIRECT"}
    row = next(r for r in results["requirements"] if r["id"] == "PAI-S-REDIRECT")
    assert "no authCode" in row["evidence"][0]["message"]


def test_provider_only_profile_verifies_the_reference_alipayplus_server(
    certify: Certify, tmp_path: Path
) -> None:
    with serve(make_server(None).app()) as url:
        profile = (
            f'[provider]\nbase_url = "{url}"\nclient_id = "{data.WALLET_CLIENT_ID}"\n'
            f'signing_key = "{KEY("wallet-private.pem")}"\n'
            f'public_key = "{KEY("alipayplus-public.pem")}"\n'
            "auth_urls = [" + ", ".join(f'"{u}"' for u in data.AUTH_URLS) + "]\n"
        )
        code, results = certify("--profile", str(_write(tmp_path, profile)), examples=3)
    assert code == 0 and results["verdict"] == "CERTIFIED"
    assert statuses(results, "failed", "warned") == set()
    assert "PAS-VALID-SUCCESS" in statuses(results, "passed")
    _only(results, "PAS-")


@pytest.mark.parametrize(
    "text,field",
    [
        ("# nothing to certify\n", "profile: names no role"),
        (
            data.profile_toml("http://127.0.0.1:9").replace('state = "valid"', 'state = "expired"'),
            "[[tokens]]",
        ),
    ],
)
def test_profile_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str
) -> None:
    code = main(["run", "-q", "--profile", str(_write(tmp_path, text))])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"error: {field}" in err
    assert "did not complete" not in err


@pytest.mark.parametrize("option", ["--report", "--results", "--junit"])
def test_listen_refuses_an_output_it_cannot_write_before_it_listens(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("not a folder")
    text = _gateway_only(0, "http://127.0.0.1:9").split("[trigger]")[0]
    out = tmp_path / "taken" / "out"
    argv = ["listen", "--profile", str(_write(tmp_path, text)), "--duration", "30", option]
    assert main([*argv, str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # it never said it was listening
    assert captured.err == (
        f"conformance: error: cannot write {out} ({tmp_path / 'taken'} is a file, not a folder);"
        f" choose another {option}\n"
    )


def test_listen_serves_a_gateway_only_profile(tmp_path: Path) -> None:
    text = _gateway_only(0, "http://127.0.0.1:9").split("[trigger]")[0]
    report = tmp_path / "listen" / "report.html"
    profile = str(_write(tmp_path, text))
    code = main(
        ["listen", "-q", "--profile", profile, "--duration", "0.2", "--report", str(report)]
    )
    results = json.loads(report.with_name("results.json").read_text())
    assert code == 1 and statuses(results, "failed") == {"PAI-FLOW-SENDS"}
    assert all(
        r["status"] == "not applicable" for r in results["requirements"] if r["id"][:4] != "PAI-"
    )
