"""prepareAuthInfo's power: every faulty client is caught by exactly its requirement."""

from __future__ import annotations

import pytest

from conformance.gateway.scenarios import SCENARIOS
from conformance.reference.faults_client import PREPARE_FAULTS

from .conftest import ROLE_FAILED, ROLE_PASSED, Certify, statuses, verdict

# A faulty client leaves the wallet's server untouched: its flows, and one inquiryUserInfo probe to
# show
# the wallet answers, are the whole run.
CLIENT_RUN = tuple(arg for s in SCENARIOS for arg in ("--only", f"test_wallet_flow[{s}]")) + (
    "--only",
    "test_other_method_refused[GET]",
)


@pytest.mark.parametrize("name", sorted(PREPARE_FAULTS))
def test_prepare_fault_is_caught_by_its_requirement(certify: Certify, name: str) -> None:
    fault = PREPARE_FAULTS[name]
    code, results = certify("--fault", name, *CLIENT_RUN, examples=3)
    broken = statuses(results, "failed", "warned")
    assert set(fault.catches) <= broken, f"{name} not caught: {sorted(broken)}"
    assert broken <= set(fault.catches) | set(fault.also), f"{name} also broke {sorted(broken)}"
    must = any(r["level"] == "MUST" for r in results["requirements"] if r["id"] in fault.catches)
    assert verdict(code, results) == (ROLE_FAILED if must else ROLE_PASSED)


def test_a_requirement_with_nothing_to_judge_is_untested_never_passed(certify: Certify) -> None:
    code, results = certify("--fault", "pai-never-sends", *CLIENT_RUN, examples=1)
    assert verdict(code, results) == ROLE_FAILED
    assert statuses(results, "failed") == {"PAI-FLOW-SENDS"}
    # The trigger was answered (PAI-TRIGGER); nothing the wallet's client sends was there to judge.
    client = {r["id"] for r in results["requirements"] if r["id"].startswith("PAI-")}
    assert statuses(results, "passed") & client == {"PAI-TRIGGER"}
    assert all(r["exchanges"] for r in results["requirements"] if r["status"] == "passed")
