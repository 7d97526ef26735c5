from __future__ import annotations

from conformance.redact import Redactor, token_tag


def test_tokens_become_prefix_and_hash_and_signatures_vanish() -> None:
    r = Redactor(["RefTok.base.7f3a9c1e5b2d4f60"])
    text = r(
        '{"accessToken":"RefTok.base.7f3a9c1e5b2d4f60"} Signature: '
        "algorithm=RSA256,keyVersion=1,signature=abc%2B%3D"
    )
    assert "7f3a9c1e5b2d4f60" not in text and "abc%2B" not in text
    assert token_tag("RefTok.base.7f3a9c1e5b2d4f60") in text and "signature=[redacted]" in text


def test_private_keys_never_appear() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    assert "MIIEow" not in Redactor()(f"key: {pem}")


def test_longer_secret_is_replaced_whole_before_its_prefix() -> None:
    r = Redactor(["abcd1234", "abcd1234-long-secret"])
    assert "long-secret" not in r("x abcd1234-long-secret y")
