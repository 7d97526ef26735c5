"""A wallet wired to the official Alipay+ Python SDK (global-open-sdk-python), as wallet teams
wire it: `webhook_tool.check_signature` verifies Alipay+'s inquiryUserInfo requests,
`signature_tool.sign` and `date_tools` sign the answers, and its prepareAuthInfo client sends
through `DefaultAlipayClient.execute`, unchanged.

The SDK opens HTTPS on port 443 to the gateway URL's host. The tests reach the suite's gateway
through a test transport (`PlainTransport`): the same request line, headers and body, over a
plain connection to the gateway's port, with the harness's timeout in place of the SDK's 15 s.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import functools
import http.client
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import rsa
from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
from com.alipay.ams.api.exception.exception import AlipayApiException
from com.alipay.ams.api.request.alipay_request import AlipayRequest
from com.alipay.ams.api.tools import date_tools, signature_tool, webhook_tool
from cryptography.hazmat.primitives import serialization

from conformance import signing
from conformance.reference import data
from conformance.reference.client import PrepareClient
from conformance.reference.pipeline import Pipeline, Refusal
from conformance.reference.wallet import Wallet

# The gateway's port and the harness's timeout, for the flow whose thread opens the connection.
GATEWAY: contextvars.ContextVar[tuple[int, float]] = contextvars.ContextVar("gateway")


class PlainTransport:
    """Stands in for `http.client` in the SDK's transport: its HTTPSConnection to port 443 is a
    plain connection to the suite's gateway; what the SDK writes on it is unchanged."""

    @staticmethod
    def HTTPSConnection(host: str, port: int, timeout: float, context: Any) -> Any:
        gateway_port, harness_timeout = GATEWAY.get()
        return http.client.HTTPConnection(host, gateway_port, timeout=harness_timeout)


class CachedKeys:
    """Stands in for `cryptography`'s serialization in the SDK's signer: the same keys, loaded
    once. The SDK loads the PEM key at every signature, and cryptography checks an RSA private
    key as it loads it: tens of milliseconds a response, minutes over a run."""

    def __getattr__(self, name: str) -> Any:
        return getattr(serialization, name)

    @staticmethod
    @functools.cache
    def load_pem_private_key(data: bytes, password: bytes | None) -> Any:
        return serialization.load_pem_private_key(data, password)


def private_text(key: signing.PrivateKey) -> str:
    """The private key as the SDK takes it: PKCS#1 DER in base64, markers added by the SDK."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode("ascii")


# -- inquiryUserInfo: the wallet as server ---------------------------------------------------


class SdkPipeline(Pipeline):
    """The wallet's own checks (Client-Id, key version), with the SDK's verification and signing.

    Like the SDK, it never parses Request-Time (opaque text of the signed content) and never
    reads the algorithm label.
    """

    def authenticate(self, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> None:
        client_id = headers.get("client-id")
        if not client_id or client_id not in self.clients:
            raise Refusal("INVALID_CLIENT")
        value = headers.get("signature") or ""
        try:
            key = self.client_key(client_id, signing.parse_signature_header(value).key_version)
        except ValueError:
            raise Refusal("INVALID_SIGNATURE", "missing or malformed Signature header")
        if key is None:
            raise Refusal("KEY_NOT_FOUND")
        time = headers.get("request-time")
        if not time:
            raise Refusal("PARAM_ILLEGAL", "missing Request-Time")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal("PARAM_ILLEGAL", "body is not UTF-8")
        try:
            ok = webhook_tool.check_signature(
                method, uri, client_id, time, text, value, signing.public_key_base64(key)
            )
        except (rsa.VerificationError, ValueError, AlipayApiException):  # how the SDK refuses
            ok = False
        if not ok:
            raise Refusal("INVALID_SIGNATURE")

    def signed(self, uri: str, client_id: str, body: bytes) -> dict[str, str]:
        time = date_tools.get_cur_iso8601_time()
        value = signature_tool.sign(
            "POST", uri, client_id, time, self.signed_text(body), private_text(self.key)
        )
        return {
            "Client-Id": client_id,
            "Response-Time": time,
            "Signature": f"algorithm=RSA256,keyVersion={data.KEY_VERSION},signature={value}",
        }

    def signed_text(self, body: bytes) -> str:
        return body.decode("utf-8")


class ReserialisingSdkPipeline(SdkPipeline):
    """SDK-incompatible: signs its answer re-serialised, not the bytes it sends."""

    def signed_text(self, body: bytes) -> str:
        return json.dumps(json.loads(body), indent=1)


# -- prepareAuthInfo: the wallet as client ----------------------------------------------------


class PrepareAuthInfoRequest(AlipayRequest):  # type: ignore[misc]
    """A prepareAuthInfo request as SDK requests are written: a path and its AMS JSON."""

    def __init__(self, path: str, payload: Mapping[str, Any]) -> None:
        super().__init__(path)
        self.payload = payload

    def to_ams_json(self) -> str:
        return json.dumps(self.payload)


class SdkPrepareClient(PrepareClient):
    """Sends through `DefaultAlipayClient.execute`; acts on its result as the page says."""

    sdk_errors: ClassVar[tuple[type[BaseException], ...]] = (
        AlipayApiException,
        OSError,
        http.client.HTTPException,
    )

    def execute(self, auth_url: str, attempt: int) -> str:
        assert self.gateway_url is not None
        url = urlsplit(self.gateway_url)
        client = DefaultAlipayClient(
            f"https://{url.netloc}",
            data.WALLET_CLIENT_ID,
            private_text(self.key),
            signing.public_key_base64(self.alipayplus),
        )
        request = PrepareAuthInfoRequest(url.path, self.payload(auth_url, attempt))
        return str(client.execute(request))

    async def start(self, auth_url: str) -> dict[str, str]:
        if not self.gateway_url:
            return {"outcome": "error", "error": "no Alipay+ gateway configured"}
        uri = signing.request_uri(self.gateway_url)
        GATEWAY.set((urlsplit(self.gateway_url).port or 80, self.timeout))
        last = {"outcome": "error", "error": "UNKNOWN: no result from Alipay+"}
        for attempt in range(1, self.max_attempts + 1):
            try:
                body = await asyncio.to_thread(self.execute, auth_url, attempt)
                status, outcome = self.decide(uri, httpx.Response(200, content=body.encode()))
            except AlipayApiException as exc:
                status, outcome = self.refused(str(exc))
            except self.sdk_errors:
                status, outcome = None, None  # no answer: retry with the same parameters
            last = outcome or last
            if not self.retries(status) or attempt == self.max_attempts:
                break
            await asyncio.sleep(self.pause(attempt))
        return last

    def trusted(self, uri: str, answer: httpx.Response, status: str | None) -> bool:
        return True  # execute() returned: the SDK verified the answer

    @staticmethod
    def refused(message: str) -> tuple[str | None, dict[str, str] | None]:
        """An answer the SDK would not trust is an error; a transport failure is no answer."""
        if "invalid http status" in message or "connect failed" in message:
            return None, None
        return "F", {"outcome": "error", "error": "INVALID_RESPONSE_SIGNATURE"}


class SdkWallet(Wallet):
    """The wallet on the official Python SDK, in both roles."""

    name = "sdk-python"
    pipeline_class = SdkPipeline
    client_class = SdkPrepareClient


class IncompatibleSdkWallet(SdkWallet):
    name = "sdk-python-reserialising"
    pipeline_class = ReserialisingSdkPipeline
