"""The results document's types say what results.schema.json says: the same objects, the same
required fields."""

from __future__ import annotations

from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from conformance.report.schema import schema
from conformance.results import document as d

# Each TypedDict and the schema object it types, by JSON pointer.
OBJECTS = [
    (d.Results, ""),
    (d.Suite, "/properties/suite"),
    (d.ContractDoc, "/properties/contract"),
    (d.Target, "/properties/target"),
    (d.ProfileRef, "/properties/profile"),
    (d.Run, "/properties/run"),
    (d.LimitsDoc, "/properties/run/properties/limits"),
    (d.NotRun, "/properties/run/properties/not_run/items"),
    (d.SuiteError, "/properties/errors/items"),
    (d.WaiverBlock, "/properties/waivers"),
    (d.TranscriptRef, "/properties/transcript"),
    (d.Observation, "/properties/observation"),
    (d.RequirementRow, "/$defs/requirement"),
    (d.RowWaiver, "/$defs/requirement/properties/waiver/oneOf/1"),
    (d.Evidence, "/$defs/evidence"),
    (d.ExchangeRecord, "/$defs/exchange"),
    (d.SentRequest, "/$defs/exchange/properties/request"),
    (d.AnswerDoc, "/$defs/exchange/properties/response/oneOf/1"),
    (d.WaiverEntry, "/$defs/waiverEntry"),
]


def at(pointer: str) -> dict[str, Any]:
    node: Any = schema()
    for part in pointer.split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return dict(node)


def required(typed: Any) -> set[str]:
    """Keys a TypedDict requires, read from its annotations (NotRequired, total=False)."""
    hints = get_type_hints(typed, include_extras=True)
    if not typed.__total__:
        return set()
    return {k for k, t in hints.items() if get_origin(t) is not NotRequired}


@pytest.mark.parametrize(("typed", "pointer"), OBJECTS, ids=[t.__name__ for t, _ in OBJECTS])
def test_each_type_requires_what_the_schema_requires_and_names_every_property(
    typed: Any, pointer: str
) -> None:
    node = at(pointer)
    assert required(typed) == set(node.get("required", []))
    assert set(node.get("properties", {})) <= set(get_type_hints(typed))
