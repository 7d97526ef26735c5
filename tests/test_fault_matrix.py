"""The suite's power: every faulty wallet is caught by exactly its requirement; the reference
passes clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.generation.spaces import DEFAULT_EXAMPLES
from conformance.reference.correct import CORRECT
from conformance.reference.faults import FAULTS
from conformance.reference.faults_provider import PROVIDER_FAULTS
from conformance.suite import test_inquiry_user_info, test_prepare_auth_info_provider

from .conftest import ROLE_FAILED, ROLE_PASSED, Certify, statuses, verdict

# Faults in the HTTP framing itself, which only a real connection shows.
OVER_SOCKETS = {"drops-connection-on-empty-body", "pas-drops-connection-on-empty-body"}


def _only(suite: object) -> tuple[str, ...]:
    """--only for every test of one suite module: a run of that role alone."""
    return tuple(arg for name in dir(suite) if name.startswith("test_") for arg in ("--only", name))


IUI_RUN = _only(test_inquiry_user_info)
PROVIDER_RUN = _only(test_prepare_auth_info_provider)


def test_reference_wallet_is_certified_with_no_warning(certify: Certify, tmp_path: Path) -> None:
    code, results = certify(examples=DEFAULT_EXAMPLES)
    assert code == 0 and results["verdict"] == "CERTIFIED"
    # Every request earns its place: a default run sends what it planned, at most, and no more
    # than 400 inquiryUserInfo requests.
    assert 0 < results["run"]["requests"] <= results["run"]["planned"]
    lines = (tmp_path / "transcript.jsonl").read_text().splitlines()
    tests = {name for name in dir(test_inquiry_user_info) if name.startswith("test_")}
    assert sum(json.loads(line)["test"].split("[")[0] in tests for line in lines) <= 400
    assert statuses(results, "failed", "warned") == set()
    assert statuses(results, "untested") == set()
    assert {r["api"] for r in results["requirements"]} == {"inquiryUserInfo", "prepareAuthInfo"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.sockets] * (n in OVER_SOCKETS))
        for n in sorted(FAULTS) + sorted(PROVIDER_FAULTS)
    ],
)
def test_fault_is_caught_by_its_requirement(certify: Certify, name: str) -> None:
    fault = {**FAULTS, **PROVIDER_FAULTS}[name]
    # A variant changes one server only: its role's run shows everything it breaks. The other
    # roles stay the reference's, certified clean above.
    role = PROVIDER_RUN if name in PROVIDER_FAULTS else IUI_RUN
    # At the default examples: what a wallet team's run would catch.
    code, results = certify("--fault", name, *role, examples=DEFAULT_EXAMPLES)
    broken = statuses(results, "failed", "warned")
    assert set(fault.catches) <= broken, f"{name} not caught: {sorted(broken)}"
    assert broken <= set(fault.catches) | set(fault.also), f"{name} also broke {sorted(broken)}"
    must = any(
        results["requirements"][i]["level"] == "MUST"
        for i, r in enumerate(results["requirements"])
        if r["id"] in fault.catches
    )
    assert verdict(code, results) == (ROLE_FAILED if must else ROLE_PASSED)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_is_certified_with_no_warning(certify: Certify, name: str) -> None:
    provider = CORRECT[name].server is not None
    code, results = certify("--fault", name, *(PROVIDER_RUN if provider else IUI_RUN))
    assert verdict(code, results) == ROLE_PASSED
    assert statuses(results, "failed", "warned") == set()
    role = "PAS-" if provider else "IUI-"
    assert {rid for rid in statuses(results, "untested") if rid.startswith(role)} == set()
