"""How many examples each property spends: the size of its input space decides, not one number
for every property.

A property whose distinct requests are a handful (one broken value, one variant of a body, in
the layouts JSON allows) learns nothing from a twentieth draw; a property over lengths, character
classes or generated values may hide a fault in part of its space, and gets the run's examples.
Each suite test declares its space with the `probes` marker; the same declaration plans the
run's request count before the first request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine reads the defaults here without importing pytest
    import pytest

    from conformance.profile import Profile

DEFAULT_EXAMPLES = 4  # examples of a LARGE property; `--examples` sets it
EXAMPLES_HELP = (
    f"hypothesis examples of a property over a large input space: lengths, characters, generated"
    f" values (default {DEFAULT_EXAMPLES}); a property of a few distinct requests spends a third"
)
MARKER = "probes"


class Space(enum.Enum):
    ONE = "one"  # a single case, sent once
    FEW = "few"  # a handful of distinct requests: one value or variant, in JSON's layouts
    LARGE = "large"  # lengths, characters, generated values: a fault may hide in part of it


@dataclass(frozen=True)
class Spend:
    """A property's budget: its space, and the requests one example sends (twins send two);
    `inactive` adds one request for each expired or revoked token the profile declares."""

    space: Space = Space.LARGE
    cases: int = 1
    inactive: bool = False

    def examples(self, large: int) -> int:
        if self.space is Space.ONE:
            return 1
        if self.space is Space.FEW:
            return max(1, -(-large // 3))  # 4 -> 2: the body as written and one other layout
        return max(1, large)

    def requests(self, large: int) -> int:
        """At most this many requests (hypothesis stops early on a space it has seen whole)."""
        return self.examples(large) * self.cases


def probes(space: Space, cases: int = 1, inactive: bool = False) -> pytest.MarkDecorator:
    """The marker a suite test declares its space with."""
    import pytest

    marker: pytest.MarkDecorator = getattr(pytest.mark, MARKER)
    return marker(Spend(space, cases, inactive))


def spend_of(item: pytest.Item) -> Spend | None:
    """The item's declared spend: each test declares one, on itself or on each of its
    parameters."""
    marker = item.get_closest_marker(MARKER)
    return marker.args[0] if marker is not None else None


def planned(items: list[pytest.Item], large: int, profile: Profile) -> int:
    """The requests a run of these items plans to send, at most."""
    inactive = sum(t.state != "valid" for t in profile.tokens)
    return sum(
        s.requests(large) + inactive * s.inactive for i in items if (s := spend_of(i)) is not None
    )
