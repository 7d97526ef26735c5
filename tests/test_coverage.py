"""Every MUST requirement of the server roles (inquiryUserInfo, prepareAuthInfo provider) is probed
by a suite test and caught by a faulty implementation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.contract.catalogue import catalogue
from conformance.reference.faults import FAULTS, all_faults
from conformance.reference.faults_provider import PROVIDER_FAULTS

# MUST requirements no faulty implementation can break, each with the reason. None today: even
# IUI-USERINFO-EXPECTED (declared by the profile) is broken by `wrong-user`. The lower-case
# header names of *-SIG-HEADER-FORMS cannot be broken behind an ASGI server (it lowers them
# before the server sees them), but the requirement is caught through its spaced form.
UNBREAKABLE: dict[str, str] = {}
ROLES = {"IUI": FAULTS, "PAS": PROVIDER_FAULTS}


def _musts(prefix: str) -> set[str]:
    return {r.id for r in catalogue() if r.id.startswith(prefix + "-") and r.level == "MUST"}


def test_every_must_requirement_is_probed_by_a_suite_test(reference_run: Path) -> None:
    """The session's shared reference run (3 examples a property, fewer than the default) probes
    them all."""
    results = json.loads((reference_run / "results.json").read_text())
    rows = {r["id"]: r for r in results["requirements"]}
    unprobed = {
        rid
        for prefix in ROLES
        for rid in _musts(prefix)
        if rows[rid]["status"] == "untested" or not rows[rid]["tests"]
    }
    assert results["verdict"] == "CERTIFIED" and unprobed == set()


@pytest.mark.parametrize("prefix", list(ROLES))
def test_every_must_requirement_is_caught_by_a_fault(prefix: str) -> None:
    caught = {rid for f in ROLES[prefix].values() for rid in f.catches}
    assert _musts(prefix) - caught - set(UNBREAKABLE) == set()
    assert set(UNBREAKABLE) <= _musts(prefix) | {r for p in ROLES for r in _musts(p)}


def test_fault_declarations_name_real_requirements() -> None:
    known = {r.id for r in catalogue()}
    for f in all_faults().values():
        assert f.catches and set(f.catches) | set(f.also) <= known, f.name


def test_every_level_has_its_basis_in_the_server_roles() -> None:
    for r in catalogue():
        if r.id.startswith(tuple(p + "-" for p in ROLES)):
            # The basis names the kind of fact the level rests on, as the level rule reads it.
            assert f"[{r.label}]" in r.level_basis, r.id
