"""`conformance init`: a profile that loads once filled in, a key pair, and nothing overwritten."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from conformance import profile, signing
from conformance.cli import main
from conformance.commands.init import FILL
from conformance.core.errors import ProfileError
from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.reference import data
from conformance.reference.threaded import serve
from conformance.reference.wallet import Wallet

OPTIONS = {
    "--base-url": "https://staging.wallet.example",
    "--client-id": data.ALIPAYPLUS_CLIENT_ID,
    "--psp-id": data.PSP_ID,
    "--path": data.PATHS["inquiryUserInfo"],
    "--wallet-public-key": str(data.testdata("wallet-public.pem")),
}
FILLED = {
    "base_url": "https://staging.wallet.example",
    "client_id": "SANDBOX_5YC47N2ZQHJ004124",
    "psp_id": "2160120000000001",
    "path": "/v1/inquiryUserInfo",
    "wallet_public_key": str(data.testdata("wallet-public.pem")),
}


def init(tmp_path: Path, *args: str) -> int:
    return main(["init", "--dir", str(tmp_path), *args])


def options(**overrides: str) -> list[str]:
    merged = {**OPTIONS, **overrides}
    return [item for pair in merged.items() for item in pair]


def test_unfilled_profile_names_the_field_then_loads_once_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert init(tmp_path) == 0
    path = tmp_path / "staging.toml"
    tomllib.loads(path.read_text())  # valid TOML, comments and all
    monkeypatch.setenv("MPP_TOKEN_BASE", "RefTok.base.7f3a9c1e5b2d4f60")
    for name, value in FILL.items():
        with pytest.raises(ProfileError) as caught:
            profile.load(path)
        message = str(caught.value)
        assert "\n" not in message and "placeholder" in message and value in message
        assert (name if name != "path" else "inquiryUserInfo") in message
        path.write_text(
            path.read_text().replace(f'"{profile.PLACEHOLDER}{value}>"', f'"{FILLED[name]}"')
        )
    loaded = profile.load(path)
    assert (
        loaded.base_url == FILLED["base_url"] and loaded.paths["inquiryUserInfo"] == FILLED["path"]
    )
    assert loaded.tokens[0].access_token == "RefTok.base.7f3a9c1e5b2d4f60"


def test_keys_are_a_pair_and_the_private_one_is_0600(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, *options()) == 0
    out = capsys.readouterr().out
    private, public = tmp_path / "keys/suite-private.pem", tmp_path / "keys/suite-public.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert (tmp_path / "keys/.gitignore").read_text() == "suite-private.pem\n"
    assert private.read_bytes().startswith(
        b"-----BEGIN RSA PRIVATE KEY-----"
    )  # PKCS#1, the Python SDK's
    key = signing.load_private_key(private.read_bytes())
    assert key.key_size == 2048
    assert (
        key.public_key().public_numbers()
        == signing.load_public_key(public.read_bytes()).public_numbers()
    )
    assert public.read_text() in out  # the key to register is printed
    assert signing.public_key_base64(key.public_key()) in out
    assert "PKCS#1" in out and "PKCS#8" in out and "SubjectPublicKeyInfo" in out


def test_pkcs8_for_the_java_sdk(tmp_path: Path) -> None:
    assert init(tmp_path, "--key-format", "pkcs8") == 0
    assert (
        (tmp_path / "keys/suite-private.pem")
        .read_bytes()
        .startswith(b"-----BEGIN PRIVATE KEY-----")
    )


def test_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path) == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert init(tmp_path) == 2
    assert "--force" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert init(tmp_path, "--force") == 0
    assert (tmp_path / "keys/suite-private.pem").read_bytes() != before[
        tmp_path / "keys/suite-private.pem"
    ]


def test_unwritable_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    assert main(["init", "--dir", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err.startswith("conformance: error: cannot write")


def test_quiet_prints_only_the_public_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, "-q") == 0
    assert capsys.readouterr().out == (tmp_path / "keys/suite-public.pem").read_text()


def test_interactive_without_anyone_to_ask_leaves_placeholders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    assert init(tmp_path, "-i") == 0
    assert f'base_url = "{profile.PLACEHOLDER}' in (tmp_path / "staging.toml").read_text()


def test_interactive_asks_for_what_options_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(
        [FILLED["client_id"], FILLED["psp_id"], FILLED["path"], FILLED["wallet_public_key"]]
    )
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setenv("MPP_TOKEN_BASE", "t")
    assert init(tmp_path, "-i", "--base-url", FILLED["base_url"]) == 0
    assert profile.load(tmp_path / "staging.toml").psp_id == FILLED["psp_id"]


@pytest.mark.parametrize("register", [True, False])
def test_scaffold_certifies_a_wallet_that_registered_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, register: bool
) -> None:
    wallet = Wallet()
    with serve(wallet.app()) as url:
        assert init(tmp_path, *options(**{"--base-url": url})) == 0
        if register:
            key = signing.load_public_key((tmp_path / "keys/suite-public.pem").read_bytes())
            wallet.clients = {data.ALIPAYPLUS_CLIENT_ID: {data.KEY_VERSION: key}}
        monkeypatch.setenv("MPP_TOKEN_BASE", data.SEEDS[0].token)
        code = main(
            [
                "run",
                "-q",
                "--examples",
                "1",
                "--profile",
                str(tmp_path / "staging.toml"),
                "--report",
                str(tmp_path / "reports/report.html"),
                "--only",
                "test_valid_request_succeeds[0-valid:BASE_USER_INFO]",
            ]
        )
    # An unregistered suite key is refused as INVALID_SIGNATURE: the preflight says so (exit 4).
    assert code == (EXIT_PARTIAL if register else 4)  # one test: a partial run


def test_the_scaffold_shows_a_token_per_scope_and_state_and_names_doctor_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, *options()) == 0
    out = capsys.readouterr().out
    steps = out[out.index("Next:") :]
    assert steps.index("conformance doctor --profile") < steps.index("conformance run --profile")
    # Uncommented, every [[tokens]] example loads: each scope, and both refused states.
    path = tmp_path / "staging.toml"
    text = "\n".join(
        line[2:]
        if line.startswith(("# [[tokens]]", "# access_token", "# scopes", "# state"))
        else line
        for line in path.read_text().splitlines()
    )
    path.write_text(text)
    for name in ("BASE", "LOGIN_ID", "HASH_LOGIN_ID", "ALL_SCOPES", "EXPIRED", "REVOKED"):
        monkeypatch.setenv(f"MPP_TOKEN_{name}", f"RefTok.{name.lower()}.7f3a9c1e5b2d4f60")
    tokens = profile.load(path).tokens
    assert {s for t in tokens for s in t.scopes} == {
        "BASE_USER_INFO",
        "USER_LOGIN_ID",
        "HASH_LOGIN_ID",
    }
    assert {t.state for t in tokens} == {"valid", "expired", "revoked"}
