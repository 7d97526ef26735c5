"""`conformance observe`: stand in the path of real traffic, forward it unchanged and judge it."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from conformance.core.exitcodes import (
    EXIT_CERTIFIED,
    EXIT_NOT_CERTIFIED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from conformance.core.sinks import for_terminal
from conformance.observe.bounds import ProxyLimits

ENDING = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


# The bounds on the proxy's clients: flag, field of ProxyLimits, metavar, what it does.
_ON_CLIENTS = (
    ("--idle-timeout", "idle", "S", "close a connection with no request begun for S seconds"),
    ("--head-timeout", "head", "S", "close with 408 when a request's headers take S seconds"),
    ("--body-timeout", "body", "S", "close with 408 when a request's body takes S seconds"),
    (
        "--max-connections",
        "connections",
        "N",
        "client connections at once; more are closed as they come",
    ),
    ("--transcript-max-mib", "transcript", "MIB", "stop writing the transcript past MIB MiB"),
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "observe",
        help="a reverse proxy in the path of real traffic: forward it unchanged, judge every "
        "exchange",
        description="Listen, forward every request to the upstream unchanged, and judge each "
        "exchange with the suite's requirement checks. --role wallet stands in front of the "
        "wallet's inquiryUserInfo (Alipay+ -> proxy -> wallet); --role alipayplus in front of "
        "Alipay+'s prepareAuthInfo (wallet -> proxy -> Alipay+). --duration, Ctrl-C or a signal "
        "ends the session and writes the report. Exit 1 when a MUST requirement was violated "
        "(docs/observe.md).",
    )
    p.add_argument("--profile", type=Path, help="profile (TOML): [observe], keys, tokens, [tls]")
    p.add_argument("--listen", metavar="HOST:PORT", help="listen here (default: [observe] listen)")
    p.add_argument("--upstream", metavar="URL", help="forward to scheme://host[:port]")
    p.add_argument("--role", choices=("wallet", "alipayplus"), help="which side is in front")
    p.add_argument(
        "--path",
        help="judge only requests to this path ('*': every path; default: [observe] path, else "
        "the role's path in the profile)",
    )
    p.add_argument("--duration", type=float, help="seconds to observe (default: until a signal)")
    p.add_argument(
        "--report-every", type=float, metavar="N", help="rewrite the reports every N seconds"
    )
    p.add_argument(
        "--report", type=Path, default=Path("reports/observation.html"), help="HTML report path"
    )
    p.add_argument("--results", type=Path, help="results JSON (default: beside the report)")
    p.add_argument("--junit", type=Path, help="JUnit XML (default: beside the report)")
    p.add_argument(
        "--transcript", action="store_true", help="also write every exchange, redacted (.jsonl)"
    )
    p.add_argument("--ca-bundle", type=Path, help="PEM of the CAs to trust for an https upstream")
    p.add_argument("--tls-cert", type=Path, help="listen on TLS with this certificate (PEM)")
    p.add_argument("--tls-key", type=Path, help="its private key, when not in --tls-cert")
    p.add_argument("--timeout", type=float, help="seconds to wait for the upstream (default 60)")
    bounds = p.add_argument_group("bounds on clients (docs/observe.md, 'Hostile clients')")
    d = ProxyLimits()
    for flag, name, metavar, text in _ON_CLIENTS:
        default = d.transcript >> 20 if name == "transcript" else getattr(d, name)
        kind = int if metavar == "N" else float
        bounds.add_argument(flag, type=kind, metavar=metavar, help=f"{text} (default {default:g})")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")


@contextmanager
def _until_signal(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and termination signals end the session (the report is written), not the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ending(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, ending) for s in ENDING}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _wait(
    stop: threading.Event, duration: float | None, every: float | None, write: Callable[[], None]
) -> None:
    """Until the duration passes or a signal comes, rewriting the reports every `every` seconds."""
    end = None if duration is None else time.monotonic() + duration
    while not stop.is_set():
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            return
        if not stop.wait(min(x for x in (left, every, 3600.0) if x is not None)) and every:
            write()


def limits(args: argparse.Namespace) -> ProxyLimits | str:
    """The bounds the flags set (the rest their defaults), or what is wrong with one."""
    seconds = {"idle": args.idle_timeout, "head": args.head_timeout, "body": args.body_timeout}
    for name, value in seconds.items():
        if value is not None and not 0 < value <= 86400:
            return f"--{name}-timeout must be seconds in (0, 86400]"
    if args.max_connections is not None and not 1 <= args.max_connections <= 100_000:
        return "--max-connections must be a whole number in [1, 100000]"
    mib = args.transcript_max_mib
    if mib is not None and not 0 < mib <= 1 << 20:
        return "--transcript-max-mib must be MiB in (0, 1048576]"
    d = ProxyLimits()
    return ProxyLimits(
        idle=args.idle_timeout or d.idle,
        head=args.head_timeout or d.head,
        body=args.body_timeout or d.body,
        connections=args.max_connections or d.connections,
        transcript=round(mib * (1 << 20)) if mib else d.transcript,
    )


def run(args: argparse.Namespace) -> int:
    from conformance.commands.term import GREEN, RED, error, paint
    from conformance.core.errors import ConfigError
    from conformance.core.outputs import unwritable
    from conformance.observe import Paths, observe
    from conformance.observe.settings import load, override
    from conformance.results.fold import unreachable

    for flag, value in (("--duration", args.duration), ("--report-every", args.report_every)):
        if value is not None and not 0 < value <= 7 * 86400:
            error(f"{flag} must be seconds in (0, 604800]")
            return EXIT_USAGE
    bounds = limits(args)
    if isinstance(bounds, str):
        error(bounds)
        return EXIT_USAGE
    try:
        from conformance.contract.catalogue import catalogue

        settings = override(
            load(args.profile, catalogue()),
            args.listen,
            args.upstream,
            args.role,
            args.ca_bundle,
            args.tls_cert,
            args.tls_key,
            args.timeout,
            args.path,
        )
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    beside = Paths.beside(args.report, args.transcript)
    paths = replace(
        beside, results=args.results or beside.results, junit=args.junit or beside.junit
    )
    # Checked before the first exchange: an observation must not be lost at its end.
    placed = {"--report": paths.report, "--results": paths.results, "--junit": paths.junit}
    if paths.transcript is not None:  # --transcript is a switch: the file goes beside the report
        placed["--report (the transcript goes beside it)"] = paths.transcript
    wrong = unwritable(placed)
    if wrong is not None:
        error(wrong)
        return EXIT_USAGE
    stop = threading.Event()
    try:
        with _until_signal(stop), observe(settings, paths, bounds) as running:
            if not args.quiet:
                print(
                    for_terminal(
                        f"observing as {settings.role}: {running.url} -> {settings.upstream}; "
                        + (f"for {args.duration:g} s" if args.duration else "until Ctrl-C")
                    ),
                    flush=True,
                )

            def interim() -> None:
                if running.session.changed:
                    try:
                        running.session.write()
                    except OSError as exc:  # a full disk must not end the observation
                        running.proxy.log("report", f"not rewritten: {exc.strerror or exc}")

            _wait(stop, args.duration, args.report_every, interim)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        error(f"cannot write{where} ({exc.strerror or exc}): choose another --report")
        return EXIT_USAGE
    results = running.results
    assert results is not None
    if not args.quiet:
        from conformance.report.text import summary

        for line in summary(results):
            # Observed traffic has no command that reproduces it: no empty `reproduce:` line.
            if line.strip() != "reproduce:":
                print(for_terminal(line))
    cut = results.get("observation", {}).get("transcript")
    if cut is not None and cut["left_out"]:
        print(
            f"transcript cut at its cap of {cut['limit_bytes'] / (1 << 20):.3g} MiB: "
            f"{cut['left_out']} exchanges left out, {cut['kept']} written"
        )
    failed = results["counts"].get("failed", 0)
    verdict = paint(results["verdict"], RED if failed else GREEN)
    print(f"{verdict}: {for_terminal(f'report {paths.report}, results {paths.results}')}")
    if failed:
        return EXIT_UNREACHABLE if unreachable(results) else EXIT_NOT_CERTIFIED
    return EXIT_CERTIFIED
