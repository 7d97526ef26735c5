"""The fixed corpus that tells an observable mutant from an equivalent one, and the answers of
the package on the path to it, with what legitimately differs (times, signatures) read, not
compared.

wallet and provider: every request a reference run of the role sends (at more examples than a
default run, derandomized), replayed against the server's `handle`. client: every scripted gateway
reply sequence the suite plays, and some it does not, against the wallet's trigger and client.

Usage (PYTHONPATH at the package under test):
  python bench/mutants_corpus.py record ROLE CORPUS   the reference run's requests, as JSON
  python bench/mutants_corpus.py answer ROLE CORPUS   the normalized answers, as JSON
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
import tempfile
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from conformance import signing

ROLES = ("wallet", "provider", "client")
CORPUS_EXAMPLES = 20  # a default run draws 5 of a large property: the corpus sees more
AUTH_CODE = re.compile(r"authCode=([0-9a-f]*)")
# The headers the contract names; any other is HTTP's, and one more or less changes nothing.
CONTRACT_HEADERS = {"client-id", "content-type", "request-time", "response-time", "signature"}


def role_args(role: str) -> list[str]:
    """`--only` for every suite test of one role, as the project's fault tests run them."""
    if role == "client":
        from conformance.gateway.scenarios import SCENARIOS

        flows = [a for s in SCENARIOS for a in ("--only", f"test_wallet_flow[{s}]")]
        return flows + ["--only", "test_other_method_refused[GET]"]
    from conformance.suite import test_inquiry_user_info, test_prepare_auth_info_provider

    suite = test_inquiry_user_info if role == "wallet" else test_prepare_auth_info_provider
    return [a for n in dir(suite) if n.startswith("test_") for a in ("--only", n)]


# -- wallet and provider: the requests of a reference run ----------------------------------------


def _server_class(role: str) -> type[Any]:
    from conformance.reference.alipayplus import AlipayPlus
    from conformance.reference.wallet import Wallet

    return Wallet if role == "wallet" else AlipayPlus


def record(role: str) -> list[dict[str, Any]]:
    """Run the reference certification of a role, its servers in this process, and keep every
    request its server of the role was handed."""
    from conformance.cli import main
    from conformance.reference import apart
    from conformance.reference.faults import make_server, make_wallet
    from conformance.reference.service import Service
    from conformance.reference.threaded import serve

    seen: list[dict[str, Any]] = []
    served = _server_class(role)
    handle = Service.handle

    def recording(self: Any, method: str, uri: str, headers: Mapping[str, str], body: bytes) -> Any:
        if isinstance(self, served):
            seen.append(
                {
                    "method": method,
                    "uri": uri,
                    "headers": dict(headers),
                    "body": base64.b64encode(body).decode(),
                }
            )
        return handle(self, method, uri, headers, body)

    @contextmanager
    def in_process(kind: str, variant: str | None) -> Iterator[str]:
        service = make_wallet(variant) if kind == "wallet" else make_server(variant)
        with serve(service.app()) as url:
            yield url

    Service.handle = recording  # type: ignore[method-assign]
    seen += _beyond_the_suite(role)
    apart.serve_apart = in_process  # type: ignore[assignment]
    apart.prestart = lambda role, variant: None
    with tempfile.TemporaryDirectory() as tmp:
        report = str(Path(tmp) / "report.html")
        args = ["run", "-q", "--examples", str(CORPUS_EXAMPLES), "--report", report]
        main([*args, *role_args(role)])
    return sorted(seen, key=lambda r: json.dumps(r, sort_keys=True))


def _beyond_the_suite(role: str) -> list[dict[str, Any]]:
    """Valid requests the suite does not send: the provider asked for an authUrl it never issued,
    and for one it issued, its parameters in another order."""
    from conformance.reference import data

    if role != "provider":
        return []
    issued = data.AUTH_URLS[0]
    base, _, query = issued.partition("?")
    urls = [issued.replace("app_id=2021000000000001", "app_id=2021000000000002")]
    urls += [base + "?" + "&".join(reversed(query.split("&")))]
    found = []
    for url in urls:
        body = json.dumps({"authUrl": url, "acquirerId": data.ACQUIRER_ID}).encode()
        signed = signing.signed_headers(
            data.private_key("wallet"), "request", data.GATEWAY_PATH, data.WALLET_CLIENT_ID, body
        )
        headers = {k.lower(): v for k, v in signed.items()}
        headers["content-type"] = "application/json; charset=UTF-8"
        encoded = base64.b64encode(body).decode()
        found.append(
            {"method": "POST", "uri": data.GATEWAY_PATH, "headers": headers, "body": encoded}
        )
    return found


def _body(raw: bytes) -> Any:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"not-json": raw.decode("latin-1")}
    result = body.get("result") if isinstance(body, dict) else None
    message = result.get("resultMessage") if isinstance(result, dict) else None
    if isinstance(result, dict) and isinstance(message, str) and message:
        body["result"] = {**result, "resultMessage": "(text)"}  # free text: not its words
    return body


def _signature(
    headers: Mapping[str, str], uri: str, body: bytes, key: signing.PublicKey, stamp: str
) -> dict[str, Any]:
    """What a signed message's headers say, read: which are there, does the signature verify."""
    names = {k.lower(): v for k, v in headers.items()}
    value, time = names.get("signature"), names.get(stamp)
    found = signing.verify_message(
        value, key, uri=uri, client_ids=(names.get("client-id") or "",), time=time or "", body=body
    )
    return {
        "headers": sorted(set(names) & CONTRACT_HEADERS),
        "client-id": names.get("client-id"),
        "content-type": names.get("content-type"),
        "time-valid": time is not None and signing.is_valid_time(time),
        "verdict": found.verdict.name,
    }


def server_answers(role: str, corpus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from conformance.reference import data

    key = data.public_key("wallet" if role == "wallet" else "alipayplus")
    return answers_of(_server_class(role)(), key, corpus)


def answers_of(service: Any, key: signing.PublicKey, corpus: list[dict[str, Any]]) -> list[Any]:
    """A server's answers to the corpus, read: its signature verified with `key`, not compared."""
    found: list[Any] = []
    for request in corpus:
        body = base64.b64decode(request["body"])
        try:
            reply = service.handle(request["method"], request["uri"], request["headers"], body)
        except Exception as exc:  # noqa: BLE001  (a mutant's crash: the framework's 500 page)
            found.append({"exception": type(exc).__name__})
            continue
        found.append(
            {
                "status": reply.status,
                "body": _body(reply.body),
                **_signature(reply.headers, request["uri"], reply.body, key, "response-time"),
            }
        )
    return found


# -- client: scripted gateway replies --------------------------------------------------------------

LATE, DROP = "late", "drop"


def _flows() -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, reply per attempt (the last repeats), long authUrl): the suite's scenarios, then
    replies it does not play."""
    from conformance.gateway.scenarios import SCENARIOS

    found = [(s.name, s.steps, s.long_url) for s in SCENARIOS.values()]
    extra = ["s-no-redirect", "s-wrong-code", "http-500", "unsigned-f", "unsigned-u", "not-object"]
    found += [(name, (name,), False) for name in extra]
    found += [("u-then-f", ("UNKNOWN_EXCEPTION", "PROCESS_FAIL"), False)]
    return found


def _reply(
    step: str, uri: str, client_id: str | None, nonce: str
) -> tuple[int, dict[str, str], bytes]:
    from conformance.gateway import replies
    from conformance.gateway.scenarios import redirect_url
    from conformance.reference import data

    settings = data.embedded_profile().gateway
    assert settings is not None
    cid = client_id or data.WALLET_CLIENT_ID
    own: dict[str, Any] = {
        "s-no-redirect": {"result": replies.result("SUCCESS")},
        "s-wrong-code": {
            **replies.success_payload(data.PSP_ID, redirect_url(nonce)),
            "result": {**replies.result("PROCESS_FAIL"), "resultStatus": "S"},
        },
        "http-500": {"result": replies.result("PROCESS_FAIL")},
        "unsigned-f": {"result": replies.result("PROCESS_FAIL")},
        "unsigned-u": {"result": replies.result("UNKNOWN_EXCEPTION")},
        "not-object": [replies.result("SUCCESS")],
    }
    if step not in own:
        made = replies.build(step, settings, uri, cid, data.PSP_ID, redirect_url(nonce))
        return made.status, dict(made.headers), made.body
    body = json.dumps(own[step], separators=(",", ":")).encode()
    if step.startswith("unsigned"):
        return 200, {"Content-Type": replies.JSON_TYPE}, body
    return (
        (500 if step == "http-500" else 200),
        replies.signed_headers(settings, uri, cid, body),
        body,
    )


async def _flow(steps: tuple[str, ...], long_url: bool, nonce: str) -> dict[str, Any]:
    from conformance.gateway.scenarios import auth_url
    from conformance.reference import client as module
    from conformance.reference import data
    from conformance.reference.client import harness_app
    from conformance.reference.wallet import Wallet

    sent: list[dict[str, Any]] = []
    pauses: list[float] = []
    wallet_key = data.public_key("wallet")

    def gateway(request: httpx.Request) -> httpx.Response:
        uri = request.url.raw_path.decode()
        body = request.content
        sent.append(
            {
                "method": request.method,
                "uri": uri,
                "body": _body(body),
                **_signature(request.headers, uri, body, wallet_key, "request-time"),
            }
        )
        step = steps[min(len(sent), len(steps)) - 1]
        if step == LATE:
            raise httpx.ReadTimeout("late", request=request)
        if step == DROP:
            raise httpx.RemoteProtocolError("dropped", request=request)
        status, headers, content = _reply(step, uri, request.headers.get("client-id"), nonce)
        return httpx.Response(status, headers=headers, content=content)

    async def sleep(delay: float) -> None:
        pauses.append(round(delay, 6))

    module.asyncio = types.SimpleNamespace(sleep=sleep)  # type: ignore[attr-defined,assignment]
    wallet = Wallet()
    app = harness_app(wallet)
    client = wallet.prepare_client
    client.gateway_url = "http://gateway.test" + data.GATEWAY_PATH
    client.http = httpx.AsyncClient(transport=httpx.MockTransport(gateway))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://wallet.test"
    ) as trigger:
        answer = await trigger.post(data.HARNESS_PATH, json={"authUrl": auth_url(nonce, long_url)})
    return {
        "trigger": answer.status_code,
        "outcome": _outcome(answer),
        "sent": sent,
        "pauses": pauses,
    }


def _outcome(answer: httpx.Response) -> dict[str, Any]:
    """What the wallet decided: redirect (to where) or error. The harness's other words (the
    error's text, fields beside) are the test bed's, not the contract's."""
    shown = answer.json()
    url = shown.get("redirectUrl")
    if isinstance(url, str):  # its authCode is random: only its length is the wallet's
        url = AUTH_CODE.sub(lambda m: "authCode=" + "h" * len(m.group(1)), url)
    return {"outcome": shown.get("outcome"), "redirectUrl": url}


async def _bad_triggers() -> list[dict[str, Any]]:
    from conformance.reference import data
    from conformance.reference.client import harness_app
    from conformance.reference.wallet import Wallet

    found = []
    transport = httpx.ASGITransport(app=harness_app(Wallet()))
    async with httpx.AsyncClient(transport=transport, base_url="http://wallet.test") as trigger:
        for content in (b"not json", b"{}", b'{"url": "x"}', b"[1]"):
            answer = await trigger.post(data.HARNESS_PATH, content=content)
            found.append({"refused": not answer.is_success})  # its status and words are free
    return found


def client_answers() -> list[dict[str, Any]]:
    async def all_flows() -> list[dict[str, Any]]:
        found = []
        for i, (name, steps, long_url) in enumerate(_flows()):
            flow = await _flow(steps, long_url, f"mppc{i:016x}")
            found.append({"flow": name, "steps": list(steps), **flow})
        return found + await _bad_triggers()

    return asyncio.run(all_flows())


# -- what the documents leave open ----------------------------------------------------------------
# An answer that differs from the reference's only where a document sentence allows either is the
# mark of an equivalent mutant, not of a missed one: each rule below cites its sentence, and says
# why it applies. Anything else that differs is observable.

RETRY_FREE = (
    "the number of retries is not documented (contract-notes §5); within [gateway] max_attempts "
    "= {cap}, the profile's bound (PAI-RETRY-BOUNDED)"
)
WAIT_FREE = (
    "no wait is documented but after REQUEST_TRAFFIC_EXCEED_LIMIT ('back off and retry', "
    "contract-notes §5), where each wait is at least [gateway] min_backoff = {low:g} s"
)
MESSAGE_FREE = (
    "resultMessage is optional (contract-notes §4, Result: required no), and an optional "
    "parameter may be left out or set to null (contract-notes §5)"
)
NULL_FREE = "an optional parameter may be left out or set to null (contract-notes §5)"
AUTH_CODE_FREE = (
    "the authCode is the wallet's to generate, its form undocumented: 'After generating the "
    "authCode, the wallet appends the authCode to the redirect URL' (prepareAuthInfo.txt, "
    "authRedirectUrl); any non-empty one (PAI-S-REDIRECT)"
)
GENERATED = re.compile(r"authCode=h+")


def allowed(expected: Any, got: Any) -> str:
    """Why `got`, answered otherwise than the reference's `expected` to one corpus entry, is an
    answer the documents allow too; '' when it is not."""
    if not (isinstance(expected, dict) and isinstance(got, dict)):
        return ""
    if "flow" in expected and "flow" in got:
        return _client_allowed(expected, got)
    if "body" in expected and "body" in got and expected.keys() == got.keys():
        return _server_allowed(expected, got)
    return ""


def _server_allowed(expected: dict[str, Any], got: dict[str, Any]) -> str:
    if any(expected[k] != got[k] for k in expected if k != "body"):
        return ""
    reasons = []
    want, have = expected["body"], got["body"]
    if _without_nulls(want) != _without_nulls(have):
        want, have = _without_message(want), _without_message(have)
        reasons.append(MESSAGE_FREE)
    if want != have:
        reasons.append(NULL_FREE)
        if _without_nulls(want) != _without_nulls(have):
            return ""
    return "; ".join(reasons)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _without_message(body: Any) -> Any:
    """The body with its result's resultMessage left out when it is text or null ("" is kept: an
    empty parameter is a fault of its own)."""
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict) or result.get("resultMessage", None) not in (None, "(text)"):
        return body
    return {**body, "result": {k: v for k, v in result.items() if k != "resultMessage"}}


def _client_allowed(expected: dict[str, Any], got: dict[str, Any]) -> str:
    """The number of attempts and the waits between them, the only freedoms of a flow: the
    outcome, each request and the steps played must be the reference's."""
    from conformance.gateway.scenarios import TRAFFIC
    from conformance.reference import data

    settings = data.embedded_profile().gateway
    assert settings is not None
    fixed = ("flow", "steps", "trigger")
    if any(expected.get(k) != got.get(k) for k in fixed) or not got["sent"] or not expected["sent"]:
        return ""
    reasons = []
    if expected["outcome"] != got["outcome"]:
        if _any_code(expected["outcome"]) != _any_code(got["outcome"]):
            return ""
        reasons.append(AUTH_CODE_FREE)
    first = expected["sent"][0]
    # Every attempt carries the same parameters: "retry with the same parameters" (§5).
    if any(s != first for s in expected["sent"] + got["sent"]):
        return ""
    steps: list[str] = got["steps"]

    def step(attempt: int) -> str:
        return steps[min(attempt, len(steps)) - 1]

    n, m = len(expected["sent"]), len(got["sent"])
    if n != m:
        # Whether to retry is fixed (the reference's, asked of every U and of no result); how
        # often is not. Where the reference got the script's last reply more than once, it retries
        # that reply and stopped only when out of attempts: there the count is free, a retry at
        # least and within the profile's bound.
        if n <= len(steps) or m < max(2, len(steps)) or max(n, m) > settings.max_attempts:
            return ""
        reasons.append(RETRY_FREE.format(cap=settings.max_attempts))
    if expected["pauses"] != got["pauses"]:
        if len(got["pauses"]) != m - 1:
            return ""
        waits = zip(got["pauses"], (step(a) for a in range(1, m)), strict=True)
        if any(wait < settings.min_backoff for wait, s in waits if s == TRAFFIC):
            return ""
        reasons.append(WAIT_FREE.format(low=settings.min_backoff))
    return "; ".join(reasons)


def _any_code(outcome: dict[str, Any]) -> dict[str, Any]:
    url = outcome.get("redirectUrl")
    return {**outcome, "redirectUrl": GENERATED.sub("authCode=(any)", url)} if url else outcome


def main(argv: list[str]) -> int:
    action, role, path = argv
    if action == "record":
        Path(path).write_text(json.dumps(record(role) if role != "client" else []))
        return 0
    answers: Callable[[], list[dict[str, Any]]] = (
        client_answers
        if role == "client"
        else lambda: server_answers(role, json.loads(Path(path).read_text()))
    )
    print(json.dumps(answers(), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
