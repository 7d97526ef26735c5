"""[limits] and [tls]: how hard the suite may press the target, and how it trusts it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from conformance.profile.table import Table
from conformance.profile.tls import Tls

# A staging wallet is shared with other teams; 20 requests a second is gentle on any of them.
DEFAULT_RATE = 20.0
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Limits:
    """How hard the suite may press the target; the profile's [limits] table, CLI options
    override."""

    rate: float = DEFAULT_RATE  # requests per second over all workers; 0 means unlimited
    workers: int = DEFAULT_WORKERS  # requests in flight at once
    max_requests: int = 0  # total requests of the run, retries included; 0 means no budget
    # re-sends of one case answered with resultStatus U or HTTP 429/503, or disturbed by the
    # network (no answer, or an intermediary's 502/503/504 page)
    retries: int = 3
    backoff: float = 0.25  # seconds; the n-th re-send waits up to backoff * 2**n, jittered
    backoff_max: float = 8.0
    give_up_after: int = 20  # consecutive requests without an HTTP answer before the run stops
    # Share of the run's requests the network may disturb before the run proves nothing.
    disturbance_budget: float = 0.05

    def override(self, **values: Any) -> Limits:
        """These limits with every value that is not None replaced."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def split(self, parts: int) -> Limits:
        """One share of these limits, for one of `parts` processes sharing the target."""
        if parts <= 1:
            return self
        return replace(
            self,
            rate=self.rate / parts,
            max_requests=-(-self.max_requests // parts) if self.max_requests else 0,
        )


# key: (low, high, how to write it)
BOUNDS: Mapping[str, tuple[float, float, str]] = {
    "rate": (0, 10_000, "20  # requests per second, 0 for unlimited"),
    "workers": (1, 256, "8"),
    "max_requests": (0, 10**9, "5000  # 0 for no budget"),
    "retries": (0, 10, "3"),
    "backoff": (0, 60, "0.25"),
    "backoff_max": (0, 600, "8"),
    "give_up_after": (1, 10**6, "20"),
    "disturbance_budget": (0, 1, "0.05  # share of the run's requests"),
}


def parse_limits(raw: Any) -> Limits:
    """A [limits] table as parsed from TOML."""
    return limits(Table({"limits": raw}))


def limits(root: Table) -> Limits:
    """The profile's optional [limits] table; every problem is one ProfileError line."""
    table = root.table("limits", "write [limits] with rate = 20")
    table.only(sorted(BOUNDS), "known limit")
    values: dict[str, Any] = {}
    for f in fields(Limits):
        if f.name in table:
            low, high, hint = BOUNDS[f.name]
            default = getattr(Limits, f.name)
            values[f.name] = (
                table.integer(f.name, default, int(low), int(high), hint=hint)
                if isinstance(default, int)
                else table.number(f.name, default, low, high, hint=hint)
            )
    return Limits(**values)


def parse_tls(root: Table) -> Tls:
    """Read [tls]; paths resolve against the profile's folder and are checked by loading them."""
    table = root.table("tls", 'write [tls] with ca_bundle = "ca.pem"')
    keys = ("ca_bundle", "client_cert", "client_key")
    table.only(keys, "known TLS setting")
    tls = Tls(*(table.file(k, f'"tls/{k}.pem"') for k in keys))
    if tls.client_key is not None and tls.client_cert is None:
        table.fail("client_key", "is given without client_cert", 'add client_cert = "..."')
    tls.context()
    return tls
