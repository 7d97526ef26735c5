"""A profile value the wire cannot send is refused when the profile is read: one line, naming the
key, never echoing the bad character; absurd lengths and unknown keys in every section too."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import profile
from conformance.cli import main
from conformance.contract.catalogue import catalogue
from conformance.core.errors import ProfileError
from conformance.core.exitcodes import EXIT_USAGE
from conformance.observe import settings as observe
from conformance.reference import data

Edit = Callable[[dict[str, Any]], Any]


def full() -> dict[str, Any]:
    """The reference profile with every section: [target], [gateway], [trigger], [provider]."""
    return tomllib.loads(data.profile_toml("http://127.0.0.1:9", gateway_port=0, provider=True))


def refused(edit: Edit, reader: Callable[..., Any] = profile.parse) -> str:
    d = full()
    edit(d)
    with pytest.raises(ProfileError) as info:
        reader(d, Path("."), catalogue())
    message = str(info.value)
    assert "\n" not in message and "\r" not in message and "\x00" not in message
    return message


def put(section: str, key: str, value: Any) -> Edit:
    return lambda d: d[section].update({key: value})


def keys(key: str, value: Any) -> Edit:
    return put("keys", key, value)


def path(value: str) -> Edit:
    return lambda d: d["target"]["paths"].update(inquiryUserInfo=value)


WIRE = [
    (put("target", "client_id", "A\r\nX-Injected: 1"), "[target] client_id: has a carriage return"),
    (put("target", "client_id", "A\nB"), "[target] client_id: has a line feed (LF) at character 2"),
    (put("target", "client_id", "A\x00B"), "[target] client_id: has a NUL"),
    (put("target", "client_id", "A\x1bB"), "control character U+001B"),
    (put("target", "client_id", "КЛИЕНТ"), "non-ASCII character U+041A"),
    (put("target", "client_id", "é"), "non-ASCII character U+00E9"),
    (put("target", "client_id", " A"), "[target] client_id: has a space at character 1"),
    (keys("key_version", "1\r\n"), "[keys] key_version: has a carriage return"),
    (keys("key_version", "1,signature=x"), "[keys] key_version: has the character ','"),
    (keys("key_version", "вер"), "[keys] key_version: has the non-ASCII"),
    (path("/v1/inquiry\r\nHost: evil"), "[target.paths] inquiryUserInfo: has a carriage return"),
    (path("/v1/inquiry user"), "[target.paths] inquiryUserInfo: has a space"),
    (path("/v1/ünïcode"), "[target.paths] inquiryUserInfo: has the non-ASCII"),
    (path("/v1/100%"), "[target.paths] inquiryUserInfo: has a % not followed"),
    (put("target", "psp_id", "2160\n"), "[target] psp_id: has a line feed"),
    (put("target", "acquirer_id", "\x00"), "[target] acquirer_id: has a NUL"),
    (put("target", "base_url", "http://wallet.example/a\r\nb"), "[target] base_url: has a"),
    (put("target", "base_url", "http://wallet.example/ä"), "[target] base_url: has the non-ASCII"),
    (put("target", "base_url", "http://wallet.example/a b"), "[target] base_url: has a space"),
    (put("target", "base_url", "http://wallet.example/?a=1"), "has a query or fragment"),
    (put("gateway", "client_id", "W\r\n"), "[gateway] client_id: has a carriage return"),
    (put("gateway", "key_version", "1 2"), "[gateway] key_version: has a space"),
    (put("gateway", "path", "/p\n"), "[gateway] path: has a line feed"),
    (put("gateway", "psp_id", "P\x7f"), "[gateway] psp_id: has the control character U+007F"),
    (put("gateway", "host", "127.0.0.1\n"), "[gateway] host: has a line feed"),
    (put("provider", "client_id", "W\x00"), "[provider] client_id: has a NUL"),
    (put("provider", "key_version", "1\n"), "[provider] key_version: has a line feed"),
    (put("provider", "path", "/a\rb"), "[provider] path: has a carriage return"),
    (put("provider", "base_url", "http://a\tb/"), "[provider] base_url: has the control"),
    (put("provider", "auth_urls", ["https://x\n"]), "[provider] auth_urls: has a line feed"),
    (put("trigger", "path", "/h\r\n"), "[trigger] path: has a carriage return"),
    (lambda d: d["tokens"][0].update(access_token="t\r\n"), "[[tokens]] #1 access_token: has a"),
    (lambda d: d.update(tls={"ca_bundle": "ca\x00.pem"}), "[tls] ca_bundle: has a NUL"),
    (keys("suite_private_key", "keys/a\x00.pem"), "[keys] suite_private_key: has a NUL"),
    (put("gateway", "wallet_public_key", "k\x00"), "[gateway] wallet_public_key: has a NUL"),
]


@pytest.mark.parametrize(("edit", "said"), WIRE)
def test_a_value_the_wire_cannot_send_is_refused_naming_the_key(edit: Edit, said: str) -> None:
    message = refused(edit)
    assert said in message, message
    assert "X-Injected" not in message and "evil" not in message


URLS = [
    ("http://127.0.0.1:99999", "no valid port (1 to 65535)"),
    ("http://127.0.0.1:abc", "no valid port"),
    ("http://127.0.0.1:0", "no valid port (1 to 65535)"),
    ("http://[::1", "is not a URL (an IPv6 host is written in brackets"),
    ("http://::1:80", "no valid host name"),
    ("http://[::1]:abc", "no valid port"),
    ("http://[zz]:80", "is not a URL"),
    ("http://[v1.x]/", "bracketed host that is not an IPv6 address"),
    ("http://wallet..example", "no valid host name"),
    ("http://wall_et!.example", "no valid host name"),
    ("http://" + "a" * 3000, "longer than"),
    ("ftp://wallet.example", "is not an http(s) URL"),
]


@pytest.mark.parametrize(("url", "said"), URLS)
@pytest.mark.parametrize("section", ["target", "provider"])
def test_a_bad_base_url_is_one_line(section: str, url: str, said: str) -> None:
    message = refused(put(section, "base_url", url))
    assert message.startswith(f"[{section}] base_url: ") and said in message, message


@pytest.mark.parametrize(
    "url", ["http://[::1]:8080", "https://[2001:db8::1]", "http://wallet.local"]
)
def test_an_ipv6_literal_and_a_plain_host_work(url: str) -> None:
    d = full()
    d["target"]["base_url"] = url
    assert profile.parse(d, Path("."), catalogue()).base_url == url


def test_a_bad_base_url_on_the_command_line_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for url in ("http://[::1", "http://127.0.0.1:abc", "http://[::1]:99999"):
        toml = tmp_path / "p.toml"
        toml.write_text(data.profile_toml(url))
        assert main(["doctor", "--profile", str(toml)]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "[target] base_url" in err and "Traceback" not in err


LONG = [
    (put("target", "psp_id", "1" * 10_000), "[target] psp_id: is longer than 64 characters"),
    (put("target", "psp_id", "1" * 65), "[target] psp_id: is longer than 64 characters"),
    (put("target", "acquirer_id", "1" * 65), "[target] acquirer_id: is longer than 64"),
    (put("target", "client_id", "C" * 129), "[target] client_id: is longer than 128"),
    (keys("key_version", "1" * 65), "[keys] key_version: is longer than 64"),
    (put("gateway", "psp_id", "1" * 65), "[gateway] psp_id: is longer than 64"),
    (path("/" + "p" * 3000), "[target.paths] inquiryUserInfo: is longer than"),
    (
        lambda d: d["tokens"][0]["expect"].update(userId="1" * 65),
        "[[tokens]] #1 expect: userId is longer than 64",
    ),
    (
        lambda d: d["tokens"][0].update(scopes=["S" * 100_000]),
        "[[tokens]] #1 scopes: must be a list of scope names",
    ),
    (put("target", "client_id", ""), "[target] client_id: must be a non-empty string"),
    (put("target", "psp_id", ""), "[target] psp_id: must be a non-empty string"),
    (put("gateway", "host", ""), "[gateway] host: must be a non-empty string"),
    (put("target", "timeout", float("nan")), "[target] timeout: must be a number of seconds"),
    (put("target", "timeout", float("inf")), "[target] timeout: must be a number of seconds"),
    (put("gateway", "max_attempts", 2.5), "[gateway] max_attempts: must be an integer"),
    (put("gateway", "wallet_timeout", 1e9), "[gateway] wallet_timeout: must be a number"),
    (put("trigger", "timeout", -1), "[trigger] timeout: must be a number"),
    (put("trigger", "parallel", 10**6), "[trigger] parallel: must be an integer"),
    (put("provider", "timeout", 0), "[provider] timeout: must be a number"),
    (put("limits", "rate", -1), "[limits] rate: must be a number"),
    (lambda d: d.update(limits={"disturbance_budget": 2}), "[limits] disturbance_budget"),
]


@pytest.mark.parametrize(("edit", "said"), LONG)
def test_an_absurd_or_empty_value_is_refused(edit: Edit, said: str) -> None:
    message = refused(lambda d: (d.setdefault("limits", {}), edit(d)))
    assert said in message and len(message) < 300, message


STRICT = [
    (put("gateway", "prot", 1), "[gateway] prot: is not a [gateway] setting; did you mean port?"),
    (put("trigger", "timout", 1), "[trigger] timout: is not a [trigger] setting; did you mean"),
    (put("provider", "signing_kye", "k"), "[provider] signing_kye: is not a [provider] setting"),
    (
        lambda d: d["target"]["paths"].update(inquiryUserinfo="/x"),
        "[target.paths] inquiryUserinfo: is not a known API; did you mean inquiryUserInfo?",
    ),
    (lambda d: d.update(observe={"upstraem": "http://a"}), "[observe] upstraem: is not a"),
    (put("gateway", "port", "8471"), "[gateway] port: must be a port number"),
    (put("gateway", "client_id", 7), "[gateway] client_id: must be a non-empty string"),
    (
        lambda d: d.update(trigger={"command": "./harness"}),
        "[trigger] command: must be a list of strings",
    ),
    (
        lambda d: d.update(trigger={"command": ["./harness", "a\x00b"]}),
        "[trigger] command: has a control character",
    ),
    (put("provider", "auth_urls", "https://x"), "[provider] auth_urls: must list"),
    (lambda d: d.update(gateway=[1]), "[gateway]: must be a table"),
]


@pytest.mark.parametrize(("edit", "said"), STRICT)
def test_every_section_refuses_unknown_keys_and_wrong_types(edit: Edit, said: str) -> None:
    message = refused(edit)
    assert said in message, message


OBSERVE = [
    (lambda d: d.update(observe={"rloe": "wallet"}), "[observe] rloe: is not a [observe] setting"),
    (lambda d: d.update(observe={"upstream": "http://[::1"}), "is not a URL (an IPv6 host"),
    (lambda d: d.update(observe={"timeout": float("nan")}), "[observe] timeout: must be"),
    (
        lambda d: d.update(observe={"wallet_client_id": "W\r\nX"}),
        "[observe] wallet_client_id: has a carriage return",
    ),
    (lambda d: d.update(observe={"path": "/a b"}), "[observe] path: has a space"),
    (lambda d: d.update(keyz={}), "keyz: is not a profile section; did you mean keys?"),
]


@pytest.mark.parametrize(("edit", "said"), OBSERVE)
def test_observe_reads_the_same_profile_as_strictly(edit: Edit, said: str) -> None:
    message = refused(edit, observe.parse)
    assert said in message, message


def test_what_a_header_carries_is_accepted() -> None:
    d = full()
    d["target"]["client_id"] = "SANDBOX_5YC47N2Z%QHJ 004124"  # % and an inner space: fine
    d["keys"]["key_version"] = "v2.1-rc~x"
    d["target"]["paths"]["inquiryUserInfo"] = "/gw/api;v=1/%E4%B8%AD?method=inquiryUserInfo&a=b:c@d"
    p = profile.parse(d, Path("."), catalogue())
    assert p.client_id == "SANDBOX_5YC47N2Z%QHJ 004124" and p.key_version == "v2.1-rc~x"
    assert p.path("inquiryUserInfo").endswith("a=b:c@d")


@pytest.mark.parametrize("listen", ["[::1", "::1:80", "[zz]:80", "a b:80", "host:99999", "\x00:1"])
def test_a_bad_listen_address_is_one_line(listen: str) -> None:
    message = refused(lambda d: d.update(observe={"listen": listen}), observe.parse)
    assert message.startswith("[observe] listen: ") and "is not HOST:PORT" in message, message


@pytest.mark.parametrize(
    ("listen", "where"), [("[::1]:8470", ("::1", 8470)), ("0.0.0.0:0", ("0.0.0.0", 0))]
)
def test_a_listen_address_may_be_ipv6(listen: str, where: tuple[str, int]) -> None:
    d = full()
    d["observe"] = {"listen": listen}
    found = observe.parse(d, Path("."), catalogue())
    assert (found.host, found.port) == where


def test_the_reference_profile_with_every_section_still_reads() -> None:
    p = profile.parse(full(), Path("."), catalogue())
    assert p.gateway is not None and p.trigger is not None and p.provider is not None
    assert observe.parse(full(), Path("."), catalogue()).psp_id == data.PSP_ID
