"""Redaction cannot be defeated by cutting, wrapping or escaping a secret."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from functools import partial
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import signing
from conformance.core.redact import PIECE, Redactor, forms, header_redacted, token_tag
from conformance.generation.bodies import LAYOUTS
from conformance.reference import data

LONG = "SJV4pjn840QVubeRwb4MTh5Ep1heBatNzm0OJpKKdPR8fbrb1KGqT38mSN9b2TyIcYp6q7qEM1LZIT0" + "x" * 49
WIDE = "Ключ-доступа-テスト-令牌-ÄÖÜß-" * 4  # non-ASCII, 100 characters


def leaks(text: str, *secrets: str) -> list[str]:
    """Every run of PIECE characters of a secret, in any form, that text still holds."""
    return [
        f.text[f.starts[i] : f.starts[i + PIECE]]
        for s in secrets
        for f in forms(s)
        for i in range(len(s) - PIECE + 1)
        if f.text[f.starts[i] : f.starts[i + PIECE]] in text
    ]


def test_tokens_become_prefix_and_hash_and_signatures_are_shown() -> None:
    """A signature reveals no key: it is checked with a public one, over content the report
    shows anyway. The engineer compares it; only tokens and private keys are hidden."""
    r = Redactor(["RefTok.base.7f3a9c1e5b2d4f60"])
    text = r(
        '{"accessToken":"RefTok.base.7f3a9c1e5b2d4f60"} Signature: '
        "algorithm=RSA256,keyVersion=1,signature=abc%2B%3D"
    )
    assert "7f3a9c1e5b2d4f60" not in text
    assert token_tag("RefTok.base.7f3a9c1e5b2d4f60") in text and "signature=abc%2B%3D" in text


def test_private_keys_never_appear() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    assert "MIIEow" not in Redactor()(f"key: {pem}")


def test_longer_secret_is_replaced_whole_before_its_prefix() -> None:
    r = Redactor(["abcd1234", "abcd1234-long-secret"])
    assert "long-secret" not in r("x abcd1234-long-secret y")


def test_a_token_cut_short_in_a_repr_is_caught() -> None:
    """The falsifying example of a failed test shows a body cut at 160 bytes."""
    body = json.dumps({"pspId": "2160120000000001", "accessToken": LONG}).encode()
    shown = f"probe(value=Case(kind='valid', body={body[:80] + b'...'!r}))"
    assert leaks(shown, LONG) and not leaks(Redactor([LONG])(shown), LONG)


def test_a_token_wrapped_over_lines_is_caught() -> None:
    wrapped = f"E   accessToken={LONG[:70]}\nE   {LONG[70:]}"
    assert not leaks(Redactor([LONG])(wrapped), LONG)


def test_every_escaped_form_is_caught() -> None:
    r = Redactor([WIDE])
    for written in (
        json.dumps({"t": WIDE}),  # \uXXXX escapes
        repr(WIDE.encode()),  # \xNN escapes
        quote(WIDE),
        html.escape(json.dumps(WIDE, ensure_ascii=False)),
    ):
        assert leaks(written, WIDE) and not leaks(r(written[:70]), WIDE), written[:40]


def test_every_line_of_the_keys_is_caught_whatever_its_form() -> None:
    key = data.private_key("alipayplus")
    r = Redactor(keys=signing.private_key_text(key))
    for form in ("pkcs1", "pkcs8"):
        lines = signing.private_key_pem(key, form).decode().splitlines()[1:-1]
        for line in lines[:-1]:  # the last line can be short
            assert line not in r(f"found {line[3:40]} and {line}")
            assert line[5 : 5 + PIECE] not in r(f"found {line[5 : 5 + PIECE]}.")
    one_line = signing.private_key_text(key)[0]
    assert r(json.dumps({"key": one_line[100:400]})).count("[private key redacted]") == 1


def test_text_without_secrets_is_unchanged() -> None:
    r = Redactor([LONG, WIDE], signing.private_key_text(data.private_key("alipayplus")))
    text = json.dumps({"result": {"resultCode": "SUCCESS"}, "userInfo": {"userId": "2160120012"}})
    assert r(text) == text and r(text * 300) == text * 300


SECRET = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=PIECE, max_size=128
)


@settings(max_examples=60, deadline=None)
@given(
    secret=SECRET,
    pick=st.sampled_from(
        [
            lambda s: s,
            lambda s: json.dumps(s),
            lambda s: repr(s.encode()),
            lambda s: quote(s, safe=""),
            lambda s: html.escape(s),
        ]
    ),
    start=st.integers(0, 40),
    length=st.integers(PIECE, 200),
    wrap=st.integers(0, 200),
    around=st.text(max_size=20),
)
def test_no_piece_survives_any_cut_wrap_or_escape(
    secret: str, pick: Callable[[str], str], start: int, length: int, wrap: int, around: str
) -> None:
    written = pick(secret)
    piece = written[start : start + length]
    if wrap < len(piece):
        piece = piece[:wrap] + "\n" + piece[wrap:]
    text = around + piece + around
    redacted = Redactor([secret])(text)
    # Any run the redaction left must come from the text around the secret, not from it.
    assert all(p in around for p in leaks(redacted, secret)), (secret, text, redacted)


def _json_unescaped(text: str) -> str:
    """text decoded as the content of a JSON string, twice (where it decodes)."""
    for _ in range(2):
        text = re.sub(
            r'\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\["\\/]',
            lambda m: json.loads(f'"{m[0]}"'),
            text,
        )
    return text


def _spelt(c: str) -> str:
    """One character escaped as JSON allows: \\/ or \\uXXXX (a surrogate pair beyond the BMP)."""
    if c == "/":
        return "\\/"
    units = c.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2))


def test_a_token_in_the_escaped_characters_layout_is_caught() -> None:
    """The layout writes = and / as escapes among plain characters, as PHP and Gson do."""
    token = "HLxDsCxqj=BLd3qbJskH53rGTD-2U3OpSH5r44=wLzw+TGV6Hj/aqNp0MIj8+UeaOQt.=+8CALeW_usH"
    body = LAYOUTS["escaped-characters"]({"pspId": "2160120000000001", "accessToken": token})
    shown = body.decode()
    assert leaks(_json_unescaped(shown), token)
    for text in (shown, repr(body), json.dumps(shown)):
        assert not leaks(_json_unescaped(Redactor([token])(text)), token), text


@settings(max_examples=60, deadline=None)
@given(
    secret=SECRET,
    escaped=st.lists(st.booleans(), min_size=128, max_size=128),
    twice=st.booleans(),
    start=st.integers(0, 40),
    length=st.integers(PIECE, 400),
)
def test_no_piece_survives_a_mix_of_json_escapes(
    secret: str, escaped: list[bool], twice: bool, start: int, length: int
) -> None:
    """JSON lets each character be written \\uXXXX or not: any mix is caught, cut anywhere."""
    chars = [
        _spelt(c) if e else json.dumps(c, ensure_ascii=False)[1:-1]
        for c, e in zip(secret, escaped, strict=False)
    ]
    written = json.dumps("".join(chars))[1:-1] if twice else "".join(chars)
    text = "<" + written[start : start + length] + ">"
    redacted = Redactor([secret])(text)
    assert not leaks(_json_unescaped(redacted), secret), (secret, text, redacted)


# -- the encodings an output can show: percent in either case, base64, hex ----------------------

ENCODED = "Tok/en+with=Some.Chars_and-more~" + LONG[:40] + "ЖжЯ令牌"


def _pct_lower(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), text)


def _pct_mixed(text: str) -> str:
    """Every other escape in lower case: %2F%2b%3D%e4..."""
    flip = iter(range(len(text)))
    return re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower() if next(flip) % 2 else m[0], text)


def _b64_cores(piece: str) -> set[str]:
    """What base64 shows of piece wherever it sits in a longer blob: the characters that do not
    depend on the bytes around it, at each of the three alignments, in both alphabets."""
    raw = piece.encode()
    cores = set()
    for a in range(3):
        one = base64.b64encode(b"\0" * a + raw + b"\0\0").decode()
        two = base64.b64encode(b"\xff" * a + raw + b"\xff\xff").decode()
        same = "".join(c if c == d else "\n" for c, d in zip(one, two, strict=True))
        core = max(same.split("\n"), key=len)
        cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def encoded_leaks(text: str, secret: str) -> list[str]:
    """Every run of PIECE characters of the secret that text shows percent-encoded (either
    case), base64-encoded or hex-encoded (either case)."""
    found = []
    for i in range(len(secret) - PIECE + 1):
        piece = secret[i : i + PIECE]
        raw = piece.encode()
        shown = {quote(piece, safe=""), quote(piece), raw.hex(), raw.hex().upper()}
        shown |= {_pct_lower(quote(piece, safe="")), _pct_lower(quote(piece))}
        shown |= _b64_cores(piece)
        found += [s for s in shown if s in text]
        found += [piece] if piece in unquote(text) and piece not in text else []
    return found


def _embedded_b64(secret: str, align: int, urlsafe: bool, padded: bool) -> str:
    blob = base64.b64encode(b"<" * align + secret.encode() + b">")
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(base64.b64decode(blob))
    return text.decode().rstrip("" if padded else "=")


ENCODINGS: dict[str, Callable[[str], str]] = {
    "percent upper": lambda s: quote(s, safe=""),
    "percent lower": lambda s: _pct_lower(quote(s, safe="")),
    "percent lower, / kept": lambda s: _pct_lower(quote(s)),
    "percent, mixed case": lambda s: _pct_mixed(quote(s, safe="")),
    "hex lower": lambda s: s.encode().hex(),
    "hex upper": lambda s: s.encode().hex().upper(),
    **{
        f"base64{' urlsafe' if u else ''}{' padded' if p else ''} at {a}": partial(
            _embedded_b64, align=a, urlsafe=u, padded=p
        )
        for a in range(3)
        for u in (False, True)
        for p in (False, True)
    },
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_secret_encoded_whole_or_cut_is_caught(encoding: str) -> None:
    written = ENCODINGS[encoding](ENCODED)
    r = Redactor([ENCODED])
    assert encoded_leaks(written, ENCODED), "the test shows no leak to catch"
    for text in (written, f"echo={written}&x=1", written[7:80], json.dumps({"v": written})):
        assert not encoded_leaks(r(text), ENCODED), (encoding, text)


@settings(max_examples=40, deadline=None)
@given(
    secret=SECRET,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    start=st.integers(0, 40),
    length=st.integers(2 * PIECE, 400),
)
def test_no_encoded_piece_survives_any_cut(
    secret: str, encoding: str, start: int, length: int
) -> None:
    text = "[" + ENCODINGS[encoding](secret)[start : start + length] + "]"
    redacted = Redactor([secret])(text)
    assert not encoded_leaks(redacted, secret), (secret, text, redacted)


def test_encoded_forms_leave_plain_hex_and_base64_alone() -> None:
    r = Redactor([ENCODED])
    blob = base64.b64encode(b"x" * 90).decode()
    text = json.dumps({"traceId": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "blob": blob})
    assert r(text) == text


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "proxy-authorization",
        "Cookie",
        "Set-Cookie",
        "X-Api-Key",
        "X-Auth-Token",
        "x-client-secret",
        "X-Session-Id",
        "X-Auth",
        "X-Passwd",
        "ApiKey",
        "X-Password",
    ],
)
def test_credential_headers_are_redacted_by_name(name: str) -> None:
    assert header_redacted(name, "Bearer s3cr3t-value") == "[redacted]"


@pytest.mark.parametrize("name", ["Signature", "Client-Id", "Request-Time", "Content-Type"])
def test_other_headers_are_kept(name: str) -> None:
    value = "algorithm=RSA256,keyVersion=1,signature=abc" if name == "Signature" else "x-1"
    assert header_redacted(name, value) == value


def test_a_secret_percent_encoded_in_mixed_case_is_caught() -> None:
    """Case is free in each escape: %D0%9a%D0%bb..., whatever mix, is the same secret."""
    for secret in (WIDE, "/+=?&#" * 8):
        written = _pct_mixed(quote(secret, safe=""))
        assert encoded_leaks(written, secret)
        for text in (written, f"x={written[5:90]}&y=1", json.dumps(written)):
            assert not encoded_leaks(Redactor([secret])(text), secret), text
