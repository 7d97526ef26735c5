"""Faulty wallets whose answers break the response contract: format, headers, signature, limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conformance import signing
from conformance.reference.fault_registry import fault
from conformance.reference.pipeline import Pipeline


class ResultEdited(Pipeline):
    """A wallet whose result object is edited once built: `edit` says how."""

    def result(self, code: str, message: str = "") -> dict[str, Any]:
        out = super().result(code, message)
        self.edit(code, message, out)
        return out

    def edit(self, code: str, message: str, out: dict[str, Any]) -> None:
        raise NotImplementedError


@fault(
    "long-result-message",
    "IUI-RESP-LIMIT-SOFT",
    summary="Appends a 300-character trace to failure messages.",
)
class LongResultMessage(ResultEdited):
    def edit(self, code: str, message: str, out: dict[str, Any]) -> None:
        if code != "SUCCESS":
            out["resultMessage"] += (
                " | trace: " + "at com.wallet.Handler.inquire(Handler.java:42) " * 6
            )


@fault("empty-result-message", "IUI-RESP-NO-EMPTY", summary='Sends resultMessage "" on SUCCESS.')
class EmptyResultMessage(ResultEdited):
    def edit(self, code: str, message: str, out: dict[str, Any]) -> None:
        if code == "SUCCESS":
            out["resultMessage"] = ""


@fault(
    "message-as-list",
    "IUI-RESP-SCHEMA",
    summary="Sends PARAM_ILLEGAL's resultMessage as a list of errors.",
)
class MessageAsList(ResultEdited):
    def edit(self, code: str, message: str, out: dict[str, Any]) -> None:
        if code == "PARAM_ILLEGAL":
            out["resultMessage"] = [out["resultMessage"]]


@fault(
    "long-result-code",
    "IUI-RESP-LIMIT",
    "IUI-RESULT-CODE",
    summary="Appends the failing field to PARAM_ILLEGAL, past 64 characters and out of the table.",
    also=("IUI-INVALID-PARAM-ILLEGAL",),
)
class LongResultCode(ResultEdited):
    def edit(self, code: str, message: str, out: dict[str, Any]) -> None:
        if code == "PARAM_ILLEGAL":
            detail = (message or "invalid").upper().replace(" ", "_")
            out["resultCode"] = f"PARAM_ILLEGAL_{detail}_{'X' * 64}"


@fault(
    "text-plain-response",
    "IUI-TRANSPORT-CONTENT-TYPE",
    summary="Labels its JSON answers text/plain.",
)
class TextPlainResponse(Pipeline):
    def content_type(self) -> str:
        return "text/plain; charset=UTF-8"


@fault(
    "http-400-on-refusal",
    "IUI-TRANSPORT-HTTP-200",
    summary="Answers refusals with HTTP 400 (same JSON body).",
)
class Http400OnRefusal(Pipeline):
    def http_status(self, code: str) -> int:
        return 200 if code == "SUCCESS" else 400


@fault(
    "response-time-no-offset", "IUI-RESP-HEADERS", summary="Writes Response-Time without an offset."
)
class ResponseTimeNoOffset(Pipeline):
    def response_time(self) -> str:
        return datetime.now().strftime("%Y-%m-%dT%H:%M:%S")


@fault(
    "unsigned-with-response-time",
    "IUI-RESP-SIGNED",
    summary="Leaves failures unsigned but still sends Response-Time, which the SDKs refuse.",
)
class UnsignedWithResponseTime(Pipeline):
    def sign_response(
        self, uri: str, client_id: str | None, body: bytes, status: str
    ) -> dict[str, str]:
        if status == "S":
            return super().sign_response(uri, client_id, body, status)
        return {"Response-Time": signing.now()}
