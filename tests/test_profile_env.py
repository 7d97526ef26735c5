"""Every secret-bearing profile value can come from the environment, as CI variables do."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conformance import profile
from conformance.core.errors import ProfileError
from conformance.reference import data


def with_env(tmp_path: Path, **fields: str) -> Path:
    """The reference profile with the given [keys]/[[tokens]] values read from variables of the
    same name."""
    text = data.profile_toml("http://127.0.0.1:1")
    for key, var in fields.items():
        prefix = f"{key} = "
        start = text.index(prefix)
        end = text.index("\n", start)
        text = text[:start] + f'{prefix}{{ env = "{var}" }}' + text[end:]
    path = tmp_path / "profile.toml"
    path.write_text(text)
    tomllib.loads(text)
    return path


def pem_body(pem: bytes) -> str:
    """A PEM's base64 DER on one line, as docs/guide.md makes it for a CI variable."""
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


@pytest.mark.parametrize("form", ["pem", "base64"])
def test_keys_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    private_pem = data.testdata("alipayplus-private.pem").read_bytes()
    public_pem = data.testdata("wallet-public.pem").read_bytes()
    if form == "pem":
        monkeypatch.setenv("MPP_SUITE_PRIVATE_KEY", private_pem.decode())
        monkeypatch.setenv("MPP_WALLET_PUBLIC_KEY", public_pem.decode())
    else:
        monkeypatch.setenv("MPP_SUITE_PRIVATE_KEY", pem_body(private_pem))  # PKCS#1 DER
        monkeypatch.setenv(
            "MPP_WALLET_PUBLIC_KEY", pem_body(public_pem)
        )  # SubjectPublicKeyInfo DER
    path = with_env(
        tmp_path,
        suite_private_key="MPP_SUITE_PRIVATE_KEY",
        wallet_public_key="MPP_WALLET_PUBLIC_KEY",
    )
    loaded = profile.load(path)
    assert loaded.suite_private_key is not None and loaded.wallet_public_key is not None
    assert (
        loaded.suite_private_key.private_numbers()
        == data.private_key("alipayplus").private_numbers()
    )
    assert loaded.wallet_public_key.public_numbers() == data.public_key("wallet").public_numbers()


def test_token_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPP_TOKEN_BASE", "from-the-environment")
    loaded = profile.load(with_env(tmp_path, access_token="MPP_TOKEN_BASE"))
    assert loaded.tokens[0].access_token == "from-the-environment"
    assert "from-the-environment" in loaded.secrets  # so reports redact it


def test_unset_variable_is_one_line_naming_field_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPP_SUITE_PRIVATE_KEY", raising=False)
    with pytest.raises(ProfileError) as caught:
        profile.load(with_env(tmp_path, suite_private_key="MPP_SUITE_PRIVATE_KEY"))
    assert str(caught.value).startswith(
        "[keys] suite_private_key: names environment variable MPP_SUITE_PRIVATE_KEY"
    )
    assert "\n" not in str(caught.value)


def test_garbage_key_text_is_refused_not_read_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPP_SUITE_PRIVATE_KEY", "QUJD" * 80)  # base64, but no key
    with pytest.raises(ProfileError) as caught:
        profile.load(with_env(tmp_path, suite_private_key="MPP_SUITE_PRIVATE_KEY"))
    assert "is not an RSA private key" in str(caught.value)
