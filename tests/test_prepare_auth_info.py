"""prepareAuthInfo end to end: optional profile sections, silent or hanging wallets, passive
listening."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance import profile as profiles
from conformance.cli import main
from conformance.core.errors import ProfileError
from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.reference import data
from conformance.reference.faults import make_wallet
from conformance.reference.threaded import serve

from .conftest import Certify, statuses
from .gateway_port import aim

FLOWS = ("--only", "test_wallet_flow[success]", "--only", "test_wallet_flow[f-PROCESS_FAIL]")
PROBE = ("--only", "test_other_method_refused[GET]")


def _profile(tmp_path: Path, base_url: str, sections: str) -> Path:
    path = tmp_path / "wallet.toml"
    path.write_text(data.profile_toml(base_url) + sections, encoding="utf-8")
    return path


@pytest.fixture
def wallet_url() -> Iterator[str]:
    with serve(make_wallet(None).app()) as url:
        yield url


def _harness(behaviour: str, released: threading.Event) -> Starlette:
    async def trigger(request: Request) -> JSONResponse:
        await request.body()
        if behaviour == "hang":  # answers once the run has ended (or after 120 s, see below)
            await asyncio.to_thread(released.wait, 120)
        return JSONResponse({"outcome": "error", "error": "the wallet is offline"})

    return Starlette(routes=[Route("/trigger", trigger, methods=["POST"])])


def _rows(results: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [r for r in results["requirements"] if r["id"].startswith(prefix)]


def test_profile_without_prepare_sections_reports_them_not_applicable(
    certify: Certify, tmp_path: Path, wallet_url: str
) -> None:
    code, results = certify("--profile", str(_profile(tmp_path, wallet_url, "")), *PROBE)
    assert code == EXIT_PARTIAL and results["verdict"] == "PARTIAL"
    for prefix in ("PAI-", "PAS-"):
        rows = _rows(results, prefix)
        assert rows and all(r["status"] == "not applicable" and r["reason"] for r in rows)
    assert results["counts"]["not applicable"] == len(_rows(results, "PA"))


def test_gateway_without_trigger_leaves_flow_rules_not_applicable(
    certify: Certify, tmp_path: Path, wallet_url: str
) -> None:
    sections = '[gateway]\nport = 0\nclient_id = "MPP_REFERENCE_WALLET_01"\n'
    code, results = certify("--profile", str(_profile(tmp_path, wallet_url, sections)), *PROBE)
    assert code == EXIT_PARTIAL
    na = {r["id"] for r in _rows(results, "PAI-") if r["status"] == "not applicable"}
    assert "PAI-S-REDIRECT" in na and "PAI-RETRY-U" in na and "PAI-REQ-SIGNED" not in na
    assert all("[trigger]" in r["reason"] for r in _rows(results, "PAI-") if r["id"] in na)


@pytest.mark.parametrize(
    "behaviour,broken",
    [
        ("silent", {"PAI-FLOW-SENDS"}),
        ("hang", {"PAI-FLOW-SENDS", "PAI-TRIGGER"}),
    ],
)
def test_wallet_that_never_sends_ends_with_a_clear_failure(
    certify: Certify, tmp_path: Path, wallet_url: str, behaviour: str, broken: set[str]
) -> None:
    released = threading.Event()
    with serve(_harness(behaviour, released)) as harness:
        sections = (
            f"[gateway]\nport = 0\nsettle = 0\n\n[trigger]\nurl = "
            f'"{harness}/trigger"\ntimeout = 0.3\n'
        )
        started = time.monotonic()
        try:
            code, results = certify(
                "--profile", str(_profile(tmp_path, wallet_url, sections)), *FLOWS
            )
        finally:
            released.set()
    assert time.monotonic() - started < 60  # ended on its own, well before any harness would
    assert code == 1 and results["verdict"] == "NOT CERTIFIED"
    assert statuses(results, "failed") == broken
    sends = next(r for r in results["requirements"] if r["id"] == "PAI-FLOW-SENDS")
    assert "no prepareAuthInfo request arrived" in sends["evidence"][0]["message"]
    if "PAI-TRIGGER" in broken:  # named by the harness's URL, not the gateway's
        trigger = next(r for r in results["requirements"] if r["id"] == "PAI-TRIGGER")
        assert f"{harness}/trigger" in trigger["evidence"][0]["message"]


def test_gateway_port_in_use_is_a_clear_error_not_a_hang(
    certify: Certify, tmp_path: Path, wallet_url: str
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        sections = (
            f"[gateway]\nport = {held.getsockname()[1]}\n\n[trigger]\npath = "
            f'"{data.HARNESS_PATH}"\n'
        )
        code, results = certify("--profile", str(_profile(tmp_path, wallet_url, sections)), *FLOWS)
    assert code == 4 and results["verdict"] == "NOT CERTIFIED"  # found by the preflight
    assert "[gateway] port" in results["reasons"][0] and "cannot be served" in results["reasons"][0]


def test_command_trigger_drives_the_wallet(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = make_wallet(None)
    aim(monkeypatch, wallet)
    with serve(wallet.app()) as url:
        forward = (
            f"import sys, httpx; print(httpx.post('{url}{data.HARNESS_PATH}', "
            "content=sys.stdin.buffer.read(), timeout=30).text)"
        )
        command = json.dumps([sys.executable, "-c", forward])
        sections = (
            f'[gateway]\nport = 0\nsettle = 0\nclient_id = "{data.WALLET_CLIENT_ID}"\n'
            f"wallet_timeout = {data.CLIENT_TIMEOUT}\n\n[trigger]\ncommand = {command}\ntimeout = "
            f"30\n"
        )
        code, results = certify("--profile", str(_profile(tmp_path, url, sections)), *FLOWS, *PROBE)
    assert code == EXIT_PARTIAL and statuses(results, "failed", "warned") == set()
    assert {"PAI-TRIGGER", "PAI-S-REDIRECT", "PAI-F-NO-RETRY", "PAI-REQ-SIGNED"} <= statuses(
        results, "passed"
    )


def _listen(tmp_path: Path, profile: Path, seconds: float) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "listen" / "report.html"
    code = main(
        [
            "listen",
            "-q",
            "--profile",
            str(profile),
            "--duration",
            str(seconds),
            "--report",
            str(report),
        ]
    )
    return code, json.loads(report.with_name("results.json").read_text())


def test_listen_with_nothing_arriving_fails_clearly(tmp_path: Path, wallet_url: str) -> None:
    profile = _profile(tmp_path, wallet_url, "[gateway]\nport = 0\nsettle = 0\n")
    code, results = _listen(tmp_path, profile, 0.3)
    assert code == 1 and statuses(results, "failed") == {"PAI-FLOW-SENDS"}
    assert all(
        r["status"] == "not applicable"
        for r in results["requirements"]
        if not r["id"].startswith("PAI-")
    )


def test_listen_judges_what_a_scanning_wallet_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = make_wallet("pai-time-format")
    with serve(wallet.app()) as url:
        profile = _profile(
            tmp_path,
            url,
            f'[gateway]\nport = 0\nsettle = 0\nclient_id = "{data.WALLET_CLIENT_ID}"\n',
        )

        def scan() -> None:  # once the gateway listens: its request has arrived when this ends
            httpx.post(
                url + data.HARNESS_PATH,
                json={"authUrl": "https://openauth.alipay.com/x?state=1"},
                timeout=30,
            )

        aim(monkeypatch, wallet, scan)
        code, results = _listen(tmp_path, profile, 0.3)
    assert code == 1 and statuses(results, "failed") == {"PAI-REQ-TIME"}
    assert {"PAI-FLOW-SENDS", "PAI-REQ-SIGNED", "PAI-REQ-CLIENT-ID"} <= statuses(results, "passed")


def test_listen_refuses_a_profile_without_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "listen",
            "--profile",
            str(_profile(tmp_path, "http://127.0.0.1:9", "")),
            "--duration",
            "1",
        ]
    )
    assert code == 2 and "[gateway] is missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    "sections,field",
    [
        ("[gateway]\nport = 70000\n", "[gateway] port"),
        ('[gateway]\nwallet_timeout = "ten"\n', "[gateway] wallet_timeout"),
        ('[gateway]\npath = "prepare"\n', "[gateway] path"),
        ('[gateway]\nwallet_public_key = "missing.pem"\n', "[gateway] wallet_public_key"),
        ('[trigger]\nurl = "http://h/t"\ncommand = ["x"]\n', "[trigger]"),
        ('[trigger]\nurl = "ftp://h/t"\n', "[trigger] url"),
        ('[provider]\nbase_url = "http://h"\nclient_id = "C"\n', "[provider] signing_key"),
    ],
)
def test_bad_prepare_sections_get_one_line_naming_the_field(
    tmp_path: Path, sections: str, field: str
) -> None:
    text = _profile(tmp_path, "http://127.0.0.1:9", sections).read_text()
    with pytest.raises(ProfileError) as caught:
        profiles.parse(tomllib.loads(text), tmp_path)
    assert str(caught.value).startswith(field) and "\n" not in str(caught.value)
