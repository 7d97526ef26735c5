from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from conformance import profile
from conformance.contract.catalogue import catalogue
from conformance.core.errors import ProfileError
from conformance.reference import data


def reference_dict() -> dict[str, Any]:
    return tomllib.loads(data.profile_toml("http://127.0.0.1:9"))


def parse(d: dict[str, Any], base: Path = Path(".")) -> profile.Profile:
    return profile.parse(d, base, catalogue())


def test_reference_profile_parses() -> None:
    p = parse(reference_dict())
    assert p.psp_id == data.PSP_ID and p.path("inquiryUserInfo").startswith("/")
    assert {t.state for t in p.tokens} == {"valid", "expired", "revoked"}
    assert set(p.secrets) == {s.token for s in data.SEEDS}


@pytest.mark.parametrize(
    "mutate,where",
    [
        (lambda d: d.pop("target"), "profile: names no role"),
        (lambda d: d.update(target="wallet"), "[target]"),
        (lambda d: d.pop("keys"), "[keys]"),
        (
            lambda d: d.update(tokens=[t for t in d["tokens"] if t["state"] != "valid"]),
            "[[tokens]]",
        ),
        (lambda d: d["target"].pop("base_url"), "[target] base_url"),
        (lambda d: d["target"].update(base_url="ftp://x"), "[target] base_url"),
        (lambda d: d["target"].update(client_id=""), "[target] client_id"),
        (lambda d: d["target"].update(timeout=-1), "[target] timeout"),
        (lambda d: d["target"]["paths"].update(inquiryUserInfo="no-slash"), "[target.paths]"),
        (lambda d: d["target"]["paths"].pop("inquiryUserInfo"), "[target.paths] inquiryUserInfo"),
        (lambda d: d["keys"].update(suite_private_key="missing.pem"), "[keys] suite_private_key"),
        (
            lambda d: d["keys"].update(wallet_public_key=d["keys"]["suite_private_key"]),
            "[keys] wallet_public_key",
        ),
        (lambda d: d["tokens"][0].update(state="stale"), "[[tokens]] #1 state"),
        (lambda d: d["tokens"][0].update(scopes="BASE_USER_INFO"), "[[tokens]] #1 scopes"),
        (lambda d: d["tokens"][0].update(access_token="x" * 129), "[[tokens]] #1 access_token"),
        (lambda d: d.update(requirements={"NOPE-1": "MUST"}), "[requirements] NOPE-1"),
        (
            lambda d: d.update(requirements={"IUI-RESP-STRING": "MAY"}),
            "[requirements] IUI-RESP-STRING",
        ),
        (
            lambda d: d["tokens"][0].update(access_token={"env": "MPP_CONFORMANCE_UNSET_VAR"}),
            "[[tokens]] #1 access_token",
        ),
    ],
)
def test_bad_profile_gets_one_line_naming_the_field(
    mutate: Any, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPP_CONFORMANCE_UNSET_VAR", raising=False)
    d = reference_dict()
    mutate(d)
    with pytest.raises(ProfileError) as info:
        parse(d)
    message = str(info.value)
    assert message.startswith(where) and "\n" not in message


def test_secrets_and_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    d = reference_dict()
    monkeypatch.setenv("TOKEN_X", "EnvToken-0123456789")
    monkeypatch.setenv("SUITE_KEY", data.testdata("alipayplus-private.pem").read_text())
    d["tokens"][0]["access_token"] = {"env": "TOKEN_X"}
    d["keys"]["suite_private_key"] = {"env": "SUITE_KEY"}
    p = parse(d)
    assert p.tokens[0].access_token == "EnvToken-0123456789" and "EnvToken-0123456789" in p.secrets


def test_relative_key_paths_resolve_against_the_profile_folder(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("alipayplus-private.pem", "wallet-public.pem"):
        (keys / name).write_bytes(data.testdata(name).read_bytes())
    text = data.profile_toml("http://127.0.0.1:9")
    text = text.replace(str(data.testdata("alipayplus-private.pem")), "keys/alipayplus-private.pem")
    text = text.replace(str(data.testdata("wallet-public.pem")), "keys/wallet-public.pem")
    (tmp_path / "p.toml").write_text(text)
    p = profile.load(tmp_path / "p.toml", catalogue())
    assert p.digest.startswith("sha256:") and p.source.endswith("p.toml")


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot be read"):
        profile.load(tmp_path / "absent.toml")
    (tmp_path / "bad.toml").write_text("[target\n")
    with pytest.raises(ProfileError, match="is not valid TOML"):
        profile.load(tmp_path / "bad.toml")


def _without_target(**sections: dict[str, Any]) -> dict[str, Any]:
    d = reference_dict()
    del d["target"], d["tokens"]
    d.update(sections)
    return d


def test_a_profile_may_hold_only_a_provider_or_only_a_gateway() -> None:
    wallet_key = str(data.testdata("wallet-private.pem"))
    provider = {
        "base_url": "http://127.0.0.1:9",
        "client_id": data.WALLET_CLIENT_ID,
        "signing_key": wallet_key,
        "public_key": str(data.testdata("alipayplus-public.pem")),
        "auth_urls": list(data.AUTH_URLS),
    }
    only_provider = _without_target(provider=provider)
    del only_provider["keys"]
    p = parse(only_provider)
    assert p.provider is not None and p.gateway is None and not p.has_target and p.tokens == ()
    q = parse(_without_target(gateway={"port": 0, "psp_id": "P1"}))
    assert q.gateway is not None and q.provider is None and not q.has_target
    assert q.gateway.psp_id == "P1" and q.gateway.wallet_public_key is not None


@pytest.mark.parametrize(
    "sections,drop_keys,where",
    [
        ({"gateway": {"port": 0}}, True, "[gateway] wallet_public_key"),
        (
            {"gateway": {"port": 0}, "trigger": {"path": "/harness/prepareAuthInfo"}},
            False,
            "[trigger] path",
        ),
        ({"trigger": {"url": "http://127.0.0.1:9/t"}}, False, "profile: names no role"),
        ({}, True, "profile: names no role"),
    ],
)
def test_a_profile_without_target_is_refused_in_one_line_naming_the_field(
    sections: dict[str, Any], drop_keys: bool, where: str
) -> None:
    d = _without_target(**sections)
    if drop_keys:
        del d["keys"]
    with pytest.raises(ProfileError) as info:
        parse(d)
    assert str(info.value).startswith(where) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "mutate,said",
    [
        (
            lambda d: d["target"].update(timout=5),
            "[target] timout: is not a [target] setting; did you mean timeout?",
        ),
        (lambda d: d.update(keyz={}), "keyz: is not a profile section; did you mean keys?"),
        (
            lambda d: d["keys"].update(key_verison="2"),
            "[keys] key_verison: is not a [keys] setting; did you mean key_version?",
        ),
        (
            lambda d: d["tokens"][0].update(scope=["BASE_USER_INFO"]),
            "[[tokens]] #1 scope: is not a token setting; did you mean scopes?",
        ),
        (
            lambda d: d["tokens"].append(dict(d["tokens"][0])),
            "access_token: repeats an earlier token's; give each token once",
        ),
        (
            lambda d: d["target"].update(base_url="https://user:s3cret@wallet.example"),
            "[target] base_url: carries credentials (user:password@); remove them from the URL",
        ),
        (
            lambda d: d["target"].update(base_url=" https://wallet.example"),
            "has a space at character 1",
        ),
        (lambda d: d["target"].update(base_url="https://wallet.example:99999"), "no valid port"),
    ],
)
def test_a_misspelt_or_absurd_profile_is_refused_with_the_fix(mutate: Any, said: str) -> None:
    """Nothing a profile holds is silently ignored; a credential in a URL is never echoed."""
    d = reference_dict()
    mutate(d)
    with pytest.raises(ProfileError) as info:
        parse(d)
    message = str(info.value)
    assert said in message and "\n" not in message and "s3cret" not in message
