"""The reference wallet as a prepareAuthInfo client, and the trigger endpoint of its test
harness."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance import signing
from conformance.reference import data

JSON_TYPE = "application/json; charset=UTF-8"


class PrepareClient:
    """Signs, sends, verifies and retries exactly as the contract says; each step may be
    overridden."""

    max_attempts: ClassVar[int] = 3
    backoff: ClassVar[float] = 0.05

    def __init__(
        self, gateway_url: str | None = None, timeout: float = data.CLIENT_TIMEOUT
    ) -> None:
        self.gateway_url, self.timeout = gateway_url, timeout
        self.key = data.private_key("wallet")
        self.alipayplus = data.public_key("alipayplus")
        self.http: httpx.AsyncClient | None = None  # made once, on the serving loop

    # -- request steps ------------------------------------------------------
    def payload(self, auth_url: str, attempt: int) -> dict[str, Any]:
        return {"authUrl": auth_url, "acquirerId": data.ACQUIRER_ID}

    def encode(self, payload: Mapping[str, Any]) -> bytes:
        return json.dumps(payload, separators=(",", ":")).encode()

    def request_time(self) -> str:
        return signing.now()

    def headers(self, uri: str, body: bytes) -> dict[str, str]:
        signed = signing.signed_headers(
            self.key,
            "request",
            uri,
            data.WALLET_CLIENT_ID,
            body,
            time=self.request_time(),
            key_version=data.KEY_VERSION,
        )
        return {"Content-Type": JSON_TYPE, **signed}

    # -- response steps -----------------------------------------------------
    def trusted(self, uri: str, answer: httpx.Response, status: str | None) -> bool:
        """Verify the response signature; an unsigned answer is acceptable only for F or U."""
        value, time = answer.headers.get("signature"), answer.headers.get("response-time")
        if value is None:
            return time is None and status in ("F", "U")
        client_id = answer.headers.get("client-id") or data.WALLET_CLIENT_ID
        return signing.verify_message(
            value,
            self.alipayplus,
            uri=uri,
            client_ids=(client_id,),
            time=time or "",
            body=answer.content,
        ).ok

    def retries(self, status: str | None) -> bool:
        """U, or no result at all (None): retry with the same parameters; S and F (and distrust)
        end the flow."""
        return status in ("U", None)

    def pause(self, attempt: int) -> float:
        return float(self.backoff * 2 ** (attempt - 1))

    def redirect(self, url: str) -> str:
        return url + ("&" if "?" in url else "?") + "authCode=" + secrets.token_hex(8)

    def decide(self, uri: str, answer: httpx.Response) -> tuple[str | None, dict[str, str] | None]:
        """(status to retry on, final outcome) for one answer; a body that is not JSON is no
        result."""
        try:
            body = json.loads(answer.content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, None
        result = body.get("result") if isinstance(body, dict) else None
        if answer.status_code != 200 or not isinstance(result, dict):
            return None, None
        status, code = result.get("resultStatus"), result.get("resultCode")
        if not self.trusted(uri, answer, status):
            return "F", {"outcome": "error", "error": "INVALID_RESPONSE_SIGNATURE"}
        if status == "S" and code == "SUCCESS" and isinstance(body.get("authRedirectUrl"), str):
            return "S", {
                "outcome": "redirect",
                "redirectUrl": self.redirect(body["authRedirectUrl"]),
            }
        if status == "F":
            return "F", {"outcome": "error", "error": str(code)}
        return "U", None

    async def start(self, auth_url: str) -> dict[str, str]:
        """Run one flow to its end: the redirect the wallet would open, or the error it would
        show."""
        if not self.gateway_url:
            return {"outcome": "error", "error": "no Alipay+ gateway configured"}
        uri = signing.request_uri(self.gateway_url)
        self.http = self.http or httpx.AsyncClient(timeout=self.timeout)
        last = {"outcome": "error", "error": "UNKNOWN: no result from Alipay+"}
        for attempt in range(1, self.max_attempts + 1):
            body = self.encode(self.payload(auth_url, attempt))
            try:
                answer = await self.http.post(
                    self.gateway_url, content=body, headers=self.headers(uri, body)
                )
                status, outcome = self.decide(uri, answer)
            except httpx.HTTPError:
                status, outcome = None, None
            last = outcome or last
            if not self.retries(status) or attempt == self.max_attempts:
                break
            await asyncio.sleep(self.pause(attempt))
        return last


def harness_routes(wallet: Any) -> list[Route]:
    """The trigger endpoint: POST {"authUrl": ...} starts a flow and answers with its outcome."""
    client_class: type[PrepareClient] = getattr(wallet, "client_class", PrepareClient)
    client = client_class()
    wallet.prepare_client = client

    async def trigger(request: Request) -> Response:
        try:
            payload: Mapping[str, Any] = json.loads(await request.body())
            auth_url = payload["authUrl"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'send {"authUrl": "..."}'}, 400)
        return JSONResponse(await client.start(str(auth_url)))

    return [Route(data.HARNESS_PATH, trigger, methods=["POST"])]


def harness_app(wallet: Any) -> Starlette:
    """The wallet's trigger endpoint alone (its client runs where this app is served)."""
    return Starlette(routes=harness_routes(wallet))
