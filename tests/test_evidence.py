"""Evidence shows the wire: whole bodies up to the read bound, header names in the case they were
sent and received, redacted before anything is cut; the transcript goes where it is told."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance import signing
from conformance.cli import main
from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.core.model import Case, Exchange, Outcome, Request, Response
from conformance.core.redact import PIECE, Redactor
from conformance.engine.evidence import exchange_evidence, outcome_evidence
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve
from conformance.transport.sender import MAX_RESPONSE_BYTES

from .conftest import Certify

SIGNED = ("Client-Id", "Request-Time", "Signature")


def transcript(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "transcript.jsonl").read_text().splitlines()]


def test_bodies_are_recorded_whole_up_to_the_read_bound(certify: Certify, tmp_path: Path) -> None:
    certify("--only", "test_provider_schema_invalid_request_refused", examples=1)
    urls = []
    for entry in transcript(tmp_path):
        assert not entry["request"]["body"].endswith("more characters)")
        body = json.loads(entry["request"]["body"] or "null")
        if isinstance(body, dict) and isinstance(body.get("authUrl"), str):
            urls.append(len(body["authUrl"]))
    assert 2049 in urls and max(urls) > 4096  # over the limit, and past the old 4 KiB cut


def test_a_body_past_the_read_bound_is_redacted_before_it_is_cut() -> None:
    token = "T0k3n-" + "abcdefghij" * 10
    # The read bound falls inside the token, and the text goes on after it.
    body = (
        b"x" * (MAX_RESPONSE_BYTES - 50) + json.dumps({"accessToken": token}).encode() + b"y" * 200
    )
    ex = Exchange(Case("inquiryUserInfo", "valid", body), Request((), body), None, "timeout")
    text = exchange_evidence(ex, Redactor([token]))["request"]["body"]
    assert text.endswith("more characters)") and len(text) < MAX_RESPONSE_BYTES + 40
    assert not any(token[i : i + PIECE] in text for i in range(len(token) - PIECE))


def title_case_answers(app: Any) -> Any:
    """The reference wallet answering with header names in title case, as many servers do."""

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        async def titled(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k.title(), v) for k, v in message["headers"]]
            await send(message)

        await app(scope, receive, titled)

    return wrapped


def test_header_names_keep_the_case_they_crossed_the_wire_in(
    certify: Certify, tmp_path: Path
) -> None:
    with serve(title_case_answers(make_wallet(None).app())) as url:
        profile = tmp_path / "staging.toml"
        profile.write_text(data.profile_toml(url))
        certify(
            "--profile",
            str(profile),
            "--only",
            "test_other_method_refused[GET]",
            "--only",
            "test_header_deviation[header-names-lower-case]",
        )
    entries = {e["test"].split("[")[0]: e for e in transcript(tmp_path)}
    sent = [name for name, _ in entries["test_other_method_refused"]["request"]["headers"]]
    lowered = [name for name, _ in entries["test_header_deviation"]["request"]["headers"]]
    answered = [name for name, _ in entries["test_other_method_refused"]["response"]["headers"]]
    assert set(SIGNED) <= set(sent) and "client-id" not in sent
    assert {"client-id", "request-time", "signature"} <= set(lowered)
    assert {"Client-Id", "Response-Time", "Signature", "Content-Type"} <= set(answered)


def test_the_gateway_records_the_wallets_header_names_as_sent(certify: Certify) -> None:
    _, results = certify("--fault", "pai-time-format", "--only", "test_wallet_flow[success]")
    row = next(r for r in results["requirements"] if r["id"] == "PAI-REQ-TIME")
    names = [name for name, _ in row["evidence"][0]["exchanges"][0]["request"]["headers"]]
    assert set(SIGNED) <= set(names) and "Content-Type" in names


def test_the_transcript_goes_where_it_is_told_and_is_still_verified(tmp_path: Path) -> None:
    report, moved = tmp_path / "out/report.html", tmp_path / "logs/run.jsonl"
    argv = ["run", "-q", "--examples", "1", "--only", "test_other_method_refused[GET]"]
    assert main([*argv, "--report", str(report), "--transcript", str(moved)]) == EXIT_PARTIAL
    results = json.loads((tmp_path / "out/results.json").read_text())
    assert moved.exists() and not (tmp_path / "out/transcript.jsonl").exists()
    assert results["transcript"]["file"] == "../logs/run.jsonl"
    assert main(["verify-report", str(report)]) == 0


# -- a response signature that does not verify: what it was checked over, and by which key -------

URI = "/mpp/v1/alipayplus/inquiryUserInfo"
TIME = "2026-01-02T03:04:05+08:00"
BODY = b'{"result":{"resultStatus":"S"},\n "userInfo":{"userId":"21601"}}'


def _answered(signature: str) -> Exchange:
    request = Request(
        headers=(("Client-Id", data.ALIPAYPLUS_CLIENT_ID),),
        body=b"{}",
        uri=URI,
        url="http://w" + URI,
    )
    response = Response(
        headers=(
            ("Client-Id", data.WALLET_CLIENT_ID),
            ("Response-Time", TIME),
            ("Signature", f"algorithm=RSA256,keyVersion=1,signature={signature}"),
        ),
        body=BODY,
        status=200,
    )
    return Exchange(Case("inquiryUserInfo", "valid", b"{}"), request, response)


def _evidence(ex: Exchange) -> dict[str, Any]:
    failed = Outcome("IUI-RESP-SIGNED", False, "does not verify", "valid", "invalid", (ex,))
    key = data.public_key("wallet")
    return outcome_evidence(failed, "t", Redactor(), None, (), key=key)


def test_a_signature_over_other_bytes_shows_the_exact_content_and_that_the_key_is_right() -> None:
    content = f"POST {URI}\n{data.WALLET_CLIENT_ID}.{TIME}.".encode()
    # The wallet's key, over the body written out again: the right key, other bytes.
    other = signing.sign(
        content + b'{"result":{"resultStatus":"S"},"userInfo":{"userId":"21601"}}',
        data.private_key("wallet"),
    )
    [shown] = _evidence(_answered(other))["signatures"]
    assert shown["signature"] == other  # public: shown, never redacted
    assert shown["contents"][0] == (content + BODY).decode()  # the exact bytes, as received
    assert shown["verifies"] is False and shown["key"] == "right"
    # Another key altogether: the content is the same, the key is the one to fix.
    stranger = signing.sign(content + BODY, data.private_key("stranger"))
    [shown] = _evidence(_answered(stranger))["signatures"]
    assert shown["verifies"] is False and shown["key"] == "other"
    # The reason the check gives says the same.
    assert "made with the expected key, over other bytes" in signing.why_not_verified(
        content + BODY, other, data.public_key("wallet")
    )


def test_a_body_that_is_not_utf8_is_shown_as_hex_escapes_in_the_checked_content() -> None:
    ex = _answered("abc")
    raw = replace(ex.response, body=b'{"x":"\xff\xfe"}') if ex.response else None
    [shown] = _evidence(replace(ex, response=raw))["signatures"]
    assert shown["contents"][0].endswith('.{"x":"\\xff\\xfe"}')


def test_a_wallet_request_signed_wrongly_shows_what_the_gateway_checked(certify: Certify) -> None:
    """The wallet's own request to the suite's gateway: its signature, the exact content it was
    checked over (method, the path it asked for, its Client-Id and Request-Time, the body as
    sent), and that its key made it over other bytes (here, another digest)."""
    flows = ("--only", "test_wallet_flow[success]", "--only", "test_other_method_refused[GET]")
    code, results = certify("--fault", "pai-signs-sha1", *flows)
    row = next(r for r in results["requirements"] if r["id"] == "PAI-REQ-SIGNED")
    assert code == 1 and row["status"] == "failed"
    shown = row["evidence"][0]["signatures"][0]
    assert shown["signed"] == "request" and shown["key"] == "right" and not shown["verifies"]
    request = row["evidence"][0]["exchanges"][0]["request"]
    client_id = dict(request["headers"])["Client-Id"]
    assert shown["contents"][0].startswith(f"POST {data.GATEWAY_PATH}\n{client_id}.")
    assert shown["contents"][0].endswith(request["body"])
