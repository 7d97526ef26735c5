"""The trigger protocol: ask the wallet's harness to start a flow for an authUrl and report its
outcome."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.core.model import Case, Exchange, Request, Response
from conformance.profile.sections import TriggerSettings
from conformance.transport.disturbance import failure, page

OUTCOMES = ("redirect", "error")


@dataclass(frozen=True)
class FlowResult:
    """What the harness reported for one flow; problem says why no usable outcome came back."""

    outcome: str | None
    redirect_url: str | None = None
    error: str | None = None
    problem: str | None = None
    # The suite stopped waiting on its own (the wallet kept retrying): the harness is not at fault.
    abandoned: bool = False
    exchange: Exchange | None = None
    # The network kept the harness's answer from the suite (a reset, no connection, an
    # intermediary's 502/503/504 page): the flow says nothing of the wallet and is played again.
    disturbed: str | None = None


def interpret(payload: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(outcome, redirectUrl, error, problem) from the harness's JSON answer."""
    if not isinstance(payload, dict):
        return None, None, None, "the trigger's answer is not a JSON object"
    outcome = payload.get("outcome")
    if outcome not in OUTCOMES:
        return None, None, None, f"outcome is {outcome!r}, not one of {', '.join(OUTCOMES)}"
    url, error = payload.get("redirectUrl"), payload.get("error")
    if outcome == "redirect" and not (isinstance(url, str) and url):
        return None, None, None, "outcome redirect without a redirectUrl string"
    return (
        outcome,
        url if outcome == "redirect" else None,
        str(error) if error is not None else None,
        None,
    )


class Trigger:
    """Starts flows through an HTTP endpoint or a command; every failure becomes a FlowResult."""

    def __init__(self, settings: TriggerSettings, base_url: str) -> None:
        self.settings = settings
        self.url = settings.url or (base_url + settings.path if settings.path else None)
        self.http = httpx.Client(timeout=settings.timeout)

    def close(self) -> None:
        self.http.close()

    @property
    def where(self) -> str:
        return self.url or " ".join(self.settings.command)

    def start(self, auth_url: str, scenario: str) -> FlowResult:
        payload = json.dumps({"authUrl": auth_url, "scenario": scenario}).encode()
        started = time.monotonic()
        if self.url is not None:
            status, body, problem = self._post(payload)
        else:
            status, body, problem = self._run(payload)
        request = Request(
            headers=(("content-type", "application/json"),),
            body=payload,
            url=self.where,
            uri=self.where,
        )
        response = (
            None
            if body is None
            else Response(headers=(), body=body, status=status, elapsed=time.monotonic() - started)
        )
        case = Case("prepareAuthInfo", "trigger", payload, note=scenario)
        exchange = Exchange(case, request, response, problem)
        try:
            parsed = json.loads((body or b"").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            parsed = None
        if problem is not None or body is None:
            spoiled = failure(problem or "") if body is None else page(status, parsed)
            return FlowResult(
                None, problem=problem or "no answer", exchange=exchange, disturbed=spoiled
            )
        outcome, url, error, problem = interpret(parsed)
        return FlowResult(outcome, url, error, problem, exchange=exchange)

    def _post(self, payload: bytes) -> tuple[int, bytes | None, str | None]:
        assert self.url is not None
        try:
            answer = self.http.post(
                self.url, content=payload, headers={"Content-Type": "application/json"}
            )
        except httpx.TimeoutException:
            return 0, None, f"the trigger gave no outcome within {self.settings.timeout:g} s"
        except httpx.HTTPError as exc:  # named first, as a disturbance is read
            return 0, None, f"{type(exc).__name__}: {exc} (the trigger at {self.url})"
        if answer.status_code != 200:
            return (
                answer.status_code,
                answer.content,
                f"the trigger answered HTTP {answer.status_code}",
            )
        return 200, answer.content, None

    def _run(self, payload: bytes) -> tuple[int, bytes | None, str | None]:
        try:
            done = subprocess.run(
                list(self.settings.command),
                input=payload,
                capture_output=True,
                timeout=self.settings.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return (
                0,
                None,
                f"the trigger command gave no outcome within {self.settings.timeout:g} s",
            )
        except OSError as exc:
            return 0, None, f"the trigger command cannot run: {exc.strerror}"
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip()[-200:]
            return (
                done.returncode,
                done.stdout,
                f"the trigger command exited {done.returncode}: {tail}",
            )
        return 0, done.stdout, None
