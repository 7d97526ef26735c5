"""Faulty wallets whose signature verifier accepts the right content signed in another form than
RSA256: another digest, PSS, or a bare hash."""

from __future__ import annotations

from typing import ClassVar

from conformance import signing
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Pipeline


class OtherForm(Pipeline):
    """A verifier that also accepts, or accepts only, what `accepts` says."""

    also_rsa256: ClassVar[bool] = False  # RSA256 verifies too, beside the other form

    def verifies(self, content: bytes, signature: str, key: signing.PublicKey) -> bool:
        if self.also_rsa256 and super().verifies(content, signature, key):
            return True
        return self.accepts(content, signature, key)

    @staticmethod
    def accepts(content: bytes, signature: str, key: signing.PublicKey) -> bool:
        raise NotImplementedError


@fault(
    "accepts-any-digest",
    "IUI-SIG-DIGEST",
    summary="Verifies as python-rsa does (the official Python SDK): a PKCS#1 v1.5 signature of "
    "any digest its DigestInfo names, SHA-1 or MD5 included.",
)
class AcceptsAnyDigest(OtherForm):
    accepts = staticmethod(signing.verify_any_digest)


@fault(
    "accepts-pss",
    "IUI-SIG-VERIFY",
    summary="Accepts an RSASSA-PSS signature with SHA-256 beside SHA256withRSA.",
)
class AcceptsPss(OtherForm):
    accepts, also_rsa256 = staticmethod(signing.verify_pss), True


@fault(
    "digestinfo-unchecked",
    "IUI-SIG-VERIFY",
    summary="Compares only the last 32 bytes of the recovered block with SHA-256 of the content, "
    "never reading the DigestInfo before them: a bare hash passes.",
)
class DigestInfoUnchecked(OtherForm):
    accepts = staticmethod(signing.sha256_tail_matches)
