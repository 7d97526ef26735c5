"""No secret of the profile reaches any output: tokens (also env-provided), key material.
Signature values are not secrets (a signature reveals no key) and are shown."""

from __future__ import annotations

import base64
import html
import json
import random
import re
import string
import zipfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from conformance import signing
from conformance.cli import main
from conformance.core.redact import PIECE, token_tag
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve

from .reporting import Asgi, env_profile, recording
from .test_redact import encoded_leaks


def secrets() -> list[str]:
    """Every token and every line of the suite's private key."""
    pem = data.testdata("alipayplus-private.pem").read_text().splitlines()
    values = [s.token for s in data.SEEDS] + [line for line in pem if not line.startswith("-----")]
    return sorted({v for v in values if len(v) >= 16})


def certify_profile(profile: Path, report: Path, *flags: str) -> int:
    """`conformance run` of a profile, three examples a property, with no rate limit (what is
    scanned is every output, not how fast it was made)."""
    return main(
        ["run", "--profile", str(profile), "--examples", "3", "--rate", "0"]
        + ["--report", str(report), *flags]
    )


def outputs(folder: Path, terminal: str) -> dict[str, str]:
    found = {
        p.name: p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.is_file() and p.suffix != ".zip"
    }
    for archive in folder.glob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            found.update({f"{archive.name}/{n}": z.read(n).decode("utf-8") for n in z.namelist()})
    return {**found, "terminal": terminal}


@pytest.mark.parametrize(
    ("fault", "levels", "certified"),
    [
        (
            "scope-leak",
            "",
            False,
        ),  # MUST failures: evidence, pytest tracebacks and hypothesis output
        (
            "unsigned-success",
            '"IUI-RESP-SIGNED" = "SHOULD"',
            True,
        ),  # warnings, then a certification package
    ],
)
def test_no_secret_in_report_json_junit_transcript_package_or_terminal(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    levels: str,
    certified: bool,
) -> None:
    seen: list[bytes] = []
    with serve(recording(make_wallet(fault).app(), seen)) as url:
        env: dict[str, str] = {}
        profile = tmp_path / "profile.toml"
        profile.write_text(env_profile(url, env, levels))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = tmp_path / "out"
        code = certify_profile(profile, out / "report.html")
    assert code == (0 if certified else 1)
    if certified:
        assert (
            main(
                [
                    "package",
                    "--report",
                    str(out / "report.html"),
                    "--sign-key",
                    str(data.testdata("stranger-private.pem")),
                ]
            )
            == 0
        )
    terminal = "".join(capfd.readouterr())
    assert len(seen) > 100 and terminal
    files = outputs(out, terminal)
    assert {"report.html", "results.json", "junit.xml", "transcript.jsonl", "terminal"} <= set(
        files
    )
    for name, text in files.items():
        leaked = [s[:8] for s in secrets() if s in text]
        assert not leaked, f"{name} shows secrets starting {leaked}"
    # Signatures are public: the wire's values are shown for the engineer to compare.
    assert any(raw.decode() in files["results.json"] for raw in seen)
    # Tokens are still recognisable to the wallet team: a short prefix and a hash.
    assert token_tag(data.SEEDS[0].token) in files["results.json"] + files["report.html"]


# -- long tokens, ASCII and not, and the suite key inline or by path ----------------------------

_rng = random.Random(13)
_ASCII = string.ascii_letters + string.digits + "-._~+/="
_WIDE = "ЖжЯяФфЩщ中文字令牌テストキー界éüßøÅçñ" + string.ascii_letters
LONG_TOKENS = (
    "".join(_rng.choice(_ASCII) for _ in range(128)),
    "".join(_rng.choice(_WIDE) for _ in range(128)),
    "".join(_rng.choice(_ASCII) for _ in range(40)),
    "".join(_rng.choice(_WIDE) for _ in range(40)),
    "".join(_rng.choice(_ASCII) for _ in range(64)),  # expired
    "".join(_rng.choice(_WIDE) for _ in range(64)),  # revoked
)


def long_token_wallet(fault: str) -> Any:
    """A faulty reference wallet that issued the long tokens instead of its seeds."""
    wallet = make_wallet(fault)
    wallet.tokens = {t: replace(s, token=t) for s, t in zip(data.SEEDS, LONG_TOKENS, strict=True)}
    return wallet


def long_token_profile(url: str, key: str, folder: Path) -> str:
    text = data.profile_toml(url)
    for seed, token in zip(data.SEEDS, LONG_TOKENS, strict=True):
        text = text.replace(f'"{seed.token}"', json.dumps(token, ensure_ascii=False))
    pem = data.testdata("alipayplus-private.pem").read_text()
    path = str(data.testdata("alipayplus-private.pem"))
    if key == "inline":
        text = text.replace(f'"{path}"', f"'''\n{pem}'''")
    else:  # a path relative to the profile, as `conformance init` writes it
        (folder / "keys").mkdir()
        (folder / "keys/suite.pem").write_text(pem)
        text = text.replace(path, "keys/suite.pem")
    return text


def every_secret() -> set[str]:
    """Every token, every line and form of the suite key."""
    key = data.private_key("alipayplus")
    pem = data.testdata("alipayplus-private.pem").read_text().splitlines()[1:-1]
    found = set(LONG_TOKENS) | set(signing.private_key_text(key)) | set(pem)
    return {s for s in found if len(s) >= PIECE}


def pieces(secrets: set[str]) -> set[str]:
    return {s[i : i + PIECE] for s in secrets for i in range(len(s) - PIECE + 1)}


_ESCAPE = re.compile(r"\\\\|\\u([0-9a-fA-F]{4})|((?:\\x[0-9a-fA-F]{2})+)")


def _unescape(text: str) -> str:
    """One level of JSON and repr escapes undone: \\\\, \\uXXXX, runs of \\xNN (UTF-8 bytes)."""

    def undo(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        if m.group(2):
            raw = bytes(int(h, 16) for h in m.group(2).split("\\x")[1:])
            return raw.decode("utf-8", "backslashreplace")
        return "\\"

    return _ESCAPE.sub(undo, text)


def decodings(text: str) -> list[str]:
    """The text as written, and with the escapes outputs use undone (HTML, JSON, repr, percent),
    up to twice: a piece of a secret is looked for in each."""
    out = [text]
    for undo in (html.unescape, unquote):
        out.append(undo(text))
    for t in list(out):
        once = _unescape(t)
        out += [once, _unescape(once)]
    return list(dict.fromkeys(out))


def leaked(text: str, grams: set[str]) -> list[str]:
    return sorted(
        {
            t[i : i + PIECE]
            for t in decodings(text)
            for i in range(len(t) - PIECE + 1)
            if t[i : i + PIECE] in grams
        }
    )


def decoded_cases(results: str) -> str:
    """The bodies results.json keeps base64-encoded for `conformance replay`, decoded."""
    doc = json.loads(results)
    blobs = [
        value
        for row in doc["requirements"]
        for ev in row["evidence"]
        for case in ev.get("cases", [])
        for value in (case["body_base64"], case["tamper"].get("sign_body", ""))
    ]
    return "\n".join(base64.b64decode(b).decode("utf-8", "backslashreplace") for b in blobs)


@pytest.mark.parametrize(
    ("fault", "key", "output"),
    [
        ("scope-leak", "inline", "-v"),  # pytest's own output: hypothesis's falsifying examples
        ("accepts-expired-token", "path", ""),  # the console; tokens in every refusal probe
        ("userinfo-on-failure", "inline", ""),  # userInfo in refusals, two MUSTs
        ("long-result-message", "path", "-q"),  # a SHOULD: warned, certified
    ],
)
def test_no_piece_of_a_long_token_or_the_key_reaches_any_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], fault: str, key: str, output: str
) -> None:
    seen: list[bytes] = []
    out = tmp_path / "out"
    with serve(recording(long_token_wallet(fault).app(), seen)) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(long_token_profile(url, key, tmp_path))
        code = certify_profile(profile, out / "r.html", *([output] if output else []))
        results = json.loads((out / "results.json").read_text())
        failing = [r["id"] for r in results["requirements"] if r["status"] in ("failed", "warned")]
        assert failing and code == (0 if fault == "long-result-message" else 1)
        for rid in failing:  # replay prints the exchange: it must redact too
            replayed = ["--results", str(out / "results.json"), "--requirement", rid]
            main(["replay", *replayed, "--profile", str(profile)])
        main(["doctor", "--profile", str(profile)])
    files = outputs(out, "".join(capfd.readouterr()))
    files["results.json (cases)"] = decoded_cases(files["results.json"])
    assert {"r.html", "results.json", "junit.xml", "transcript.jsonl"} <= set(files)
    grams = pieces(every_secret())
    for name, text in files.items():
        assert not leaked(text, grams), f"{name} holds pieces of a secret"
    # The redaction is visible, and every token was sent: the scan had something to find.
    assert "[sha256:" in files["transcript.jsonl"] and len(seen) > 100
    sent = "".join(decodings(files["transcript.jsonl"]))
    assert all(token_tag(t) in sent for t in LONG_TOKENS[:4])


# -- a wallet that echoes the token back encoded, and credentials in its headers ----------------


def _b64(a: int, url: bool, t: bytes) -> str:
    """The token base64-encoded after `a` bytes (each alignment of its groups), URL-safe or not."""
    return (base64.urlsafe_b64encode if url else base64.b64encode)(
        b"\x01" * a + t + b"\x02"
    ).decode()


ECHOES: dict[str, Callable[[bytes], str]] = {
    "pct": lambda t: quote(t, safe=""),
    "pct-lower": lambda t: re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(t, safe="")),
    "hex": lambda t: t.hex(),
    "HEX": lambda t: t.hex().upper(),
    **{
        f"b64-{a}{'-url' if url else ''}": partial(_b64, a, url)
        for a in range(3)
        for url in (False, True)
    },
    "b64-unpadded": lambda t: base64.b64encode(t).decode().rstrip("="),
}
SESSION = "sid-9fK2mQ7xWv4Lp8Zr3Tn6Yb1Hc5Jd0Ge"  # a credential the profile does not know


def echoing(app: Asgi) -> Asgi:
    """The wallet's app, answering with the request's access token in every encoding of ECHOES,
    in its headers and in its body, and setting a session cookie."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        asked = bytearray()

        async def read() -> Any:
            message = await receive()
            asked.extend(message.get("body", b""))
            return message

        start: dict[str, Any] = {}

        async def answer(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            try:
                token = str(json.loads(asked)["accessToken"]).encode()
            except (ValueError, KeyError, TypeError):
                token = b""
            body = message.get("body", b"")
            echoed = {name: echo(token) for name, echo in ECHOES.items()} if token else {}
            if echoed and body.startswith(b"{"):
                body = body[:-1] + b',"echo":' + json.dumps(echoed).encode() + b"}"
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers += [(f"x-echo-{n}".encode(), v.encode()) for n, v in echoed.items()]
            headers += [(b"content-length", str(len(body)).encode())]
            headers += [(b"set-cookie", f"session={SESSION}; HttpOnly".encode())]
            await send({**start, "headers": headers})
            await send({**message, "body": body, "more_body": False})

        await app(scope, read, answer)
        return None

    return wrapped


def test_no_echoed_encoding_of_a_token_or_credential_header_reaches_any_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with serve(echoing(long_token_wallet("reference").app())) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(long_token_profile(url, "path", tmp_path))
        run = ["run", "--profile", str(profile), "--examples", "1", "--rate", "0", "-v"]
        code = main([*run, "--report", str(out / "r.html")])
    files = outputs(out, "".join(capfd.readouterr()))
    assert code == 1 and {"r.html", "results.json", "junit.xml", "transcript.jsonl"} <= set(files)
    assert "x-echo-b64-2" in files["transcript.jsonl"] and "set-cookie" in files["r.html"]
    for name, text in files.items():
        for token in LONG_TOKENS[:2]:  # ASCII with + / =, and not ASCII
            shown = encoded_leaks(html.unescape(text), token)
            assert not shown, f"{name} shows {shown[:3]}"
        assert SESSION not in text, name
