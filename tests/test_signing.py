from __future__ import annotations

from pathlib import Path

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


def test_verify_accepts_encoded_and_plain_and_rejects_tampering() -> None:
    content = b"POST /x\nC.2019-05-28T12:12:12+08:00.{}"
    value = signing.sign(content, data.private_key("wallet"))
    pub = data.public_key("wallet")
    assert signing.verify(content, value, pub)
    assert signing.verify(content, httpx.QueryParams(f"s={value}")["s"], pub)
    assert not signing.verify(content + b" ", value, pub)
    assert not signing.verify(content, value[: len(value) // 2], pub)
    assert not signing.verify(content, value, data.public_key("alipayplus"))
    assert not signing.verify(content, "not base64!!", pub)


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
