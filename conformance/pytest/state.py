"""The run's state, kept in pytest's stash: what the options chose and what the tests recorded."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance import signing
from conformance.core.redact import Redactor
from conformance.engine.recorder import Recorder
from conformance.engine.target import RunSettings
from conformance.profile import Profile
from conformance.report.signature import Signature
from conformance.results.document import NotRun, Results, SuiteError
from conformance.results.rows import Row
from conformance.results.waivers import Waivers

if TYPE_CHECKING:
    from conformance.preflight import Preflight

RECORDER = pytest.StashKey[Recorder]()  # on a test item: the recorder of its exchanges
NOT_RUN = pytest.StashKey[str]()  # on a test item: why it was not run (budget spent, set-up wrong)


@dataclass
class State:
    """One run: the target and settings the options chose, then the records of every test."""

    profile: Profile | None = None
    reference: str | None = None
    run: RunSettings = field(default_factory=RunSettings)
    results_path: Path | None = None
    junit_path: Path | None = None
    transcript_path: Path | None = None
    waivers: Waivers = field(default_factory=Waivers)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    results_data: bytes = b""
    sign_key: signing.PrivateKey | None = None  # the certifier's: signs the results written
    signature: Signature | None = None  # over results_data, written beside it and in the report
    only: tuple[str, ...] = ()
    selection: list[str] = field(default_factory=list)  # the user's choices that leave tests out
    records: list[Row] = field(default_factory=list)  # each test's, as folded into the results
    errors: list[SuiteError] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    requests: int = 0
    planned: int = 0  # requests the selected tests may send, at most (before the first)
    disturbed: Counter[str] = field(default_factory=Counter)  # attempts spoiled, per kind
    started: float = field(default_factory=time.time)
    results: Results | None = None
    redactor: Redactor = field(default_factory=Redactor)
    preflight: Preflight | None = None
    live: Callable[[], int] = lambda: 0  # requests sent so far, while the suite runs

    @property
    def active(self) -> bool:
        return self.profile is not None


STATE = pytest.StashKey[State]()  # on the config: the run's State
