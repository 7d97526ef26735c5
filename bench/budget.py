"""What a default run spends and what it catches, this tree against a baseline release, side by
side in one run.

Prints (a) the requests of a default certification of the reference wallet, per role, and their
ratio to the baseline's; (b) the fault matrix at each side's defaults: every faulty variant of the
reference, the requirements it broke (failed or warned) on each side, and any fault one side
caught that the other missed; (c) the wall time to certify the reference behind 50 ms of latency
in processes of its own (a remote wallet: both APIs, provider and client flows included), at the
default rate of 20 requests per second and at `--rate 0`, on each side.

The baseline is the source of an earlier release (default: the highest tag `v<version>` below this
tree's version), exported with `git archive` and run from a temporary folder.

Usage: python bench/budget.py [--baseline REV] [--faults N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance import __version__
from conformance.reference import data
from conformance.reference.faults import FAULTS
from conformance.reference.faults_provider import PROVIDER_FAULTS
from conformance.suite import test_inquiry_user_info, test_prepare_auth_info_provider

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LATENCY = 0.05
ROLES = {
    "inquiryUserInfo": {n for n in dir(test_inquiry_user_info) if n.startswith("test_")},
    "prepareAuthInfo provider": {
        n for n in dir(test_prepare_auth_info_provider) if n.startswith("test_")
    },
}


@dataclass(frozen=True)
class Side:
    """One source tree of the suite: this one, or a baseline's exported source."""

    name: str
    root: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root)}

    def run(self, out: Path, *args: str) -> tuple[int, dict[str, object], float]:
        """`conformance run` of this side: (exit code, results, wall seconds); no results when
        the side refused the arguments (a fault it does not have)."""
        out.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "conformance", "run", "-q", "--report", str(out / "r.html")]
        wall = time.perf_counter()
        done = subprocess.run(
            [*argv, *args], env=self.env(), cwd=out, capture_output=True, check=False
        )
        wall = time.perf_counter() - wall
        written = out / "results.json"
        return done.returncode, json.loads(written.read_text()) if written.exists() else {}, wall


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def baseline_rev() -> str:
    """The release before this tree's version: the highest tag v<version> below it."""
    here = version_tuple(__version__)
    tags = [t for t in _git("tag", "--list", "v*").split() if _is_version(t[1:])]
    older = sorted((version_tuple(t[1:]), t) for t in tags if version_tuple(t[1:]) < here)
    if not older:
        raise SystemExit("no release tag below this version (v1.2.3): pass --baseline REV")
    return older[-1][1]


def _is_version(text: str) -> bool:
    return all(part.isdigit() for part in text.split("."))


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def export(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "conformance", "schemas"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def per_role(transcript: Path) -> Counter[str]:
    """Requests the suite sent, per role (the transcript also holds the wallet's own requests to
    the suite's gateway, which the suite does not send)."""
    counts: Counter[str] = Counter()
    for line in transcript.read_text().splitlines():
        test = json.loads(line)["test"].split("[")[0]
        role = next((role for role, tests in ROLES.items() if test in tests), None)
        if role is not None:
            counts[role] += 1
    return counts


def broken(results: dict[str, object]) -> set[str]:
    rows = results["requirements"]
    assert isinstance(rows, list)
    return {r["id"] for r in rows if r["status"] in ("failed", "warned")}


def requests(sides: list[Side], tmp: Path) -> None:
    print("(a) a default certification of the reference: requests sent, per role")
    counts = {}
    for side in sides:
        _, results, wall = side.run(tmp / f"default-{side.name}")
        counts[side.name] = per_role(tmp / f"default-{side.name}" / "transcript.jsonl")
        print(
            f"    {side.name:9} {results['verdict']:13} "
            + ", ".join(f"{role} {n}" for role, n in sorted(counts[side.name].items()))
            + f"; {sum(counts[side.name].values())} in all, {wall:.1f} s"
        )
    if len(sides) == 2:
        new, old = (counts[s.name] for s in sides)
        for role in sorted(set(new) | set(old)):
            print(f"    {role}: {new[role] / max(old[role], 1):.2f} of the baseline's requests")


def matrix(sides: list[Side], tmp: Path, limit: int | None) -> None:
    names = sorted(FAULTS)[:limit] + sorted(PROVIDER_FAULTS)[:limit]
    print(f"(b) the fault matrix at each side's defaults ({len(names)} faulty variants)")
    caught = {s.name: 0 for s in sides}
    differ = []
    for name in names:
        suite = (
            test_prepare_auth_info_provider if name in PROVIDER_FAULTS else test_inquiry_user_info
        )
        only = [a for t in sorted(ROLES[_role(suite)]) for a in ("--only", t)]
        found = {}
        for side in sides:
            _, results, _ = side.run(tmp / f"fault-{side.name}-{name}", "--fault", name, *only)
            if not results:
                print(f"    {name}: not a variant of the {side.name}")
                continue
            found[side.name] = broken(results)
            wanted = set({**FAULTS, **PROVIDER_FAULTS}[name].catches)
            caught[side.name] += wanted <= found[side.name]
        if len(found) == len(sides) and len({frozenset(f) for f in found.values()}) > 1:
            differ.append((name, found))
    for side in sides:
        print(f"    {side.name:9} caught {caught[side.name]} of {len(names)} by their requirement")
    for name, found in differ:
        print(f"    DIFFERS {name}: " + "; ".join(f"{k} {sorted(v)}" for k, v in found.items()))
    if not differ:
        print("    every variant broke the same requirements on both sides")


def _role(suite: object) -> str:
    return "inquiryUserInfo" if suite is test_inquiry_user_info else "prepareAuthInfo provider"


@contextmanager
def remote(side: Side) -> Iterator[Path]:
    """The reference behind LATENCY, each server in its own process; yields its profile."""
    with socket.socket() as s:  # the suite's gateway: a port free now, bound by the run
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gateway = f"http://127.0.0.1:{port}{data.GATEWAY_PATH}"
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        wallet = stack.enter_context(_server(side, "wallet", "--gateway-url", gateway))
        alipayplus = stack.enter_context(_server(side, "alipayplus"))
        text = data.profile_toml(wallet, gateway_port=port, provider=True)
        profile = Path(tmp) / "remote.toml"
        profile.write_text(text.replace(data.PROVIDER_PLACEHOLDER, alipayplus))
        yield profile


@contextmanager
def _server(side: Side, role: str, *more: str) -> Iterator[str]:
    argv = [sys.executable, str(HERE / "server.py"), "--latency", str(LATENCY), "--role", role]
    proc = subprocess.Popen(
        [*argv, *more], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        proc.wait()


def remote_time(sides: list[Side], tmp: Path) -> None:
    print(f"(c) certifying the reference behind {LATENCY * 1000:.0f} ms of latency, both APIs")
    walls: dict[tuple[str, str], float] = {}
    for rate in ("20", "0"):
        for side in sides:
            with remote(side) as profile:
                out = tmp / f"remote-{side.name}-{rate}"
                _, results, wall = side.run(out, "--profile", str(profile), "--rate", rate)
            walls[side.name, rate] = wall
            run = results["run"]
            assert isinstance(run, dict)
            print(
                f"    --rate {rate:2} {side.name:9} {results['verdict']:13} {run['requests']:5} "
                f"requests in {wall:5.1f} s"
                + (
                    f"   target <= 30 s: {'met' if wall <= 30 else 'MISSED'}"
                    if rate == "20"
                    else ""
                )
            )
        if len(sides) == 2:
            ratio = walls[sides[0].name, rate] / walls[sides[1].name, rate]
            print(f"    --rate {rate:2} this tree takes {ratio:.2f} of the baseline's time")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", help="git revision to compare with (default: last release)")
    parser.add_argument("--faults", type=int, help="only the first N faults of each role")
    parser.add_argument("--skip-matrix", action="store_true", help="leave (b) out")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rev = args.baseline or baseline_rev()
        sides = [Side("this", ROOT), Side("baseline", export(rev, tmp / "baseline"))]
        print(f"baseline: {rev[:12]}")
        requests(sides, tmp)
        if not args.skip_matrix:
            matrix(sides, tmp, args.faults)
        remote_time(sides, tmp)


if __name__ == "__main__":
    main()
