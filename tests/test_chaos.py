"""A hostile wallet becomes recorded failures against the right requirement; the run ends and
reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.reference.chaos import Chaos, profile_toml
from conformance.reference.threaded import serve
from conformance.transport.sender import MAX_RESPONSE_BYTES

from .conftest import Certify, statuses

TIMEOUT = 0.3
TOKEN_TEST = "test_inactive_or_unknown_token_refused"
# A hostile answer is re-sent like a disturbance until the retries run out; short waits between.
FAST_BACKOFF = "[limits]\nbackoff = 0.01\nbackoff_max = 0.02\n"


@pytest.fixture(scope="module")
def away() -> Iterator[tuple[str, Chaos]]:
    """Another host (localhost, not 127.0.0.1) that must never be contacted."""
    chaos = Chaos()
    with serve(chaos) as url:
        yield url.replace("127.0.0.1", "localhost"), chaos


@pytest.fixture(scope="module")
def chaos(away: tuple[str, Chaos]) -> Iterator[tuple[str, Chaos]]:
    # A byte every 0.1 s never trips the 0.3 s read timeout: only the total deadline ends it.
    target = Chaos(away=away[0] + "/ok", trickle_interval=0.1)
    with serve(target) as url:
        yield url, target


def run_against(
    certify: Certify, tmp_path: Path, base_url: str, behaviour: str, *args: str, extra: str = ""
) -> tuple[int, dict[str, Any]]:
    profile = tmp_path / "chaos.toml"
    profile.write_text(profile_toml(base_url, behaviour, TIMEOUT, FAST_BACKOFF + extra))
    return certify("--profile", str(profile), *args, examples=2)


def row(results: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in results["requirements"] if r["id"] == rid)


def evidence_text(results: dict[str, Any], rid: str) -> str:
    ev = row(results, rid)["evidence"][0]
    return " ".join(
        [ev["message"], ev["received"], *(str(x.get("error")) for x in ev["exchanges"])]
    )


@pytest.mark.parametrize(
    "behaviour, requirement, says",
    [
        ("hang", "IUI-TRANSPORT-ANSWER", "no complete answer within 0.3 s"),
        ("trickle", "IUI-TRANSPORT-ANSWER", "no complete answer within 0.3 s"),
        ("drop", "IUI-TRANSPORT-ANSWER", "RemoteProtocolError"),
        ("huge", "IUI-TRANSPORT-ANSWER", f"more than {MAX_RESPONSE_BYTES} bytes"),
        ("not-json", "IUI-TRANSPORT-JSON", "b'OK'"),
        ("bad-utf8", "IUI-TRANSPORT-JSON", "\\xff"),
        ("500", "IUI-TRANSPORT-JSON", "<html>"),
        ("502", "IUI-TRANSPORT-JSON", "<html>"),
        ("404", "IUI-TRANSPORT-JSON", "<html>"),
        ("redirect", "IUI-TRANSPORT-JSON", "redirect to /ok (redirects are never followed)"),
    ],
)
def test_hostile_answer_is_a_recorded_failure(
    certify: Certify,
    tmp_path: Path,
    chaos: tuple[str, Chaos],
    behaviour: str,
    requirement: str,
    says: str,
) -> None:
    code, results = run_against(certify, tmp_path, chaos[0], behaviour, "--only", TOKEN_TEST)
    assert results["verdict"] == "NOT CERTIFIED" and code in (1, 3, 4)  # 4: the preflight's 404
    assert requirement in statuses(results, "failed")
    assert says in evidence_text(results, requirement)
    assert (tmp_path / "report.html").exists() and (tmp_path / "junit.xml").exists()


def test_error_pages_also_warn_about_the_http_status(
    certify: Certify, tmp_path: Path, chaos: tuple[str, Chaos]
) -> None:
    _, results = run_against(certify, tmp_path, chaos[0], "502", "--only", TOKEN_TEST)
    assert {"IUI-TRANSPORT-HTTP-200", "IUI-TRANSPORT-CONTENT-TYPE"} <= statuses(results, "warned")


def test_redirect_to_another_host_is_never_followed(
    certify: Certify, tmp_path: Path, chaos: tuple[str, Chaos], away: tuple[str, Chaos]
) -> None:
    _, results = run_against(certify, tmp_path, chaos[0], "redirect-away", "--only", TOKEN_TEST)
    assert f"redirect to {away[0]}/ok" in evidence_text(results, "IUI-TRANSPORT-JSON")
    assert sum(away[1].calls.values()) == 0


def test_occasional_drops_are_re_sent_and_too_many_leave_the_run_inconclusive(
    certify: Certify, tmp_path: Path, chaos: tuple[str, Chaos]
) -> None:
    code, results = run_against(
        certify,
        tmp_path,
        chaos[0],
        "drop/every/3",
        "--only",
        TOKEN_TEST,
        "--only",
        "test_limits_counted_in_characters",
    )
    # Each dropped answer is sent again and the wallet's own answer judged: nothing fails, but a
    # third of the requests disturbed is far more than the budget, so the run proves nothing.
    assert statuses(results, "failed") == set() and "IUI-LIMIT-CHARS" in statuses(results, "passed")
    assert code == 5 and results["verdict"] == "INCONCLUSIVE"
    spoiled = results["run"]["disturbances"]
    assert spoiled["kinds"] == {"reset": spoiled["total"]} and spoiled["total"] > 0
    assert results["run"]["not_run"] == []


def test_a_silent_target_stops_the_run_at_the_preflight(
    certify: Certify, tmp_path: Path, chaos: tuple[str, Chaos]
) -> None:
    code, results = run_against(certify, tmp_path, chaos[0], "hang")
    assert code == 3 and results["verdict"] == "NOT CERTIFIED"
    assert results["preflight"]["passed"] is False
    assert results["run"]["requests"] <= 4  # the preflight's request and its re-sends
    assert "gave no answer within 0.3 s" in results["reasons"][0]
    assert all(
        n["reason"] == "the preflight found the set-up wrong" for n in results["run"]["not_run"]
    )


def test_a_target_gone_silent_stops_the_run_and_the_rest_is_not_run(
    certify: Certify, tmp_path: Path, chaos: tuple[str, Chaos]
) -> None:
    target = chaos[1]

    async def after_the_preflight(scope: Any, receive: Any, send: Any) -> None:
        answer = target.reference if target.calls["/gone-silent"] == 1 else target.hang
        await answer(scope, receive, send)

    target.behaviours["gone-silent"] = after_the_preflight
    code, results = run_against(
        certify, tmp_path, chaos[0], "gone-silent", extra="give_up_after = 4\n"
    )
    assert code == 3 and results["verdict"] == "NOT CERTIFIED"
    assert results["preflight"]["passed"] is True
    assert results["run"]["requests"] <= 4 + 8  # at most one batch of workers was in flight
    assert results["run"]["not_run"] and all(
        "4 requests in a row" in n["reason"] for n in results["run"]["not_run"]
    )
    assert statuses(results, "passed") == set()
