"""Side by side with the peer: `conformance run` and `schemathesis run` as a CI job runs them.

Both certify inquiryUserInfo of the same wallet process, start-up counted, and the requests are
counted by the wallet itself, so neither tool's own bookkeeping is trusted. Schemathesis reads
the product's own `conformance export-openapi` document and signs through
`bench/schemathesis_hooks.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from conformance.reference import data

HERE = Path(__file__).resolve().parent
HOOKS = HERE / "schemathesis_hooks.py"


@dataclass(frozen=True)
class Timed:
    """One command: requests the wallet served for it, wall seconds, peak memory in MiB."""

    requests: int
    wall: float
    peak: float

    @property
    def rate(self) -> float:
        return self.requests / self.wall


def child(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None, codes: tuple[int, ...] = (0,)
) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, its own peak resident memory in MiB)."""
    wall = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in codes:
        raise RuntimeError(f"{' '.join(argv[1:4])} exited {proc.returncode}")
    return time.perf_counter() - wall, usage.ru_maxrss / 1024


def counted(
    calls: Callable[[], int], argv: list[str], cwd: Path, codes: tuple[int, ...] = (0,), **env: str
) -> Timed:
    before = calls()
    wall, peak = child(argv, cwd, {**os.environ, **env} if env else None, codes)
    return Timed(calls() - before, wall, peak)


def conformance(url: str, calls: Callable[[], int], tmp: Path) -> Timed:
    """`conformance run --rate 0` of the wallet's inquiryUserInfo, every other default kept."""
    profile = tmp / "bench-profile.toml"
    profile.write_text(data.profile_toml(url), encoding="utf-8")
    argv = [sys.executable, "-m", "conformance", "run", "-q", "--rate", "0"]
    return counted(calls, [*argv, "--profile", str(profile), "--report", str(tmp / "r.html")], tmp)


def schemathesis_version() -> str | None:
    try:
        return version("schemathesis")
    except PackageNotFoundError:
        return None


def schemathesis(url: str, calls: Callable[[], int], tmp: Path, examples: int) -> Timed:
    """`schemathesis run` on inquiryUserInfo: `examples` generated requests, 1 worker.

    Fuzzing only (the other phases send a number of requests of their own choosing), every
    default check, and on past failures: the reference wallet answers refusals with HTTP 200, as
    the pages say, which Schemathesis's negative-data check reports.
    """
    document = tmp / "openapi.json"
    profile = tmp / "peer-profile.toml"
    profile.write_text(data.profile_toml(url), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "conformance", "export-openapi", "-q", "--profile", str(profile)]
        + ["-o", str(document)],
        check=True,
    )
    argv = [sys.executable, "-m", "schemathesis.cli", "run", str(document), "--url", url]
    argv += ["--include-operation-id", "inquiryUserInfo", "--phases", "fuzzing"]
    argv += ["-n", str(examples), "--workers", "1", "--seed", "1", "--continue-on-failure"]
    # Exit 1: it reports the failures described above.
    return counted(calls, argv, tmp, (0, 1), SCHEMATHESIS_HOOKS=str(HOOKS))
