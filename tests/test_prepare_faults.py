"""prepareAuthInfo's power: every faulty client and server is caught by exactly its requirement."""

from __future__ import annotations

import pytest

from conformance.reference.prepare_faults import PREPARE_FAULTS

from .conftest import Certify, statuses


@pytest.mark.parametrize("name", sorted(PREPARE_FAULTS))
def test_prepare_fault_is_caught_by_its_requirement(certify: Certify, name: str) -> None:
    fault = PREPARE_FAULTS[name]
    code, results = certify("--fault", name, examples=3)
    broken = statuses(results, "failed", "warned")
    assert set(fault.catches) <= broken, f"{name} not caught: {sorted(broken)}"
    assert broken <= set(fault.catches) | set(fault.also), f"{name} also broke {sorted(broken)}"
    must = any(r["level"] == "MUST" for r in results["requirements"] if r["id"] in fault.catches)
    assert code == (1 if must else 0)
    assert results["verdict"] == ("NOT CERTIFIED" if must else "CERTIFIED")
