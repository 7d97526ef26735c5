"""Which prepareAuthInfo requirements a run can judge, from the profile's optional sections and
the mode."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.contract.catalogue import Requirement
from conformance.gateway.scenarios import DROP, LATE, TRAFFIC, UNSIGNED_RESULT, Scenario, status
from conformance.profile import Profile

# Judged only in flows the suite starts through a trigger (it knows the authUrl and hears the
# outcome).
TRIGGERED = frozenset(
    {
        "PAI-TRIGGER",
        "PAI-REQ-AUTHURL",
        "PAI-S-REDIRECT",
        "PAI-F-STOPS",
        "PAI-F-NO-RETRY",
        "PAI-RETRY-U",
        "PAI-RETRY-UNSIGNED-U",
        "PAI-RETRY-SILENCE",
        "PAI-RETRY-SAME",
        "PAI-RETRY-BOUNDED",
        "PAI-RETRY-BACKOFF",
        "PAI-VERIFY-RESPONSE",
        "PAI-VERIFY-UNSIGNED",
        "PAI-MALFORMED-SAFE",
    }
)


def listened(scenario: Scenario) -> frozenset[str]:
    """Behaviour requirements a passive run can still judge, given how its gateway replies."""
    first = scenario.steps[0]
    if status(first) == "F":
        return frozenset({"PAI-F-NO-RETRY"})
    if status(first) == "U":
        retried = "PAI-RETRY-UNSIGNED-U" if first.startswith(UNSIGNED_RESULT) else "PAI-RETRY-U"
        return frozenset(
            {retried, "PAI-RETRY-SAME"} | ({"PAI-RETRY-BACKOFF"} if first == TRAFFIC else set())
        )
    if first in (LATE, DROP):
        return frozenset({"PAI-RETRY-SILENCE", "PAI-RETRY-SAME"})
    return frozenset()


def _reason(req: Requirement, profile: Profile, listen: Scenario | None) -> str | None:
    role = req.id.split("-", 1)[0]
    if listen is not None and role != "PAI":
        return "`conformance listen` serves only the prepareAuthInfo gateway"
    if role == "PAS":
        return (
            None
            if profile.provider
            else "no [provider] in the profile: no Alipay+-side server to verify"
        )
    if role == "IUI":
        return (
            None
            if profile.has_target
            else "no [target] in the profile: the wallet's inquiryUserInfo server was not certified"
        )
    if role != "PAI":
        return None
    if profile.gateway is None:
        return (
            "no [gateway] in the profile: the wallet was not certified as a prepareAuthInfo client"
        )
    if req.id == "PAI-REQ-CLIENT-ID" and profile.gateway.client_id is None:
        return "no [gateway] client_id in the profile to compare the wallet's Client-Id with"
    if req.id in TRIGGERED and listen is not None and req.id not in listened(listen):
        return f"needs flows started by a [trigger]; the passive gateway replied {listen.name}"
    if req.id in TRIGGERED and listen is None and profile.trigger is None:
        return "no [trigger] in the profile: run `conformance listen` and scan QR codes by hand"
    return None


def inapplicable(
    requirements: Iterable[Requirement], profile: Profile, listen: Scenario | None = None
) -> dict[str, str]:
    """Requirement ID -> why this run cannot judge it (reported as not applicable, never as
    failed)."""
    found = {}
    for req in requirements:
        reason = _reason(req, profile, listen)
        if reason is not None:
            found[req.id] = reason
    return found
