"""The one table reader: typed values, and every bad value one line naming `[table] key`, what is
wrong and the fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from conformance.core.errors import ConfigError, ProfileError
from conformance.profile.table import Table
from conformance.reference import data

ROOT = Table(
    {
        "target": {
            "base_url": "https://wallet.example/",
            "timeout": 5,
            "paths": {"inquiryUserInfo": "/v1/inquiryUserInfo"},
        },
        "limits": {"workers": 4},
        "tokens": [{"access_token": "a"}, {"access_token": "b", "state": "stale"}],
    },
    base=data.testdata("wallet-public.pem").parent,
)
# `[table] key: problem; fix`, the table one of [name], [name.sub] or [[name]] #N.
ONE_LINE = re.compile(r"^(\[[a-z.]+\]|\[\[[a-z]+\]\]( #\d+)?)( \w+)?: [^;\n]+; [^\n]+$")


def at(section: str, **values: Any) -> Table:
    return Table({section: values}).table(section)


@pytest.mark.parametrize(
    "read,message",
    [
        (
            lambda: at("target").text("client_id"),
            '[target] client_id: is missing; add client_id = "..."',
        ),
        (
            lambda: at("target", client_id="").text("client_id"),
            '[target] client_id: must be a non-empty string; write client_id = "..."',
        ),
        (
            lambda: at("target", client_id=7).text("client_id", None),
            '[target] client_id: must be a non-empty string; write client_id = "..."',
        ),
        (
            lambda: at("provider", base_url="ftp://h").url("base_url", '"https://host"'),
            (
                "[provider] base_url: 'ftp://h' is not an http(s) URL; "
                'write base_url = "https://host"'
            ),
        ),
        (
            lambda: at("gateway", path="prepare").url_path("path", "/", "/p"),
            "[gateway] path: 'prepare' does not start with /; write path = \"/p\"",
        ),
        (
            lambda: at("gateway", port=70000).integer("port", 8471, 0, 65535, noun="a port number"),
            "[gateway] port: must be a port number in [0, 65535]; write port = 8471",
        ),
        (
            lambda: at("limits", workers=2.5).integer("workers", 8, 1, 256),
            "[limits] workers: must be an integer in [1, 256]; write workers = 8",
        ),
        (
            lambda: at("gateway", settle=True).number("settle", 1.0, 0, 60),
            "[gateway] settle: must be a number in [0, 60]; write settle = 1",
        ),
        (
            lambda: at("target", timeout=0).number("timeout", 10.0, 0, 300, above=True),
            "[target] timeout: must be a number in (0, 300]; write timeout = 10",
        ),
        (
            lambda: at("observe", role="proxy").choice("role", ("wallet", "alipayplus")),
            "[observe] role: is 'proxy'; use one of wallet, alipayplus",
        ),
        (
            lambda: at("observe").choice("role", ("wallet", "alipayplus")),
            '[observe] role: is missing; add role = "wallet"',
        ),
        (
            lambda: at("trigger", command=[]).strings("command", "must list", '["x"]', least=1),
            '[trigger] command: must list; write command = ["x"]',
        ),
        (
            lambda: at("tls", ca_bundle="absent.pem").file("ca_bundle", '"ca.pem"'),
            (
                "[tls] ca_bundle: file absent.pem does not exist; give a path relative to the "
                "profile's folder"
            ),
        ),
        (
            lambda: at("keys", suite_private_key="absent.pem").private_key("suite_private_key"),
            (
                "[keys] suite_private_key: file absent.pem cannot be read; give a path relative to "
                "the profile, or PEM text"
            ),
        ),
        (
            lambda: at("limits", speed=1).only(("rate", "workers"), "known limit"),
            "[limits] speed: is not a known limit; use only rate, workers",
        ),
        (
            lambda: at("target", paths="/v1").table("paths", 'write inquiryUserInfo = "/v1"'),
            '[target.paths]: must be a table; write inquiryUserInfo = "/v1"',
        ),
        (
            lambda: Table({"tokens": {"access_token": "a"}}).tables("tokens"),
            "[[tokens]]: must be an array of tables; write [[tokens]] sections",
        ),
        (
            lambda: ROOT.tables("tokens")[1].choice("state", ("valid", "expired"), "valid"),
            "[[tokens]] #2 state: is 'stale'; use one of valid, expired",
        ),
        (
            lambda: at("keys", key_version={"env": "MPP_TABLE_TEST_UNSET"}).text("key_version"),
            (
                "[keys] key_version: names environment variable MPP_TABLE_TEST_UNSET which is not "
                "set; export MPP_TABLE_TEST_UNSET=... before the run"
            ),
        ),
    ],
)
def test_each_kind_of_bad_value_is_one_line_naming_table_key_problem_and_fix(
    read: Callable[[], object], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPP_TABLE_TEST_UNSET", raising=False)
    with pytest.raises(ProfileError) as caught:
        read()
    assert str(caught.value) == message
    assert ONE_LINE.match(message), message


def test_a_private_key_where_a_public_one_belongs_is_named_with_the_fix() -> None:
    keys = Table({"keys": {"k": "alipayplus-private.pem"}}, base=ROOT.base).table("keys")
    with pytest.raises(ProfileError) as caught:
        keys.public_key("k")
    message = str(caught.value)
    assert message.startswith("[keys] k: is not an RSA public key (X.509 SubjectPublicKeyInfo)")
    assert message.endswith("; export the key as unencrypted PEM") and "\n" not in message


def test_values_come_back_typed_and_absent_ones_as_the_default() -> None:
    target, limits = ROOT.table("target"), ROOT.table("limits")
    assert target.url("base_url", '"https://host"') == "https://wallet.example"
    assert target.number("timeout", 10.0, 0, 300) == 5.0
    assert isinstance(target.number("timeout", 10.0, 0, 300), float)
    workers = limits.integer("workers", 8, 1, 256)
    assert workers == 4 and isinstance(workers, int)
    assert limits.integer("retries", 3, 0, 10) == 3
    assert target.text("psp_id", None) is None and target.text("acquirer_id", "X") == "X"
    assert target.file("cert", '"c.pem"') is None and target.private_key("k") is None
    assert target.table("paths").text("inquiryUserInfo") == "/v1/inquiryUserInfo"
    assert "paths" in target and "nothing" not in target and not ROOT.table("nothing").data
    key = Table({"k": "wallet-public.pem"}, base=ROOT.base).public_key("k")
    assert key is not None and key.key_size >= 2048


def test_environment_values_are_read_only_where_the_table_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MPP_TABLE_TEST", "from-env")
    values = {"v": {"env": "MPP_TABLE_TEST"}}
    assert Table(values).text("v") == "from-env"
    with pytest.raises(ProfileError, match=r"^v: must be a non-empty string"):
        Table(values, env=False).text("v")


class FileError(ConfigError):
    """Another configuration file's error."""


def test_another_file_keeps_its_own_error_and_names_itself_first() -> None:
    root = Table({"entry": [{"name": " "}]}, "w.toml", error=FileError, source="w.toml")
    (row,) = root.tables("entry")
    with pytest.raises(FileError) as caught:
        row.text("name", hint='"x"', strip=True)
    assert (
        str(caught.value)
        == 'w.toml [[entry]] #1 name: must be a non-empty string; write name = "x"'
    )
    with pytest.raises(FileError, match=r"^w\.toml other: is not a known table; use only entry$"):
        Table({"other": 1}, "w.toml", error=FileError).only(("entry",), "known table")
    with pytest.raises(
        FileError, match=r"^w\.toml entyr: is not a known table; did you mean entry\?$"
    ):
        Table({"entyr": 1}, "w.toml", error=FileError).only(("entry",), "known table")
    with pytest.raises(
        FileError, match=r"^w\.toml \[\[entry\]\] #1 kind: is 'x'; use one of a, b$"
    ):
        Table({"entry": [{"kind": "x"}]}, "w.toml", error=FileError, source="w.toml").tables(
            "entry"
        )[0].choice("kind", ("a", "b"))
