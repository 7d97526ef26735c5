"""Probes sent as a group and judged together, in every role that has the group's requirement."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conformance.checks.groups import GROUPS
from conformance.core.errors import ConformanceFailure
from conformance.core.model import Case
from conformance.engine.recorder import Recorder


def grouped(recorder: Recorder, api: str, suffix: str) -> Callable[[Sequence[Case]], None]:
    """Send a group of cases and judge them together (a case already sent is answered from
    memory)."""
    judge, ctx = GROUPS[suffix], recorder.context(api)

    def probe(cases: Sequence[Case]) -> None:
        exchanges, failure = [], None
        # A MUST failure of one exchange must not keep the group from being judged.
        for case in cases:
            try:
                exchanges.append(recorder.send(case))
            except ConformanceFailure as exc:
                failure = failure or exc
                exchanges.append(recorder.answer(case))
        recorder.record(judge(exchanges, ctx))
        if failure is not None:
            raise failure

    return probe
