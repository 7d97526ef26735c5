"""`conformance replay`: re-send a requirement's recorded minimal failing case, re-signed now,
and judge it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..exitcodes import EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_USAGE
from ..model import Case, Exchange, Outcome


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="re-send the recorded failing case of a requirement and judge it again",
        description="Re-send the minimal failing case a run recorded for one requirement, "
        "signed afresh, print the exchange and the outcomes; exit 1 while it fails.",
    )
    p.add_argument(
        "--profile",
        type=Path,
        help="target profile (TOML); default: the one the results name. It must aim at the "
        "wallet the results came from",
    )
    p.add_argument(
        "--fault",
        help="the embedded wallet's faulty variant; default: the one the results came from",
    )
    p.add_argument(
        "--results", type=Path, default=Path("reports/results.json"), help="results JSON of the run"
    )
    p.add_argument(
        "--requirement", required=True, metavar="ID", help="requirement ID, e.g. IUI-SCOPE-NO-EXTRA"
    )
    p.add_argument(
        "--evidence", type=int, default=1, metavar="N", help="which recorded failure (default 1)"
    )


def load_results(results_path: Path) -> Mapping[str, Any]:
    try:
        results: Mapping[str, Any] = json.loads(results_path.read_text(encoding="utf-8"))
        results["requirements"][0]["id"]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ConfigError(
            f"--results {results_path}",
            f"is not a readable results document ({exc})",
            "run `conformance run` first",
        )
    return results


def recorded(results: Mapping[str, Any], rid: str, index: int, where: Path) -> Mapping[str, Any]:
    """The index-th recorded failure (1-based) of a requirement in a results document."""
    rows = {r["id"]: r for r in results["requirements"]}
    if rid not in rows:
        raise ConfigError(
            f"--requirement {rid}", "is not in the results", "see `conformance requirements`"
        )
    evidence = [e for e in rows[rid].get("evidence", []) if e.get("cases")]
    if not evidence:
        raise ConfigError(
            f"--requirement {rid}",
            f"has no recorded failure in {where}",
            "replay a requirement the run reports as failed or warned",
        )
    if not 1 <= index <= len(evidence):
        raise ConfigError(f"--evidence {index}", "is out of range", f"choose 1 to {len(evidence)}")
    chosen: Mapping[str, Any] = evidence[index - 1]
    return chosen


def _embedded(target: Mapping[str, Any]) -> str | None:
    """The embedded wallet's variant the results came from; None for a profile's wallet."""
    if "embedded" in target:
        return target["embedded"] if isinstance(target["embedded"], str) else None
    url = str(target.get("base_url", ""))  # written before results named the variant
    if url.startswith("embedded reference wallet"):
        return url.partition(", fault ")[2] or "reference"
    return None


def _target(args: argparse.Namespace, results: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The target the results came from; another one is refused, with the reason."""
    from ..catalogue import catalogue
    from ..profile import load
    from ..reference.data import reference_profile
    from ..reference.faults import all_faults

    target, source = results.get("target", {}), results.get("profile", {}).get("source", "")
    embedded = _embedded(target)
    if embedded is not None:
        came = "the embedded reference wallet" + (
            "" if embedded == "reference" else f" with fault {embedded}"
        )
        if args.profile:
            raise ConfigError(
                f"--profile {args.profile}",
                f"is another target: the results came from {came}",
                "replay without --profile",
            )
        if args.fault and args.fault != embedded:
            raise ConfigError(
                f"--fault {args.fault}",
                f"is another target: the results came from {came}",
                f"replay with --fault {embedded}, or without --fault",
            )
        if embedded != "reference" and embedded not in all_faults():
            raise ConfigError(f"--results {args.results}", f"names fault {embedded}, unknown here")
        return reference_profile(), embedded
    came = f"the wallet at {target.get('base_url')} (profile {source})"
    if args.fault:
        raise ConfigError(
            f"--fault {args.fault}",
            f"is another target: the results came from {came}",
            "replay without --fault",
        )
    profile = load(args.profile or Path(source), catalogue())
    if profile.base_url != target.get("base_url"):
        raise ConfigError(
            f"--profile {args.profile or source}",
            f"aims at {profile.base_url}, another target: the results came from {came}",
            "replay with a profile of that wallet",
        )
    return profile, None


def judge_again(
    engine: Any, cases: Sequence[Case], rid: str
) -> tuple[list[Exchange], list[Outcome]]:
    """Send the cases, judge each, and the group they form when the requirement judges groups."""
    from ..checks import judge
    from ..checks.groups import GROUPS

    exchanges = [engine.exchange(c) for c in cases]
    ctx = engine.context(cases[0].api)
    outcomes = [o for ex in exchanges for o in judge(ex, ctx)]
    suffix = rid.removeprefix(ctx.prefix + "-")
    if len(exchanges) > 1 and suffix in GROUPS:
        outcomes += GROUPS[suffix](exchanges, ctx)
    return exchanges, outcomes


def _print_exchange(ev: Mapping[str, Any]) -> None:
    req, resp = ev["request"], ev["response"]
    print(f"> {req['method']} {req['url']}")
    print("\n".join(f"> {k}: {v}" for k, v in req["headers"]))
    print(f">\n> {req['body']}")
    if resp is None:
        print(f"< (no response: {ev['error']})")
        return
    print(f"< HTTP {resp['status']}")
    print("\n".join(f"< {k}: {v}" for k, v in resp["headers"]))
    print(f"<\n< {resp['body']}")


def run(args: argparse.Namespace) -> int:
    from .. import casefile
    from ..catalogue import catalogue
    from ..engine import RunSettings, open_engine
    from ..evidence import exchange_evidence

    try:
        results = load_results(args.results)
        ev = recorded(results, args.requirement, args.evidence, args.results)
        profile, reference = _target(args, results)
        cases = [casefile.load(c, profile.secrets) for c in ev["cases"]]
    except ConfigError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyError, TypeError, ValueError) as exc:
        print(
            f"conformance: error: --results {args.results}: a recorded case is malformed ({exc}); "
            "re-run `conformance run`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    levels = catalogue().with_levels(profile.levels)
    against = profile.base_url if reference is None else f"the embedded wallet ({reference})"
    print(
        f"replaying {args.requirement} from {ev.get('test', '?')} (seed {ev.get('seed', '?')}) "
        f"against {against}"
    )
    with open_engine(profile, RunSettings(), reference) as engine:
        exchanges, outcomes = judge_again(engine, cases, args.requirement)
        for ex in exchanges:
            _print_exchange(exchange_evidence(ex, engine.redactor))
        for o in sorted(outcomes, key=lambda o: (o.ok, o.requirement)):
            if not o.ok or o.requirement == args.requirement:
                state = (
                    "passed"
                    if o.ok
                    else ("FAILED" if levels[o.requirement].level == "MUST" else "WARNED")
                )
                detail = (
                    f": {engine.redactor(o.message)}; expected {engine.redactor(o.expected)}, "
                    f"got {engine.redactor(o.received)}"
                    if not o.ok
                    else ""
                )
                print(f"{state} {o.requirement}{detail}")
    still = any(o.requirement == args.requirement and not o.ok for o in outcomes)
    print(f"{args.requirement}: {'reproduced, still failing' if still else 'passes now'}")
    return EXIT_NOT_CERTIFIED if still else EXIT_CERTIFIED
