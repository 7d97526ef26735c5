from __future__ import annotations

from base64 import b64decode
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest

from conformance import signing
from conformance.reference import data

FIXTURES = Path(__file__).parent / "fixtures"


def test_known_answer_matches_openssl() -> None:
    # The expected value was made with `openssl dgst -sha256 -sign`, independently of this code.
    content = (FIXTURES / "kat-content.txt").read_bytes()
    expected = (FIXTURES / "kat-signature.b64").read_text().strip()
    assert content == signing.content_to_sign(
        "POST",
        "/aps/api/v1/payments/pay",
        "TEST_5X00000000000000",
        "2019-05-28T12:12:12+08:00",
        b'{"paymentRequestId":"pay_1"}',
    )
    value = signing.sign(content, data.private_key("alipayplus"))
    assert "%" in value and "+" not in value and "/" not in value  # URL-encoded base64
    assert httpx.QueryParams(f"s={value}")["s"] == expected


def test_verify_accepts_the_encoded_value_and_rejects_tampering() -> None:
    content = b"POST /x\nC.2019-05-28T12:12:12+08:00.{}"
    value = signing.sign(content, data.private_key("wallet"))
    pub = data.public_key("wallet")
    assert signing.verify(content, value, pub)
    assert signing.verify(content, value.replace("%2B", "%2b").replace("%2F", "%2f"), pub)
    assert not signing.verify(content + b" ", value, pub)
    assert not signing.verify(content, value[: len(value) // 2], pub)
    assert not signing.verify(content, value, data.public_key("alipayplus"))
    assert not signing.verify(content, "not base64!!", pub)


def signed_with(*chars: str) -> tuple[bytes, str]:
    """Content whose plain base64 signature holds every one of chars (deterministic search)."""
    key = data.private_key("wallet")
    for i in range(1000):
        content = b'POST /x\nC.2019-05-28T12:12:12+08:00.{"n":"%d"}' % i
        plain = unquote(signing.sign(content, key))
        if all(c in plain for c in chars):
            return content, plain
    raise AssertionError(f"no signature with {chars} in 1000 contents")


@pytest.mark.parametrize("char", ["+", "/", "="])
def test_one_base64_character_left_raw_is_read_as_the_official_sdks_read_it(char: str) -> None:
    content, plain = signed_with("+", "/", "=")
    pub = data.public_key("wallet")
    value = quote(plain, safe=char)  # URL-encoded except for this one character
    assert char in value and signing.unencoded(value) == (char,)
    # URL-decoding turns a raw + into a space; / and = come through it unchanged.
    assert signing.verify(content, value, pub) is (char != "+")
    assert signing.decode_signature(value) == (None if char == "+" else b64decode(plain))
    if char == "+":
        assert "raw '+'" in signing.why_not_verified(content, value, pub)


def test_plain_base64_fails_with_a_plus_and_survives_without_one() -> None:
    pub = data.public_key("wallet")
    content, plain = signed_with("+")
    assert not signing.verify(content, plain, pub)
    assert "raw '+'" in signing.why_not_verified(content, plain, pub)
    key = data.private_key("wallet")
    # A signature with no + at all (about one in 200): its plain form verifies, but is flagged.
    survivor = next(
        (c, v)
        for c in (b"POST /y\nC.T.%d" % i for i in range(5000))
        if "+" not in (v := unquote(signing.sign(c, key)))
    )
    assert signing.verify(survivor[0], survivor[1], pub)
    assert "=" in signing.unencoded(survivor[1])
    assert signing.unencoded(signing.sign(survivor[0], key)) == ()


def test_report_file_signatures_stay_plain_base64() -> None:
    content, _ = signed_with("+")
    value = signing.sign_file_bytes(content, data.private_key("wallet"))
    assert "+" in value and signing.verify_file_bytes(content, value, data.public_key("wallet"))
    assert not signing.verify_file_bytes(content + b"x", value, data.public_key("wallet"))


@pytest.mark.parametrize("space", [False, True])
def test_signature_header_round_trip_with_or_without_spaces(space: bool) -> None:
    header = signing.format_signature_header("abc%3D", "7", space=space)
    assert (", " in header) is space
    assert signing.parse_signature_header(header) == signing.SignatureHeader(
        "RSA256", "7", "abc%3D"
    )


@pytest.mark.parametrize(
    "bad", ["", "algorithm=RSA256", "algorithm=RSA256,keyVersion=1", "garbage"]
)
def test_malformed_signature_header_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        signing.parse_signature_header(bad)


def test_keys_load_in_every_documented_format() -> None:
    pkcs1 = signing.load_private_key(data.testdata("alipayplus-private.pem").read_bytes())
    pkcs8 = signing.load_private_key(data.testdata("wallet-private.pem").read_bytes())
    bare = b"".join(
        l for l in data.testdata("wallet-public.pem").read_bytes().splitlines() if b"-----" not in l
    )
    assert signing.load_public_key(bare).public_numbers() == pkcs8.public_key().public_numbers()
    assert pkcs1.key_size == 2048
    with pytest.raises(ValueError):
        signing.load_private_key(b"not a key")


@pytest.mark.parametrize(
    "value,ok",
    [
        ("2019-05-28T12:12:12+08:00", True),
        ("2025-02-20T08:51:49.09Z", True),
        ("2019-05-28T12:12:12Z", True),
        ("2019-05-28T12:12:12", False),
        ("20190528T121212+0800", False),
        ("1559016732000", False),
        ("2019-13-28T12:12:12+08:00", False),
    ],
)
def test_time_formats_the_docs_show(value: str, ok: bool) -> None:
    assert signing.is_valid_time(value) is ok


def test_auth_signs_the_exact_bytes_sent() -> None:
    auth = signing.RSA256Auth(
        "CID", data.private_key("alipayplus"), "1", clock=lambda: "2019-05-28T12:12:12+08:00"
    )
    request = httpx.Request("POST", "http://w/p?q=1", content=b'{"a": "1"}')
    signed = next(auth.auth_flow(request))
    sig = signing.parse_signature_header(signed.headers["Signature"])
    content = signing.content_to_sign(
        "POST", "/p?q=1", "CID", "2019-05-28T12:12:12+08:00", b'{"a": "1"}'
    )
    assert signing.verify(content, sig.signature, data.public_key("alipayplus"))


def test_tamper_changes_what_is_signed() -> None:
    auth = signing.RSA256Auth(
        "CID",
        data.private_key("alipayplus"),
        tamper=signing.Tamper(sign_body=b"{}"),
        clock=lambda: "2019-05-28T12:12:12+08:00",
    )
    headers = auth.headers_for("POST", "/p", b'{"a":"1"}')
    sig = signing.parse_signature_header(headers["Signature"]).signature
    assert not signing.verify(
        signing.content_to_sign("POST", "/p", "CID", headers["Request-Time"], b'{"a":"1"}'),
        sig,
        data.public_key("alipayplus"),
    )
