"""Frozen data passed between stages: Case -> Exchange -> Outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.core.redact import json_forms, token_tag
from conformance.signing import Tamper

Outcome_ = Literal["success", "refusal", "any"]


@dataclass(frozen=True)
class Expect:
    """What a correct wallet answers to a case."""

    outcome: Outcome_ = "any"
    # The behaviour requirement the case probes, and the one for the exact code.
    requirement: str | None = None
    code_requirement: str | None = None
    codes: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    """One request to send: exact body bytes and how its headers are made."""

    api: str
    kind: str
    body: bytes
    expect: Expect = Expect()
    method: str = "POST"
    content_type: str | None = "application/json; charset=UTF-8"
    tamper: Tamper = field(default_factory=Tamper)
    field: str | None = None
    token: str | None = None
    note: str = ""

    def __repr__(self) -> str:
        # Bodies can be 256 KiB: a falsifying example names the case and the start of its body,
        # its token replaced before the cut (a token cut in two would escape redaction).
        body = self.body
        for form in json_forms(self.token) if self.token else ():
            body = body.replace(form.encode(), token_tag(self.token or "").encode())
        body = body[:160] + (b"..." if len(body) > 160 else b"")
        return (
            f"Case(kind={self.kind!r}, field={self.field!r}, method={self.method!r}, body={body!r})"
        )

    @property
    def title(self) -> str:
        return (
            self.kind
            + (f"({self.field})" if self.field else "")
            + (f": {self.note}" if self.note else "")
        )


@dataclass(frozen=True)
class Message:
    """One side of an exchange as bytes on the wire; headers keep their received case."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        """The parsed body, or None when it is not a JSON object (parsed once: every check reads
        it, and none may change it)."""
        try:
            return self.__dict__["_parsed"]
        except KeyError:
            pass
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            value = None
        parsed = value if isinstance(value, dict) else None
        object.__setattr__(self, "_parsed", parsed)
        return parsed


@dataclass(frozen=True)
class Request(Message):
    method: str = "POST"
    url: str = ""
    uri: str = "/"


@dataclass(frozen=True)
class Response(Message):
    status: int = 0
    elapsed: float = 0.0
    truncated: bool = False


@dataclass(frozen=True)
class Disturbance:
    """An attempt the network spoiled (no answer, or an intermediary's page); the case was
    re-sent."""

    attempt: int
    kind: str  # reset, timeout, no connection, 502 page, 503 page or 504 page
    what: str  # the transport error, or the page's status and first characters


@dataclass(frozen=True)
class Exchange:
    """A case as sent and what came back (or the transport error instead)."""

    case: Case
    request: Request
    response: Response | None
    error: str | None = None
    # More than one when an answer with status U, or a disturbance, was re-sent after a back-off.
    attempts: int = 1
    disturbances: tuple[Disturbance, ...] = ()  # the earlier attempts the network spoiled

    @property
    def body(self) -> Any:
        return self.response.json() if self.response else None

    @property
    def result(self) -> dict[str, Any]:
        body = self.body
        result = body.get("result") if isinstance(body, dict) else None
        return result if isinstance(result, dict) else {}

    @property
    def code(self) -> str | None:
        code = self.result.get("resultCode")
        return code if isinstance(code, str) else None

    @property
    def result_status(self) -> str | None:
        """resultStatus of the answer (S, F or U), beside the HTTP status of `response`."""
        status = self.result.get("resultStatus")
        return status if isinstance(status, str) else None


@dataclass(frozen=True)
class Outcome:
    """One requirement judged on one exchange (or a group of exchanges)."""

    requirement: str
    ok: bool
    message: str = ""
    expected: str = ""
    received: str = ""
    exchanges: tuple[Exchange, ...] = field(default=(), compare=False)
