"""Every MUST requirement of inquiryUserInfo is probed by a suite test and caught by a faulty
wallet."""

from __future__ import annotations

from conformance.catalogue import catalogue
from conformance.reference.faults import FAULTS

from .conftest import Certify

# MUST requirements no faulty wallet can break, each with the reason. None today: even
# IUI-USERINFO-EXPECTED (declared by the profile) is broken by `wrong-user`. The lower-case
# header names of IUI-SIG-HEADER-FORMS cannot be broken behind an ASGI server (it lowers
# them before the wallet sees them), but the requirement is caught through its spaced form.
UNBREAKABLE: dict[str, str] = {}


def _musts() -> set[str]:
    return {r.id for r in catalogue() if r.api == "inquiryUserInfo" and r.level == "MUST"}


def test_every_must_requirement_is_probed_by_a_suite_test(certify: Certify) -> None:
    code, results = certify()
    rows = {r["id"]: r for r in results["requirements"]}
    unprobed = {
        rid for rid in _musts() if rows[rid]["status"] == "untested" or not rows[rid]["tests"]
    }
    assert code == 0 and unprobed == set()


def test_every_must_requirement_is_caught_by_a_fault() -> None:
    caught = {rid for f in FAULTS.values() for rid in f.catches}
    assert _musts() - caught - set(UNBREAKABLE) == set()
    assert set(UNBREAKABLE) <= _musts(), "an exception names no MUST requirement"


def test_fault_declarations_name_real_requirements() -> None:
    known = {r.id for r in catalogue()}
    for f in FAULTS.values():
        assert f.catches and set(f.catches) | set(f.also) <= known, f.name
