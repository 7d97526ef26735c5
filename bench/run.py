"""Benchmark of the certification pipeline against the reference wallet on loopback.

Prints, in one run: (a) requests per second of the full pipeline (generate, sign, send, verify,
check) and of a raw httpx loop sending pre-signed requests, and their ratio; (b) the pipeline
with 50 ms of latency in the wallet at 1 and 16 workers, as ratios to the ideal workers / latency;
(c) the wall time of a full default certification run; (d) peak memory; (e) `conformance run`
and `schemathesis run` side by side on the same wallet (bench/peer.py; `pip install -e .[bench]`).
`--long N` instead sends N requests through the pipeline and prints memory at start, middle, end;
`--pipeline N` only the pipeline's figure at the default workers over N requests (for a profiler).

Usage: python bench/run.py [--requests 600] [--long 100000] [--pipeline 2000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import peer
from hypothesis import strategies as st

from conformance import signing
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.model import Case
from conformance.engine.recorder import Recorder
from conformance.engine.target import Engine, RunSettings, open_engine
from conformance.generation import strategies as S
from conformance.profile import Profile, parse
from conformance.profile.limits import DEFAULT_WORKERS, Limits
from conformance.reference import data

HERE = Path(__file__).resolve().parent
API = "inquiryUserInfo"
LATENCY = 0.05
EXAMPLES = 100  # hypothesis examples per property, as in a suite test with --examples 100


PEAKS: dict[str, float] = {}  # MiB, by role: each child's own peak, read as it ends


@contextmanager
def wallet(latency: float = 0.0) -> Iterator[str]:
    """The reference wallet in its own process (as a staging wallet is), yielding its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        PEAKS["wallet"] = max(PEAKS.get("wallet", 0.0), usage.ru_maxrss / 1024)


def stats(url: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(url + "/_stats").json()
    return answer


def profile(url: str, workers: int) -> Profile:
    prof = parse(tomllib.loads(data.profile_toml(url)), Path("."), catalogue())
    return replace(prof, limits=Limits(rate=0, workers=workers))


def strategies(prof: Profile) -> list[st.SearchStrategy[Case]]:
    """Valid requests for every token and every kind of invalid field, one strategy per suite
    test."""
    api = contract().apis[API]
    tokens = [t for t in prof.tokens if t.state == "valid"]
    parts = [S.valid_case(api, prof, t) for t in tokens]
    body = S.base_body(api, prof, tokens[0].access_token)
    parts += [S.invalid_case(api, prof, tokens[0], f, k) for f, k in S.field_mutations(api, body)]
    return parts


def rounds(engine: Engine, requests: int) -> Iterator[Recorder]:
    """Suite-test-sized runs of the pipeline until `requests` have been sent."""
    tests, start = itertools.cycle(strategies(engine.profile)), engine.sender.requests
    while engine.sender.requests - start < requests:
        rec = Recorder(engine, "bench")
        rec.run(next(tests), rec.send)
        yield rec


def pipeline(url: str, workers: int, requests: int) -> tuple[float, float]:
    """(requests per second, suite CPU seconds per request) of the whole pipeline."""
    with open_engine(profile(url, workers), RunSettings(examples=EXAMPLES)) as engine:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in rounds(engine, requests):
            pass
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return engine.sender.requests / wall, cpu / engine.sender.requests


def raw_loop(url: str, requests: int) -> float:
    """Requests per second of a plain httpx loop posting pre-signed valid requests."""
    prof = profile(url, 1)
    assert prof.suite_private_key is not None
    auth = signing.RSA256Auth(
        prof.client_id, prof.suite_private_key, prof.key_version, signing.Tamper()
    )
    body = S.encode(S.base_body(contract().apis[API], prof, prof.tokens[0].access_token)).example()
    with httpx.Client() as http:
        target = url + prof.path(API)
        signed = [
            next(
                auth.sync_auth_flow(
                    http.build_request(
                        "POST", target, content=body, headers={"Content-Type": S.JSON_CT}
                    )
                )
            )
            for _ in range(requests)
        ]
        wall = time.perf_counter()
        for req in signed:
            http.send(req).read()
        return requests / (time.perf_counter() - wall)


def certification_run() -> float:
    """Wall seconds of `conformance run` with every default, as a wallet team runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "conformance", "run", "-q", "--report", f"{tmp}/report.html"]
        wall, PEAKS["certification run"] = peer.child(argv, Path(tmp))
        return wall


def rss_mib() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def figures(requests: int) -> None:
    with wallet() as url:
        raw = raw_loop(url, requests)
        one, _ = pipeline(url, 1, requests)
        default, _ = pipeline(url, DEFAULT_WORKERS, requests)
        side = side_by_side(url)
    print(f"(a) raw httpx loop, pre-signed:     {raw:8.1f} req/s")
    print(
        f"    pipeline, 1 worker:             {one:8.1f} req/s = {one / raw:.2f} of raw   "
        f"target >= 0.5: {verdict(one / raw >= 0.5)}"
    )
    print(
        f"    pipeline, {DEFAULT_WORKERS} workers (default):  {default:8.1f} req/s = "
        f"{default / raw:.2f} of raw   "
        f"target >= 0.5: {verdict(default / raw >= 0.5)}"
    )
    with wallet(LATENCY) as url:
        for workers in (1, 16):
            before = stats(url)
            rps, client_cpu = pipeline(url, workers, max(requests, 20 * workers))
            after = stats(url)
            ideal = workers / LATENCY
            wallet_cpu = (after["cpu"] - before["cpu"]) / max(1, after["calls"] - before["calls"])
            ceiling = (os.cpu_count() or 1) / (client_cpu + wallet_cpu)
            target = f"   target >= 0.8: {verdict(rps / ideal >= 0.8)}" if workers == 16 else ""
            print(
                f"(b) {LATENCY * 1000:.0f} ms latency, {workers:2} workers:     {rps:8.1f} req/s = "
                f"{rps / ideal:.2f} of ideal {ideal:.0f}{target}"
            )
            print(
                f"    CPU per request: suite {client_cpu * 1000:.1f} ms + wallet "
                f"{wallet_cpu * 1000:.1f} ms; "
                f"{os.cpu_count()} cores cap this machine at {ceiling:.0f} req/s "
                f"({rps / min(ideal, ceiling):.2f} of the reachable); the suite process got "
                f"{client_cpu * rps * 100:.0f}% of a core"
            )
    wall = certification_run()
    print(
        f"(c) full default certification run: {wall:7.1f} s      target <= 8 s: "
        f"{verdict(wall <= 8)}"
    )
    own = peak_mib(resource.RUSAGE_SELF)
    largest = max(PEAKS["wallet"], PEAKS["certification run"])
    print(
        f"(d) peak memory: bench {own:.0f} MiB, wallet {PEAKS['wallet']:.0f} MiB, certification "
        f"run {PEAKS['certification run']:.0f} MiB   target < 200 MiB: "
        f"{verdict(max(own, largest) < 200)}"
    )
    print_side_by_side(side, raw)


def side_by_side(url: str) -> tuple[peer.Timed, peer.Timed | None]:
    """`conformance run` and, when installed, `schemathesis run` at the same request count."""

    def calls() -> int:
        return int(stats(url)["calls"])

    with tempfile.TemporaryDirectory() as tmp:
        ours = peer.conformance(url, calls, Path(tmp))
        if peer.schemathesis_version() is None:
            return ours, None
        return ours, peer.schemathesis(url, calls, Path(tmp), ours.requests)


def print_side_by_side(side: tuple[peer.Timed, peer.Timed | None], raw: float) -> None:
    ours, theirs = side
    print("(e) inquiryUserInfo as commands, start-up counted, requests counted by the wallet:")
    print(
        f"    conformance run --rate 0:       {ours.rate:8.1f} req/s = {ours.rate / raw:.2f} of "
        f"raw   ({ours.requests} requests in {ours.wall:.1f} s, peak {ours.peak:.0f} MiB)"
    )
    if theirs is None:
        print("    schemathesis: not installed (pip install -e '.[bench]')")
        return
    print(
        f"    schemathesis {peer.schemathesis_version()}, 1 worker: {theirs.rate:6.1f} req/s = "
        f"{theirs.rate / raw:.2f} of raw   ({theirs.requests} requests in {theirs.wall:.1f} s, "
        f"peak {theirs.peak:.0f} MiB)"
    )
    ratio = ours.rate / theirs.rate
    print(f"    conformance / schemathesis:     {ratio:8.1f}x   target >= 5: {verdict(ratio >= 5)}")


def long_run(total: int) -> None:
    """Send `total` requests; memory every tenth of the way, and a count of every result."""
    with wallet() as url, open_engine(profile(url, 16), RunSettings(examples=EXAMPLES)) as engine:
        judged, mark, wall = 0, 0, time.perf_counter()
        for rec in rounds(engine, total):
            judged += len(rec.answers)  # every answer a test received was judged when it arrived
            if engine.sender.requests >= mark:
                print(
                    f"{engine.sender.requests:7} requests, {time.perf_counter() - wall:6.0f} s, "
                    f"RSS {rss_mib():6.1f} MiB",
                    flush=True,
                )
                mark += total // 10
        served, sent = stats(url)["calls"], engine.sender.requests
    print(
        f"end: {sent} requests in {time.perf_counter() - wall:.0f} s, RSS {rss_mib():.1f} MiB, "
        f"peak {peak_mib(resource.RUSAGE_SELF):.1f} MiB"
    )
    print(
        f"sent {sent}, answered by the wallet {served}, answers judged {judged}: "
        f"{'no result lost' if sent == served == judged else 'RESULTS LOST'}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=600, help="requests per throughput figure")
    parser.add_argument(
        "--long", type=int, metavar="N", help="send N requests and report memory instead"
    )
    parser.add_argument(
        "--pipeline", type=int, metavar="N", help="only the pipeline at the default workers"
    )
    args = parser.parse_args(argv)
    if args.long:
        long_run(args.long)
    elif args.pipeline:
        with wallet() as url:
            rate, cpu = pipeline(url, DEFAULT_WORKERS, args.pipeline)
        print(f"pipeline, {DEFAULT_WORKERS} workers: {rate:.1f} req/s, suite {cpu * 1000:.1f} ms")
    else:
        figures(args.requests)


if __name__ == "__main__":
    main()
