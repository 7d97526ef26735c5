"""Send a Case over httpx and record the Exchange: the only module that does I/O to a target."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .model import Case, Exchange, Request, Response
from .signing import Tamper, request_uri

MAX_RESPONSE_BYTES = 1 << 20


class Sender:
    """Sends cases to one base URL; a transport failure becomes a recorded Exchange."""

    def __init__(
        self, http: httpx.Client, base_url: str, auth: Callable[[Tamper], httpx.Auth],
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.http, self.base_url, self.auth, self.max_bytes = http, base_url, auth, max_bytes

    def send(self, case: Case, path: str) -> Exchange:
        headers = {"Content-Type": case.content_type} if case.content_type is not None else {}
        request = self.http.build_request(case.method, self.base_url + path, content=case.body,
                                          headers=headers)
        if case.content_type is None:
            request.headers.pop("Content-Type", None)
        flow = self.auth(case.tamper).sync_auth_flow(request)
        signed = next(flow)
        sent = Request(
            headers=tuple(signed.headers.multi_items()), body=case.body, method=case.method,
            url=str(signed.url), uri=request_uri(signed.url),
        )
        try:
            with self.http.stream(case.method, signed.url, content=case.body, headers=signed.headers,
                                  follow_redirects=False) as answer:
                body, truncated = self._read(answer)
                elapsed = answer.elapsed.total_seconds() if _has_elapsed(answer) else 0.0
        except httpx.TimeoutException as exc:
            return Exchange(case, sent, None, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Exchange(case, sent, None, f"{type(exc).__name__}: {exc}")
        received = Response(headers=tuple(answer.headers.multi_items()), body=body,
                            status=answer.status_code, elapsed=elapsed, truncated=truncated)
        return Exchange(case, sent, received)

    def _read(self, answer: httpx.Response) -> tuple[bytes, bool]:
        chunks, size = [], 0
        for chunk in answer.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False


def _has_elapsed(answer: httpx.Response) -> bool:
    try:
        answer.elapsed
    except RuntimeError:
        return False
    return True
