"""Each signature form of the digest probes is what it claims, proven by an independent verifier:
cryptography for the form itself, python-rsa 4.9 (the official Python SDK's verifier) for whether
that SDK accepts it; RSA256 as the suite judges it refuses every one."""

from __future__ import annotations

import hashlib
from base64 import b64decode
from urllib.parse import unquote

import pytest
import rsa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conformance import signing
from conformance.reference import data

CONTENT = b'POST /x\nC.2019-05-28T12:12:12+08:00.{"n":"1"}'
KEY, PUB = data.private_key("wallet"), data.public_key("wallet")
# form -> (the hash cryptography verifies it with, or None; python-rsa's name for it, or None)
HASHES: dict[str, tuple[hashes.HashAlgorithm | None, str | None]] = {
    "md5": (hashes.MD5(), "MD5"),
    "sha1": (hashes.SHA1(), "SHA-1"),
    "sha224": (hashes.SHA224(), "SHA-224"),
    "sha384": (hashes.SHA384(), "SHA-384"),
    "sha512": (hashes.SHA512(), "SHA-512"),
    "sha3-256": (hashes.SHA3_256(), "SHA3-256"),
    "sha512-256": (hashes.SHA512_256(), None),
    "pss-sha256": (None, None),
    "sha256-no-digestinfo": (None, None),
}
PYTHON_SDK_ACCEPTS = {form for form, (_, name) in HASHES.items() if name}


def _raw(value: str) -> bytes:
    return b64decode(unquote(value))


def _python_rsa(value: str, content: bytes = CONTENT) -> str | None:
    """The hash python-rsa's `rsa.verify` reports, or None when it refuses the signature."""
    numbers = PUB.public_numbers()
    try:
        return rsa.verify(content, _raw(value), rsa.PublicKey(numbers.n, numbers.e))
    except rsa.VerificationError:
        return None


def test_the_forms_are_the_probed_ones() -> None:
    assert set(signing.DIGEST_FORMS) == set(HASHES)
    assert {f for f in HASHES if f in signing.PYTHON_RSA_HASHES} == PYTHON_SDK_ACCEPTS


@pytest.mark.parametrize("form", list(HASHES))
def test_form_is_made_as_named_and_fails_rsa256(form: str) -> None:
    value = signing.sign_in_form(CONTENT, KEY, form)
    raw, (algorithm, python_rsa_name) = _raw(value), HASHES[form]
    if algorithm is not None:
        PUB.verify(raw, CONTENT, padding.PKCS1v15(), algorithm)
    elif form == "pss-sha256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        PUB.verify(raw, CONTENT, pss, hashes.SHA256())
    else:  # the bare hash: the padding holds SHA-256(content) and nothing before it
        recovered = PUB.recover_data_from_signature(raw, padding.PKCS1v15(), None)
        assert recovered == hashlib.sha256(CONTENT).digest()
    with pytest.raises(InvalidSignature):
        PUB.verify(raw, CONTENT, padding.PKCS1v15(), hashes.SHA256())
    assert not signing.verify(CONTENT, value, PUB)
    assert _python_rsa(value) == python_rsa_name
    assert _python_rsa(value, CONTENT + b" ") is None


def test_python_rsa_reads_rsa256_too() -> None:
    assert _python_rsa(signing.sign(CONTENT, KEY)) == "SHA-256"


@pytest.mark.parametrize("form", list(HASHES))
def test_lenient_verifiers_accept_what_they_name(form: str) -> None:
    value = signing.sign_in_form(CONTENT, KEY, form)
    assert signing.verify_any_digest(CONTENT, value, PUB) is (form in PYTHON_SDK_ACCEPTS)
    assert signing.verify_pss(CONTENT, value, PUB) is (form == "pss-sha256")
    tail = form == "sha256-no-digestinfo"
    assert signing.sha256_tail_matches(CONTENT, value, PUB) is tail
    for verifier in (signing.verify_any_digest, signing.verify_pss, signing.sha256_tail_matches):
        assert not verifier(CONTENT + b" ", value, PUB)
        assert not verifier(CONTENT, value, data.public_key("alipayplus"))


def test_lenient_verifiers_accept_rsa256() -> None:
    value = signing.sign(CONTENT, KEY)
    assert signing.verify_any_digest(CONTENT, value, PUB)
    assert signing.sha256_tail_matches(CONTENT, value, PUB)
    assert not signing.verify_pss(CONTENT, value, PUB)


def test_tamper_signs_the_right_content_in_the_form() -> None:
    auth = signing.RSA256Auth("C", KEY, tamper=signing.Tamper(digest="sha1"))
    headers = auth.headers_for("POST", "/x", b"{}")
    found = signing.verify_message(
        headers["Signature"],
        PUB,
        uri="/x",
        client_ids=("C",),
        time=headers["Request-Time"],
        body=b"{}",
    )
    assert found.verdict is signing.Verdict.FAILS
    sig = signing.parse_signature_header(headers["Signature"])
    content = signing.content_to_sign("POST", "/x", "C", headers["Request-Time"], b"{}")
    assert _python_rsa(sig.signature, content) == "SHA-1"
