"""Schemathesis hooks for the bench: sign every request as Alipay+ does, with the reference keys.

Loaded by `schemathesis run` through SCHEMATHESIS_HOOKS=<this file>. The signature covers the
exact body bytes requests sends, so it is added by a requests auth on the prepared request.
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis

from conformance import signing
from conformance.reference import data

SIGNER = signing.RSA256Auth(
    data.ALIPAYPLUS_CLIENT_ID, data.private_key("alipayplus"), data.KEY_VERSION
)


class Sign(requests.auth.AuthBase):
    """Client-Id, Request-Time and Signature over the prepared request's method, URI and body."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        raw = body.encode() if isinstance(body, str) else body
        assert isinstance(raw, bytes), "the hook signs bodies sent whole"
        for name in ("Client-Id", "Request-Time", "Signature"):
            r.headers.pop(name, None)
        r.headers.update(
            SIGNER.headers_for(r.method or "POST", signing.request_uri(r.url or "/"), raw)
        )
        return r


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    kwargs["auth"] = Sign()
