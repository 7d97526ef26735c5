"""`conformance observe --role wallet`: in front of the reference wallet and each faulty variant,
independent Alipay+ traffic (valid and invalid signed calls) is judged by the requirement checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.catalogue import catalogue
from conformance.checks import registry
from conformance.observe.judge import Judge
from conformance.reference.faults import FAULTS, make_wallet
from conformance.reference.server import serve
from conformance.spec import contract

from .observe_traffic import (
    AlipayPlus,
    acceptance,
    assert_named,
    broken,
    profile,
    session,
    settings,
)

# Faults whose catching requirement the traffic can show but this acceptance traffic does not
# provoke, with the reason. None today.
NOT_PROVOKED: dict[str, str] = {}


def observed(tmp_path: Path, fault: str | None) -> dict[str, Any]:
    with (
        serve(make_wallet(fault).app()) as url,
        session(settings(profile(), url, "wallet"), tmp_path) as running,
    ):
        client = AlipayPlus(running.url)
        acceptance(client)
    assert running.results is not None
    assert running.results["observation"]["exchanges"] == len(client.answers)
    return running.results


def test_reference_wallet_shows_no_violation_even_on_invalid_calls(tmp_path: Path) -> None:
    results = observed(tmp_path, None)
    assert broken(results) == set()
    seen = results["observation"]
    assert results["verdict"] == f"observed: {seen['exchanges']} exchanges, 0 requirements violated"
    assert seen["exchanges"] == seen["judged"] == 25 and results["errors"] == []
    # Alipay+'s malformed calls are told apart from the wallet: judged, never counted against it.
    assert seen["requests"]["malformed"] >= 12 and seen["requests"]["well_formed"] >= 8
    assert {
        "REQ-SIGNED",
        "REQ-NO-EMPTY",
        "REQ-LIMIT",
        "REQ-STRING",
        "REQ-SCHEMA",
        "REQ-TIME",
    } <= set(seen["requests"]["broken"])
    rows = {r["id"]: r for r in results["requirements"]}
    for rid in (
        "IUI-RESP-SIGNED",
        "IUI-SCOPE-NO-EXTRA",
        "IUI-USERINFO-EXPECTED",
        "IUI-RESULT-CODE",
        "IUI-CLIENT-ID-ECHO",  # a response judged against its own request, so passively
    ):
        assert rows[rid]["status"] == "passed" and rows[rid]["exchanges"] > 0, rid
    # What only a request the suite chose can settle is never judged from traffic.
    for rid in ("IUI-SIG-VERIFY", "IUI-VALID-SUCCESS", "IUI-INVALID-REFUSED", "IUI-IDEMPOTENT"):
        assert rows[rid]["status"] == "not applicable" and "conformance run" in rows[rid]["reason"]


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_passively_visible_fault_is_named_by_its_requirement(
    tmp_path: Path, name: str
) -> None:
    fault = FAULTS[name]
    results = observed(tmp_path, name)
    assert_named(fault, results, provoked=name not in NOT_PROVOKED)


def test_what_traffic_can_show_is_declared_not_guessed() -> None:
    """Faults visible in passing are exactly those caught by a requirement no chosen request
    settles: the response contract, the signature, the profile's tokens."""
    judge = Judge(settings(profile(), "http://127.0.0.1:1", "wallet"), contract(), catalogue())
    judgeable = {r.id for r in catalogue() if r.api == "inquiryUserInfo"} - set(judge.na)
    visible = {name for name, f in FAULTS.items() if set(f.catches) & judgeable}
    assert visible == {
        "scope-leak", "number-not-string", "status-mismatch", "unsigned-success",
        "crashes-on-astral", "crashes-on-duplicate-keys", "drops-connection-on-empty-body",
        "long-result-message", "empty-result-message", "message-as-list", "long-result-code",
        "text-plain-response", "http-400-on-refusal", "response-time-no-offset",
        "unsigned-with-response-time", "undocumented-code", "drops-scope-field",
        "userinfo-on-failure", "pairwise-user-id", "wrong-user", "client-id-not-echoed",
        "nickname-leak",
    }  # fmt: skip
    # The behaviour checks judge an answer against the case the suite chose: declared, skipped.
    assert [c.fn.__name__ for c in registry() if c.chosen] == ["expectation"]
