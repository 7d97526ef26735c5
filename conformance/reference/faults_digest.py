"""Faulty wallets whose signature verifier accepts the right content signed in another form than
RSA256: another digest, PSS, or a bare hash."""

from __future__ import annotations

from conformance import signing
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Pipeline


@fault(
    "accepts-any-digest",
    "IUI-SIG-DIGEST",
    summary="Verifies as python-rsa does (the official Python SDK): a PKCS#1 v1.5 signature of "
    "any digest its DigestInfo names, SHA-1 or MD5 included.",
)
class AcceptsAnyDigest(Pipeline):
    def verifies(self, content: bytes, signature: str, key: signing.PublicKey) -> bool:
        return signing.verify_any_digest(content, signature, key)


@fault(
    "accepts-pss",
    "IUI-SIG-VERIFY",
    summary="Accepts an RSASSA-PSS signature with SHA-256 beside SHA256withRSA.",
)
class AcceptsPss(Pipeline):
    def verifies(self, content: bytes, signature: str, key: signing.PublicKey) -> bool:
        return super().verifies(content, signature, key) or signing.verify_pss(
            content, signature, key
        )


@fault(
    "digestinfo-unchecked",
    "IUI-SIG-VERIFY",
    summary="Compares only the last 32 bytes of the recovered block with SHA-256 of the content, "
    "never reading the DigestInfo before them: a bare hash passes.",
)
class DigestInfoUnchecked(Pipeline):
    def verifies(self, content: bytes, signature: str, key: signing.PublicKey) -> bool:
        return signing.sha256_tail_matches(content, signature, key)
