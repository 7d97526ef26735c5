"""The per-test record protocol: what a test recorded, as it crosses from the process that ran it
(an xdist worker) to the one that writes the results, in the test report's `user_properties`.

`recorded` takes a test's `Recorder` (and why it was not run or could not complete); `dump` writes
that as named properties and `load` reads them back; `fold` consumes the `Row`s. A property this
module does not name is ignored; one that is missing reads as its default."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from conformance.results.document import Evidence

if TYPE_CHECKING:
    from conformance.engine.recorder import Recorder

# The property names, as written into a test report's user_properties.
RECORDS = "conformance"  # {requirement: {exchanges, failures, evidence}}
REQUESTS = "conformance-requests"  # HTTP requests the test sent
DISTURBANCES = "conformance-disturbances"  # attempts the network spoiled, per kind (when any)
TRANSCRIPT = "conformance-transcript"  # every exchange of the test, redacted
NOT_RUN = "conformance-not-run"  # why the test was not run
ERROR = "conformance-error"  # why the test could not complete (redacted)


@dataclass(frozen=True)
class Judged:
    """One requirement as judged within one test."""

    exchanges: int = 0
    failures: int = 0
    evidence: Evidence | None = None  # the last (after shrinking, the minimal) failing example


@dataclass(frozen=True)
class Row:
    """One test's requirements as judged: what `fold` folds into the results."""

    test: str
    judged: Mapping[str, Judged] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """What one test report carries: its row (None when the test recorded nothing), the requests
    it sent, the disturbances, its transcript; why it was not run, why it could not complete."""

    row: Row | None = None
    requests: int = 0
    disturbances: Mapping[str, int] = field(default_factory=dict)
    transcript: tuple[Mapping[str, Any], ...] = ()
    not_run: str | None = None
    error: str | None = None


def judged(rec: Recorder) -> dict[str, Judged]:
    """A recorder's records, as they stand."""
    return {
        rid: Judged(r.exchanges, r.failures, cast("Evidence | None", r.evidence))
        for rid, r in rec.records.items()
    }


def recorded(
    rec: Recorder | None, test: str = "", not_run: str | None = None, error: str | None = None
) -> Recorded:
    """One test's record; with a recorder, every exchange in its transcript, those sent ahead
    that the test never reached (`judged` false) last."""
    if rec is None:
        return Recorded(not_run=not_run, error=error)
    return Recorded(
        Row(test or rec.nodeid, judged(rec)),
        rec.requests,
        rec.disturbances,
        (*rec.transcript, *rec.unreached()),
        not_run,
        error,
    )


def dump(record: Recorded) -> list[tuple[str, str]]:
    """A test's record as the properties of its report: those that apply, in this order."""
    props = [] if record.not_run is None else [(NOT_RUN, record.not_run)]
    if record.row is not None:
        rows = {rid: vars(j) for rid, j in record.row.judged.items()}
        props += [
            (RECORDS, json.dumps(rows, ensure_ascii=False)),
            (REQUESTS, str(record.requests)),
        ]
        if record.disturbances:
            props.append((DISTURBANCES, json.dumps(dict(record.disturbances))))
        props.append((TRANSCRIPT, json.dumps(list(record.transcript), ensure_ascii=False)))
    return props + ([] if record.error is None else [(ERROR, record.error)])


def load(props: Iterable[tuple[str, object]], test: str, transcript: bool = True) -> Recorded:
    """A test report's properties read back, the last of a name counting (`transcript` false:
    left unread)."""
    found = dict(props)
    row = None
    if RECORDS in found:
        rows: dict[str, dict[str, Any]] = json.loads(str(found[RECORDS]))
        row = Row(
            test,
            {
                rid: Judged(j.get("exchanges", 0), j.get("failures", 0), j.get("evidence"))
                for rid, j in rows.items()
            },
        )
    exchanges = json.loads(str(found.get(TRANSCRIPT, "[]"))) if transcript else []
    not_run, error = found.get(NOT_RUN), found.get(ERROR)
    return Recorded(
        row,
        int(str(found.get(REQUESTS, 0))),
        json.loads(str(found.get(DISTURBANCES, "{}"))),
        tuple(exchanges),
        None if not_run is None else str(not_run),
        None if error is None else str(error),
    )
