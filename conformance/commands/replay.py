"""`conformance replay`: re-send a requirement's recorded minimal failing case, re-signed now,
and judge it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.core import untrusted
from conformance.core.errors import ConfigError
from conformance.core.exitcodes import (
    EXIT_CERTIFIED,
    EXIT_NOT_CERTIFIED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from conformance.core.model import Case, Exchange, Outcome
from conformance.core.sinks import for_terminal


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="re-send the recorded failing case of a requirement and judge it again",
        description="Re-send the minimal failing case a run recorded for one requirement, "
        "signed afresh with your profile's key to your profile's target, print the exchange "
        "and the outcomes; exit 1 while it fails, 3 when the target does not answer.",
    )
    p.add_argument(
        "--profile",
        type=Path,
        help="your own target profile (TOML): it alone gives the target, keys and tokens, and "
        "must aim at the wallet the results came from; required unless the results came from "
        "the embedded wallet",
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


MAX_RESULTS_BYTES = untrusted.RESULTS_BYTES


def _shown(value: object, limit: int = 200) -> str:
    """A value from the results document, safe to print on one terminal line."""
    text = str(value)
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:limit])
    return text + ("..." if len(str(value)) > limit else "")


def _malformed(where: Path, problem: str) -> ConfigError:
    return ConfigError(f"--results {where}", problem, "run `conformance run` again")


def load_results(results_path: Path) -> Mapping[str, Any]:
    """The results document, read once at this edge: size, depth and shape checked."""
    where = f"--results {results_path}"
    raw = untrusted.read(
        results_path, limit=MAX_RESULTS_BYTES, what=where, fix="run `conformance run` first"
    )
    results: Any = untrusted.load_json(raw, where, fix="run `conformance run` again")
    rows = results.get("requirements") if isinstance(results, dict) else None
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) for r in rows
    ):
        raise _malformed(results_path, "is not a results document (no list of requirements)")
    if not isinstance(results.get("target", {}), dict):
        raise _malformed(results_path, "is not a results document (target is not an object)")
    document: Mapping[str, Any] = results
    return document


def recorded(results: Mapping[str, Any], rid: str, index: int, where: Path) -> Mapping[str, Any]:
    """The index-th recorded failure (1-based) of a requirement in a results document."""
    rows = {r["id"]: r for r in results["requirements"]}
    if rid not in rows:
        raise ConfigError(
            f"--requirement {rid}", "is not in the results", "see `conformance requirements`"
        )
    evidence = rows[rid].get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise _malformed(where, f"the evidence of {rid} is not a list of objects")
    evidence = [e for e in evidence if e.get("cases")]
    if not evidence:
        raise ConfigError(
            f"--requirement {rid}",
            f"has no recorded failure in {where}",
            "replay a requirement the run reports as failed or warned",
        )
    if not 1 <= index <= len(evidence):
        raise ConfigError(f"--evidence {index}", "is out of range", f"choose 1 to {len(evidence)}")
    chosen: Mapping[str, Any] = evidence[index - 1]
    if not isinstance(chosen["cases"], list) or not all(
        isinstance(c, dict) for c in chosen["cases"]
    ):
        raise _malformed(where, f"the recorded cases of {rid} are not a list of objects")
    return chosen


def _embedded(target: Mapping[str, Any]) -> str | None:
    """The embedded wallet's variant the results came from; None for a profile's wallet."""
    if "embedded" in target:
        return target["embedded"] if isinstance(target["embedded"], str) else None
    url = str(target.get("base_url", ""))  # written before results named the variant
    if url.startswith("embedded reference wallet"):
        return url.partition(", fault ")[2] or "reference"
    return None


def _embedded_target(args: argparse.Namespace, embedded: str) -> tuple[Any, str]:
    """The embedded wallet the results name: it runs here, so nothing leaves this machine."""
    from conformance.reference.data import reference_profile
    from conformance.reference.faults import all_faults

    came = "the embedded reference wallet" + (
        "" if embedded == "reference" else f" with fault {_shown(embedded)}"
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
            f"replay with --fault {_shown(embedded)}, or without --fault",
        )
    if embedded != "reference" and embedded not in all_faults():
        raise ConfigError(
            f"--results {args.results}", f"names fault {_shown(embedded)}, unknown here"
        )
    return reference_profile(), embedded


def _differences(
    profile: Any, target: Mapping[str, Any], ev: Mapping[str, Any]
) -> Iterator[tuple[str, str, object]]:
    """(setting, the user's value, the recorded value) wherever the results name another
    target than the user's profile."""
    yield "[target] base_url", profile.base_url, target.get("base_url")
    for name in ("psp_id", "client_id"):
        if name in target:
            yield f"[target] {name}", getattr(profile, name), target[name]
    exchanges = ev.get("exchanges")
    for case, ex in zip(ev["cases"], exchanges if isinstance(exchanges, list) else ()):
        api, request = case.get("api"), ex.get("request") if isinstance(ex, dict) else None
        if isinstance(request, dict) and "url" in request and api in profile.paths:
            yield f"[target.paths] {api}", profile.base_url + profile.path(api), request["url"]


def _target(
    args: argparse.Namespace, results: Mapping[str, Any], ev: Mapping[str, Any]
) -> tuple[Any, str | None]:
    """The user's target: the embedded wallet the results name, or the user's own profile,
    which must aim at the wallet the results came from; anything else is refused."""
    from conformance.contract.catalogue import catalogue
    from conformance.profile import load

    target = results.get("target", {})
    embedded = _embedded(target)
    if embedded is not None:
        return _embedded_target(args, embedded)
    came = f"the wallet at {_shown(target.get('base_url'))}"
    if args.fault:
        raise ConfigError(
            f"--fault {args.fault}",
            f"is another target: the results came from {came}",
            "replay with --profile and your profile of that wallet",
        )
    if args.profile is None:
        raise ConfigError(
            "--profile",
            f"is required: the results came from {came}, not from the embedded wallet",
            "pass --profile with your own profile of that wallet",
        )
    profile = load(args.profile, catalogue())
    for setting, mine, theirs in _differences(profile, target, ev):
        if mine != theirs:
            raise ConfigError(
                f"--profile {args.profile}",
                f"aims at {setting} {_shown(mine)}, another target: the results came from "
                f"{came} ({setting} {_shown(theirs)})",
                "replay with your profile of that wallet, or results of your own run",
            )
    return profile, None


def judge_again(
    engine: Any, cases: Sequence[Case], rid: str
) -> tuple[list[Exchange], list[Outcome]]:
    """Send the cases, judge each, and the group they form when the requirement judges groups."""
    from conformance.checks import judge
    from conformance.checks.groups import GROUPS

    exchanges = [engine.exchange(c) for c in cases]
    ctx = engine.context(cases[0].api)
    outcomes = [o for ex in exchanges for o in judge(ex, ctx)]
    suffix = rid.removeprefix(ctx.prefix + "-")
    if len(exchanges) > 1 and suffix in GROUPS:
        outcomes += GROUPS[suffix](exchanges, ctx)
    return exchanges, outcomes


def _print_exchange(ev: Mapping[str, Any]) -> None:
    """The redacted exchange, every value the target could have chosen escaped for the terminal."""
    req, resp = ev["request"], ev["response"]
    safe = for_terminal
    print(f"> {safe(req['method'])} {safe(req['url'])}")
    print("\n".join(f"> {safe(k)}: {safe(v)}" for k, v in req["headers"]))
    print(f">\n> {safe(req['body'])}")
    if resp is None:
        print(f"< (no response: {safe(ev['error'])})")
        return
    print(f"< HTTP {resp['status']}")
    print("\n".join(f"< {safe(k)}: {safe(v)}" for k, v in resp["headers"]))
    print(f"<\n< {safe(resp['body'])}")


def run(args: argparse.Namespace) -> int:
    from conformance.contract.catalogue import catalogue
    from conformance.engine import casefile
    from conformance.engine.evidence import exchange_evidence
    from conformance.engine.target import RunSettings, open_engine

    try:
        results = load_results(args.results)
        ev = recorded(results, args.requirement, args.evidence, args.results)
        profile, reference = _target(args, results, ev)
        cases = [casefile.load(c, profile.secrets) for c in ev["cases"]]
        unknown = sorted({c.api for c in cases} - set(profile.paths))
        if unknown:
            raise ValueError(f"api {_shown(unknown[0])} has no path in the profile")
    except ConfigError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        print(
            f"conformance: error: --results {args.results}: a recorded case is malformed "
            f"({_shown(exc)}); re-run `conformance run`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    levels = catalogue().with_levels(profile.levels)
    against = profile.base_url if reference is None else f"the embedded wallet ({reference})"
    print(
        f"replaying {args.requirement} from {_shown(ev.get('test', '?'))} "
        f"(seed {_shown(ev.get('seed', '?'))}) "
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
                print(f"{state} {o.requirement}{for_terminal(detail)}")
    silent = [ex for ex in exchanges if ex.response is None]
    if silent:
        print(
            f"{args.requirement}: not judged: the target did not answer "
            f"({for_terminal(engine.redactor(silent[0].error or 'no HTTP answer'))}); "
            f"check that it runs at {against}"
        )
        return EXIT_UNREACHABLE
    still = any(o.requirement == args.requirement and not o.ok for o in outcomes)
    print(f"{args.requirement}: {'reproduced, still failing' if still else 'passes now'}")
    return EXIT_NOT_CERTIFIED if still else EXIT_CERTIFIED
