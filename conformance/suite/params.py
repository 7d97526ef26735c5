"""Parameters the suite's roles share, each marked with its input space
(conformance/generation/spaces.py)."""

from __future__ import annotations

import pytest

from conformance.generation import strategies as S
from conformance.generation.spaces import Space, probes

# A class of values exactly at the limit is of one length, a few values in JSON's layouts; the
# other classes range over lengths and characters. Each example sends its twins (and, where the
# counts disagree most, the value one character shorter).
CHAR_CLASSES = [
    pytest.param(
        c,
        marks=probes(
            Space.FEW if c in S.AT_LIMIT_CLASSES else Space.LARGE,
            3 if c in S.UNEVEN_AT_LIMIT else 2,
        ),
    )
    for c in S.CHAR_CLASSES
]
# Every variant of every body mutation is its own probe; unknown fields are drawn.
BODY_VARIANTS = [
    pytest.param(kind, variant, marks=probes(Space.LARGE if kind == "unknown-field" else Space.FEW))
    for kind, variant in S.body_variants()
]
