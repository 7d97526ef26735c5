"""An observation session: judge what the proxy saw on a thread of its own, off the traffic's path,
and write the report (HTML, results JSON, JUnit) whenever asked and when the session ends."""

from __future__ import annotations

import hashlib
import json
import queue
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.redact import Redactor
from conformance.engine.evidence import transcript_entry
from conformance.observe.bounds import ProxyLimits
from conformance.observe.credentials import masked
from conformance.observe.flows import Flows
from conformance.observe.judge import Judge, secrets, stand_in
from conformance.observe.ledger import Ledger
from conformance.observe.settings import ObserveSettings
from conformance.observe.traffic import Observed
from conformance.profile.sections import GatewaySettings
from conformance.report import junit
from conformance.report.html import page
from conformance.results.document import (
    Closed,
    Meta,
    Observation,
    Results,
    SuiteError,
    TranscriptCut,
    TranscriptRef,
)
from conformance.results.fold import build, digest, dumps
from conformance.results.waivers import NONE

BACKLOG = 1024  # exchanges waiting for the judge; past this, one is counted but not judged
LATENCY_SAMPLES = 10_000  # the latest added latencies kept for the figures
ERRORS_KEPT = 20


@dataclass(frozen=True)
class Paths:
    report: Path
    results: Path
    junit: Path
    transcript: Path | None = None

    @classmethod
    def beside(cls, report: Path, transcript: bool = False) -> Paths:
        stem = report.with_suffix("")
        return cls(
            report,
            stem.with_suffix(".json"),
            stem.with_name(stem.name + "-junit.xml"),
            stem.with_suffix(".jsonl") if transcript else None,
        )


def _write(path: Path, data: bytes) -> None:
    """Replace a file whole, so a reader never sees half a report while the session runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)


class Session:
    """Everything judged so far; `offer` is called by the proxy, the rest by its owner."""

    def __init__(
        self, settings: ObserveSettings, paths: Paths, transcript: int = ProxyLimits.transcript
    ) -> None:
        self.settings, self.paths = settings, paths
        self.catalogue = catalogue().with_levels(settings.levels)
        self.judge = Judge(settings, contract(), self.catalogue)
        self.record = Ledger(settings.secrets)
        self.flows = (
            Flows(settings.retry_window, _gateway(settings), settings.upstream or "")
            if self.judge.role == "alipayplus"
            else None
        )
        self.queue: queue.Queue[Observed | None] = queue.Queue(BACKLOG)
        self.lock = threading.Lock()
        self.started, self.seen, self.judged = time.time(), 0, 0
        self.skipped: Counter[str] = Counter()  # not judged: backlog, aborted, other_path
        self.errors: list[SuiteError] = []
        self.error_count = 0
        self.latency: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.requests: Counter[str] = Counter()  # the wallet role: Alipay+'s requests
        self.broken: Counter[str] = Counter()  # request rules they broke, by suffix
        self.listen = settings.listen_url  # the bound address, once serving
        self.changed = True
        self.transcript = _Transcript(paths.transcript, transcript)
        self.connections: Mapping[str, int] = {}  # the proxy's closes, by why (its counter)
        self.worker = threading.Thread(target=self._work, name="observe-judge", daemon=True)
        self.worker.start()

    def offer(self, obs: Observed) -> None:
        """Hand one exchange to the judge; never blocks the traffic."""
        try:
            self.queue.put_nowait(obs)
        except queue.Full:
            with self.lock:
                self.seen += 1
                self.skipped["backlog"] += 1

    def close(self) -> None:
        """Judge what is queued, then stop the judge."""
        self.queue.put(None)
        self.worker.join()
        self.transcript.close()

    def _work(self) -> None:
        while (obs := self.queue.get()) is not None:
            try:
                self._one(obs)
            except Exception as exc:  # noqa: BLE001 (a judge error is recorded, never fatal)
                self._failed(obs, exc)

    def _one(self, obs: Observed) -> None:
        if obs.aborted or not self._judged_path(obs.uri):
            with self.lock:
                self.seen, self.changed = self.seen + 1, True
                self.skipped["aborted" if obs.aborted else "other_path"] += 1
                if not obs.aborted:
                    self.latency.append(obs.added)
            return
        judged = self.judge.judge(obs)
        label = f"exchange #{obs.number}, {_when(obs.started)}"
        with self.lock:
            self.record.add(judged.outcomes, label)
            if self.flows is not None:
                ex = judged.exchange
                closed = self.flows.add(ex, obs.arrived, obs.replied, obs.delivered, judged.trusted)
                self._flows(closed)
            self.seen, self.judged, self.changed = self.seen + 1, self.judged + 1, True
            self.latency.append(obs.added)
            if judged.notes:
                self.requests["malformed" if len(judged.notes) > 1 else "well_formed"] += 1
                self.broken.update({n.split(":", 1)[0] for n in judged.notes[1:]})
        if self.transcript.file is not None:
            redact = Redactor(self.settings.secrets + secrets(judged.exchange))
            shown = masked(judged.exchange)
            self.transcript.add(transcript_entry(shown, list(judged.outcomes), redact))

    def _judged_path(self, uri: str) -> bool:
        return self.settings.path is None or uri.split("?", 1)[0] == self.settings.path

    def _flows(self, outcomes: list[Any]) -> None:
        for flow in _by_flow(outcomes):
            numbers = ", ".join(ex.case.note.split(";")[0] for ex in flow[0].exchanges)
            self.record.add(flow, f"flow of {len(flow[0].exchanges)} request(s): {numbers}")

    def _failed(self, obs: Observed, exc: Exception) -> None:
        message = Redactor(self.settings.secrets)(f"{type(exc).__name__}: {exc}")[:300]
        with self.lock:
            self.seen, self.error_count, self.changed = self.seen + 1, self.error_count + 1, True
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append({"test": f"exchange #{obs.number}", "message": message})

    def results(self, final: bool = False) -> Results:
        """The results document of the session so far (or whole, once it has ended)."""
        now, finished = time.monotonic(), time.time()
        with self.lock:
            if self.flows is not None:
                self._flows(self.flows.due(now, final))
            tallies = self.record.tallies(self.judge.role)
            errors = list(self.errors)
            if self.error_count > len(errors):
                more = self.error_count - len(errors)
                errors.append({"test": "(judge)", "message": f"{more} more judge errors"})
            observation = self._observation(final)
            self.changed = False
        s = self.settings
        meta: Meta = {
            "suite": {"name": "mpp-conformance", "version": __version__},
            "contract": {"digest": contract().digest},
            "target": {
                "base_url": s.upstream or "",
                "psp_id": s.psp_id,
                "client_id": s.alipayplus_client_id or s.wallet_client_id or "",
            },
            "profile": {"source": s.source, "digest": s.digest},
            "run": {
                "started": _when(self.started),
                "finished": _when(finished),
                "duration": round(finished - self.started, 2),
                "seed": None,
                "examples": 0,
                "requests": observation["exchanges"],
            },
            "observation": observation,
        }
        if self.transcript.path is not None:
            meta["transcript"] = self.transcript.meta()
        return build(
            tallies,
            self.catalogue,
            [self.judge.api],
            errors,
            meta,
            NONE,
            datetime.fromtimestamp(self.started, UTC).date(),
            self.judge.na,
        )

    def _observation(self, final: bool) -> Observation:
        samples = sorted(self.latency)
        ms = (lambda q: round(1000 * q, 3)) if samples else (lambda q: 0.0)
        out: Observation = {
            "role": self.judge.role,
            "listen": self.listen,
            "upstream": self.settings.upstream or "",
            "exchanges": self.seen,
            "judged": self.judged,
            "path": self.settings.path or "(every path)",
            "not_judged": {k: self.skipped[k] for k in ("backlog", "aborted", "other_path")},
            "judge_errors": self.error_count,
            "connections": self._closed(),
            "complete": final,
            "added_latency_ms": {
                "samples": len(samples),
                "median": ms(statistics.median(samples)) if samples else 0.0,
                "p95": ms(samples[int(0.95 * (len(samples) - 1))]) if samples else 0.0,
                "max": ms(samples[-1]) if samples else 0.0,
            },
        }
        if self.transcript.path is not None:
            out["transcript"] = self.transcript.cut()
        if self.judge.role == "wallet":
            out["requests"] = {
                "well_formed": self.requests["well_formed"],
                "malformed": self.requests["malformed"],
                "broken": dict(sorted(self.broken.items())),
            }
        else:
            out["open_flows"] = len(self.flows.open) if self.flows is not None else 0
        return out

    def _closed(self) -> Closed:
        c = self.connections
        return {
            "refused": c.get("refused", 0),
            "idle": c.get("idle", 0),
            "slow_head": c.get("slow_head", 0),
            "slow_body": c.get("slow_body", 0),
            "malformed": c.get("malformed", 0),
        }

    def write(self, final: bool = False) -> Results:
        """Write the HTML, the results JSON and the JUnit XML; return the results."""
        results = self.results(final)
        data = dumps(results)
        _write(self.paths.results, data)
        _write(self.paths.report, page(results, digest(data), data).encode("utf-8"))
        _write(self.paths.junit, junit.render(results))
        return results


class _Transcript:
    """Every judged exchange, redacted, appended as it is judged (one JSON object per line), up to
    `limit` bytes; past them exchanges are counted as left out, and none is written again."""

    def __init__(self, path: Path | None, limit: int) -> None:
        self.path, self.count, self.hash = path, 0, hashlib.sha256()
        self.limit, self.size, self.left_out = limit, 0, 0
        self.file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file = path.open("wb")

    def add(self, entry: dict[str, Any]) -> None:
        if self.file is None:
            return
        line = (json.dumps(entry, ensure_ascii=True, sort_keys=True) + "\n").encode()
        if self.left_out or self.size + len(line) > self.limit:
            self.left_out += 1  # the transcript stays a whole prefix of the session
            return
        self.size += len(line)
        self.file.write(line)
        self.file.flush()
        self.hash.update(line)
        self.count += 1

    def meta(self) -> TranscriptRef:
        assert self.path is not None
        return {
            "file": self.path.name,
            "sha256": "sha256:" + self.hash.hexdigest(),
            "exchanges": self.count,
        }

    def cut(self) -> TranscriptCut:
        return {"kept": self.count, "left_out": self.left_out, "limit_bytes": self.limit}

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _by_flow(outcomes: list[Any]) -> list[list[Any]]:
    """Flow outcomes grouped by the flow they judge (they share its exchanges)."""
    groups: dict[tuple[int, ...], list[Any]] = {}
    for o in outcomes:
        groups.setdefault(tuple(id(ex) for ex in o.exchanges), []).append(o)
    return list(groups.values())


def _gateway(settings: ObserveSettings) -> GatewaySettings:
    """The settings flow verdicts read; none of them signs or serves in an observation."""
    nobody = stand_in()
    return GatewaySettings(
        settings.wallet_public_key or nobody.public_key(), nobody, max_attempts=1000
    )
