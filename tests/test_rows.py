"""The per-test record protocol: one module names the properties a test report carries from the
process that ran the test, writes them (`dump`) and reads them back (`load`) as frozen rows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

import conformance
from conformance.engine.recorder import Record, Recorder
from conformance.results import rows
from conformance.results.document import Evidence
from conformance.results.fold import fold

EVIDENCE = cast(Evidence, {"test": "t", "message": "m", "expected": "e", "received": "r"})
RECORDED = rows.Recorded(
    rows.Row("t", {"A-1": rows.Judged(2), "B-2": rows.Judged(3, 1, EVIDENCE)}),
    requests=5,
    disturbances={"reset": 2},
    transcript=({"case": "valid", "broke": []}, {"case": "ahead", "judged": False}),
    not_run="budget spent",
    error="OSError: refused",
)


def test_a_record_survives_dump_and_load_whole() -> None:
    assert rows.load(rows.dump(RECORDED), "t") == RECORDED


def test_dump_writes_the_named_properties_in_order_and_text_only() -> None:
    props = rows.dump(RECORDED)
    names = [rows.NOT_RUN, rows.RECORDS, rows.REQUESTS, rows.DISTURBANCES, rows.TRANSCRIPT]
    assert [name for name, _ in props] == [*names, rows.ERROR]
    assert all(isinstance(value, str) for _, value in props)  # as xdist carries them
    assert json.loads(dict(props)[rows.RECORDS])["B-2"] == {
        "exchanges": 3,
        "failures": 1,
        "evidence": EVIDENCE,
    }


def test_only_what_applies_is_written() -> None:
    assert rows.dump(rows.Recorded()) == []
    quiet = rows.Recorded(rows.Row("t"), requests=1)
    assert [n for n, _ in rows.dump(quiet)] == [rows.RECORDS, rows.REQUESTS, rows.TRANSCRIPT]
    assert rows.dump(rows.Recorded(not_run="why")) == [(rows.NOT_RUN, "why")]


def test_unknown_properties_are_ignored_and_missing_ones_read_as_defaults() -> None:
    assert rows.load([("team-property", "x"), ("junit-thing", 3)], "t") == rows.Recorded()
    got = rows.load([(rows.RECORDS, '{"A-1": {"exchanges": 1}}')], "t")
    assert got.row == rows.Row("t", {"A-1": rows.Judged(1, 0, None)})
    assert (got.requests, got.disturbances, got.transcript) == (0, {}, ())
    # The disturbances are read without a row too (the console counts them as they come).
    assert rows.load([(rows.DISTURBANCES, '{"reset": 1}')], "t").disturbances == {"reset": 1}


def test_the_last_property_of_a_name_counts_and_the_transcript_may_be_left_unread() -> None:
    props = [(rows.ERROR, "first"), *rows.dump(RECORDED)]
    got = rows.load(props, "t", transcript=False)
    assert got.error == "OSError: refused" and got.transcript == ()


def test_rows_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECORDED.row.test = "other"  # type: ignore[misc, union-attr]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows.Judged().failures = 1  # type: ignore[misc]


def test_a_recorder_becomes_a_row_with_its_unreached_exchanges_last() -> None:
    rec = SimpleNamespace(
        nodeid="test_x",
        records={"A-1": Record(2, 1, dict(EVIDENCE))},
        requests=3,
        disturbances={},
        transcript=[{"case": "valid"}],
        unreached=lambda: [{"case": "ahead", "judged": False}],
    )
    got = rows.recorded(cast(Recorder, rec), error="boom")
    assert got.row == rows.Row("test_x", {"A-1": rows.Judged(2, 1, EVIDENCE)})
    assert got.transcript == ({"case": "valid"}, {"case": "ahead", "judged": False})
    assert (got.requests, got.not_run, got.error) == (3, None, "boom")
    assert rows.recorded(None, not_run="why") == rows.Recorded(not_run="why")


def test_fold_builds_each_evidence_once_and_changes_none() -> None:
    ran = [RECORDED.row, rows.Row("u", {"B-2": rows.Judged(1, 1, EVIDENCE)})]
    tallies = fold(
        [r for r in ran if r is not None], lambda rid, ev: {**ev, "replay": f"replay {rid}"}
    )
    assert (tallies["B-2"].exchanges, tallies["B-2"].failures) == (4, 2)
    assert tallies["B-2"].tests == {"t", "u"} and tallies["A-1"].evidence == []
    assert [ev["replay"] for ev in tallies["B-2"].evidence] == ["replay B-2"] * 2
    assert "replay" not in EVIDENCE  # the recorded evidence is left as it came


def test_no_other_module_spells_the_property_names() -> None:
    root = Path(conformance.__file__).parent
    names = [rows.REQUESTS, rows.DISTURBANCES, rows.TRANSCRIPT, rows.NOT_RUN, rows.ERROR]
    spelt: dict[str, Any] = {
        str(path.relative_to(root)): [n for n in names if f'"{n}"' in path.read_text("utf-8")]
        for path in root.rglob("*.py")
        if path.name != "rows.py"
    }
    assert {path: found for path, found in spelt.items() if found} == {}
