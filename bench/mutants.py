"""Mutation testing of the reference implementations: the suite's measure of its own detection
power.

Each mutant is a copy of the package with one change in one function of a reference server's or
client's protocol or business code (bench/mutants_ops.py). It is *observable* when the fixed
corpus (bench/mutants_corpus.py) gets an answer from it that differs from the reference's; each
observable mutant is then certified, `conformance run` at defaults restricted to its role, and is
*killed* when that run is not certified (a failed MUST). A SHOULD warning alone is *warned*: it
survives, and is counted apart. Long (seconds a mutant): not for CI.

Usage: python bench/mutants.py [--role wallet|provider|client] [--limit N] [--jobs N]
                               [--match TEXT] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutants_corpus import ROLES, allowed, role_args
from mutants_known import KNOWN
from mutants_ops import Context, Mutant, generate, mutate

from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# The protocol and business code of each role's reference; the pipeline is both servers'.
SOURCES = {
    "wallet": ("reference/pipeline.py", "reference/wallet.py"),
    "provider": ("reference/pipeline.py", "reference/alipayplus.py"),
    "client": ("reference/client.py",),
}
PROBE_TIMEOUT, RUN_TIMEOUT = 120, 900


@dataclass(frozen=True)
class Outcome:
    role: str
    mutant: Mutant
    observable: bool
    difference: str = ""  # the first corpus entry answered otherwise than the documents allow
    allowed: tuple[str, ...] = ()  # why its other differences are answers the documents allow
    verdict: str = ""  # of the certification run, when observable
    failed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()

    @property
    def killed(self) -> bool:
        return self.observable and self.verdict not in ("PARTIAL", "CERTIFIED")


API = {"wallet": "inquiryUserInfo", "provider": "prepareAuthInfo", "client": "prepareAuthInfo"}


def context(role: str) -> Context:
    """The result codes a role's API documents: a swapped code is one of them."""
    return Context({c.code: c.status for c in contract().apis[API[role]].codes.values()})


def mutants(role: str, ctx: Context) -> list[Mutant]:
    package = ROOT / "conformance"
    return [m for p in SOURCES[role] for m in generate(p, (package / p).read_text(), ctx)]


def sample(found: list[Mutant], limit: int, role: str) -> list[Mutant]:
    """A fixed sample, spread over every file and operator, in source order."""
    if not limit or limit >= len(found):
        return found
    chosen = set(random.Random(role).sample(range(len(found)), limit))
    return [m for i, m in enumerate(found) if i in chosen]


def _python(code_root: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    # Run from code_root too: `python -m` puts the working directory first on the path.
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    return subprocess.run(
        [sys.executable, *args],
        check=False,
        env=env,
        cwd=code_root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def answers(code_root: Path, role: str, corpus: Path) -> list[Any] | str:
    """The normalized answers of the package at code_root, or why there are none."""
    script = str(BENCH / "mutants_corpus.py")
    try:
        done = _python(code_root, script, "answer", role, str(corpus), timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "the corpus timed out"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]
    found: list[Any] = json.loads(done.stdout)
    return found


def compare(expected: list[Any], got: list[Any] | str) -> tuple[str, tuple[str, ...]]:
    """(the first corpus entry answered otherwise than the documents allow, in a few words, ''
    when none is; why the entries answered otherwise are answers the documents allow too)."""
    if isinstance(got, str):
        return got[:100], ()
    if len(got) != len(expected):
        return f"{len(got)} answers, not {len(expected)}", ()
    reasons: dict[str, None] = {}
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want == have:
            continue
        why = allowed(want, have)
        if not why:
            keys = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            text = f"#{i} {want.get('flow', '')} differs in {', '.join(keys)}".replace("  ", " ")
            return text, ()
        reasons[why] = None
    return "", tuple(reasons)


def difference(expected: list[Any], got: list[Any] | str) -> str:
    """The first corpus entry answered otherwise than the documents allow ('' when none is)."""
    return compare(expected, got)[0]


def certify(code_root: Path, role: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The role's certification run at defaults: its verdict, failed and warned requirements."""
    report = code_root / "report" / "report.html"
    try:
        done = _python(
            code_root,
            "-m",
            "conformance",
            "run",
            "-q",
            "--report",
            str(report),
            *role_args(role),
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return "TIMED OUT", (), ()
    results_path = report.with_name("results.json")
    if not results_path.exists():
        return f"exit {done.returncode}", (), ()
    results = json.loads(results_path.read_text())
    by = {
        s: tuple(r["id"] for r in results["requirements"] if r["status"] == s)
        for s in ("failed", "warned")
    }
    return str(results["verdict"]), by["failed"], by["warned"]


def judge(
    role: str, mutant: Mutant, ctx: Context, work: Path, expected: list[Any], corpus: Path
) -> Outcome:
    copy_root = Path(tempfile.mkdtemp(prefix="mutant-", dir=work))
    try:
        shutil.copytree(
            ROOT / "conformance",
            copy_root / "conformance",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        (copy_root / "schemas").symlink_to(ROOT / "schemas")  # the contract, read as in a checkout
        target = copy_root / "conformance" / mutant.path
        target.write_text(mutate(target.read_text(), mutant, ctx))
        diff, allowances = compare(expected, answers(copy_root, role, corpus))
        if not diff:
            return Outcome(role, mutant, observable=False, allowed=allowances)
        verdict, failed, warned = certify(copy_root, role)
        return Outcome(role, mutant, True, diff, verdict=verdict, failed=failed, warned=warned)
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)


def progress(outcome: Outcome) -> Outcome:
    """One line a mutant on stderr, as it is judged: a long run shows where it is."""
    if not outcome.observable:
        state = "allowed" if outcome.allowed else "equivalent"
    else:
        state = "killed" if outcome.killed else "SURVIVED"
    line = f"{outcome.role:<9} {state:<10} {outcome.verdict:<14} {outcome.mutant.describe()}"
    print(line[:160], file=sys.stderr, flush=True)
    return outcome


def run_role(role: str, chosen: list[Mutant], jobs: int, ctx: Context, work: Path) -> list[Outcome]:
    corpus = work / f"{role}-corpus.json"
    script = str(BENCH / "mutants_corpus.py")
    done = _python(ROOT, script, "record", role, str(corpus), timeout=RUN_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"recording the {role} corpus failed: {done.stderr.strip()[-300:]}")
    expected = answers(ROOT, role, corpus)
    if isinstance(expected, str):
        raise SystemExit(f"the reference {role} does not answer its corpus: {expected}")
    if answers(ROOT, role, corpus) != expected:
        raise SystemExit(f"the reference {role} answers its corpus differently twice")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(
            pool.map(lambda m: progress(judge(role, m, ctx, work, expected, corpus)), chosen)
        )


SHOULD_BY_DESIGN = "lenient check (SHOULD by design)"
UNEXPLAINED = "UNEXPLAINED"


def classify(o: Outcome) -> tuple[str, str]:
    """A survivor's class and why: by hand (bench/mutants_known.py) where no rule says it, else
    by rule: warned only, so a SHOULD of the catalogue is what it breaks."""
    if o.mutant.key in KNOWN:
        return KNOWN[o.mutant.key]
    if o.warned:
        reqs = catalogue()
        bases = [f"{r} ({reqs[r].level_basis or reqs[r].text})" for r in o.warned if r in reqs]
        return SHOULD_BY_DESIGN, "warned: " + "; ".join(bases)
    return UNEXPLAINED, "no warning, not classified: look at it (missing probe or lenient check?)"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def report(role: str, outcomes: Sequence[Outcome], total: int, seconds: float) -> list[str]:
    observable = [o for o in outcomes if o.observable]
    killed = [o for o in observable if o.killed]
    warned = [o for o in observable if not o.killed and o.warned]
    survivors = [(o, *classify(o)) for o in observable if not o.killed]
    detected = len(killed) + len(warned)
    by_hand = sum(kind == "equivalent" for _, kind, _ in survivors)
    by_class: dict[str, int] = {}
    for _, kind, _ in survivors:
        by_class[kind.split(":")[0]] = by_class.get(kind.split(":")[0], 0) + 1
    head = f"{role:<9} killed {len(killed)} / observable {len(observable)} / total {len(outcomes)}"
    lines = [
        f"{head} (of {total} generated; {seconds:.0f} s)",
        (
            f"{'':<9} killed {percent(len(killed), len(observable))}; detected (killed + warned) "
            f"{detected} = {percent(detected, len(observable))}; target 95 %"
        ),
        (
            f"{'':<9} less the {by_hand} survivors classed equivalent by hand: killed "
            f"{percent(len(killed), len(observable) - by_hand)}, detected "
            f"{percent(detected, len(observable) - by_hand)}"
        ),
        f"{'':<9} survivors by class: "
        + (", ".join(f"{k} {n}" for k, n in sorted(by_class.items())) or "none"),
    ]
    for o, kind, why in survivors:
        warn = f" [warned: {', '.join(o.warned)}]" if o.warned else ""
        flag = "!! UNEXPLAINED survivor" if kind == UNEXPLAINED else "  survivor "
        lines.append(f"{flag}  {o.mutant.describe()}{warn}")
        lines.append(f"            corpus: {o.difference}")
        lines.append(f"            {kind}{': ' + why if why else ''}")
    for o in outcomes:
        if not o.observable and o.allowed:
            lines.append(f"  equivalent by rule  {o.mutant.describe()}")
            lines += [f"            the documents allow it: {why}" for why in o.allowed]
    for o in outcomes:
        if not o.observable and not o.allowed:  # equivalent, or a probe the corpus lacks too
            kind, why = KNOWN.get(o.mutant.key, ("", ""))
            lines.append(f"  unseen    {o.mutant.describe()}{'  (' + kind + ')' if kind else ''}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--role", choices=ROLES, action="append", help="default: every role")
    parser.add_argument("--limit", type=int, default=0, help="mutants per role (0: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants judged at once")
    parser.add_argument("--match", default="", help="only mutants whose line holds this text")
    parser.add_argument("--list", action="store_true", help="list the sample; run nothing")
    args = parser.parse_args(argv)
    if args.limit < 0 or args.jobs < 1:
        parser.error("--limit must be 0 or more, --jobs 1 or more")
    lines = []
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        for role in args.role or ROLES:
            ctx = context(role)
            found = [m for m in mutants(role, ctx) if args.match in m.describe()]
            if args.list:
                for m in sample(found, args.limit, role):
                    print(f"{role:<9} {m.operator:<12} {m.describe()}")
                continue
            started = time.monotonic()
            outcomes = run_role(role, sample(found, args.limit, role), args.jobs, ctx, Path(tmp))
            role_lines = report(role, outcomes, len(found), time.monotonic() - started)
            print(role_lines[0], file=sys.stderr, flush=True)
            lines += role_lines
    if lines:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
