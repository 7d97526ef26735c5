"""The plugin's command-line options, and the run they choose: target profile, settings,
output paths."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance import profile as profiles
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.errors import ConfigError
from conformance.core.redact import Redactor
from conformance.engine.target import RunSettings
from conformance.generation.spaces import DEFAULT_EXAMPLES, EXAMPLES_HELP
from conformance.pytest.selection import chosen
from conformance.pytest.state import State
from conformance.reference.data import embedded_profile as reference_profile
from conformance.report.signature import load_private
from conformance.results.waivers import load as load_waivers


def add(parser: pytest.Parser) -> None:
    """The options, in one group."""
    group = parser.getgroup("conformance", "Alipay+ wallet conformance")
    group.addoption(
        "--conformance-profile",
        metavar="FILE",
        help="target profile (TOML) of the wallet to certify",
    )
    group.addoption(
        "--conformance-reference",
        metavar="FAULT",
        nargs="?",
        const="reference",
        help="certify the embedded reference wallet (optionally a faulty variant)",
    )
    group.addoption("--conformance-results", metavar="PATH", help="write the results JSON here")
    group.addoption(
        "--conformance-sign-key",
        metavar="PEM",
        help="the certifier's RSA private key: sign the results JSON (a .sig beside it) and put "
        "the signature in the HTML report",
    )
    group.addoption(
        "--conformance-junit", metavar="PATH", help="write JUnit XML, one case per requirement"
    )
    group.addoption(
        "--conformance-transcript",
        metavar="PATH",
        help="write every exchange (redacted) as JSON lines",
    )
    group.addoption(
        "--conformance-waivers", metavar="FILE", help="waiver file (TOML) of accepted deviations"
    )
    group.addoption(
        "--conformance-examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=EXAMPLES_HELP,
    )
    group.addoption(
        "--conformance-seed", type=int, metavar="N", help="seed for a reproducible random run"
    )
    group.addoption(
        "--conformance-only",
        action="append",
        default=[],
        metavar="TEST",
        help="run only the suite test with this name (repeatable)",
    )
    group.addoption(
        "--conformance-rate",
        type=float,
        metavar="N",
        help="requests per second over the whole run, 0 for unlimited (default: the profile's "
        "[limits] rate, or 20; unlimited for the embedded reference wallet)",
    )
    group.addoption(
        "--conformance-workers",
        type=int,
        metavar="N",
        help="requests in flight at once (default 8)",
    )
    group.addoption(
        "--conformance-max-requests",
        type=int,
        metavar="N",
        help="request budget of the run; tests left when it is spent are reported as not run",
    )
    group.addoption(
        "--conformance-disturbance-budget",
        type=float,
        metavar="SHARE",
        help="share of the run's requests the network may disturb (reset, timeout, a 502/503/504 "
        "page) before the run is INCONCLUSIVE (default: [limits] disturbance_budget, or 0.05)",
    )
    group.addoption(
        "--conformance-ca-bundle",
        metavar="PEM",
        help="trust these CAs (a private CA) for https targets",
    )
    group.addoption(
        "--conformance-listen",
        type=float,
        metavar="SECONDS",
        help="serve the prepareAuthInfo gateway passively for SECONDS and judge what arrives",
    )
    group.addoption(
        "--conformance-scenario",
        default="success",
        metavar="NAME",
        help="with --conformance-listen: how the gateway replies (default success)",
    )


def configure(config: pytest.Config, state: State) -> None:
    """Fill the run's state from the options; a wrong option or file is a usage error."""
    path, reference = (
        config.getoption("conformance_profile"),
        config.getoption("conformance_reference"),
    )
    if not path and not reference:
        return
    try:
        state.profile = profiles.load(Path(path), catalogue()) if path else reference_profile()
        contract()
        if config.getoption("conformance_waivers"):
            state.waivers = load_waivers(Path(config.getoption("conformance_waivers")), catalogue())
        state.reference = reference if not path else None
        if config.getoption("conformance_sign_key"):
            state.sign_key = load_private(
                Path(config.getoption("conformance_sign_key")), "--conformance-sign-key"
            )
        state.profile = with_run_options(config, state.profile, state.reference is not None)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    seed = config.getoption("conformance_seed")
    state.run = RunSettings(max(1, config.getoption("conformance_examples")), seed, seed is None)
    state.redactor = Redactor.for_profile(state.profile)
    for opt, attr in (
        ("conformance_results", "results_path"),
        ("conformance_junit", "junit_path"),
        ("conformance_transcript", "transcript_path"),
    ):
        if config.getoption(opt):
            setattr(state, attr, Path(config.getoption(opt)))
    state.only = tuple(config.getoption("conformance_only"))
    state.selection = chosen(config, state.only)


def with_run_options(
    config: pytest.Config, prof: profiles.Profile, reference: bool
) -> profiles.Profile:
    """The profile's limits and TLS with the command-line options applied (and split across xdist
    workers)."""
    rate = config.getoption("conformance_rate")
    limits = prof.limits.override(
        rate=0.0 if rate is None and reference else rate,  # the embedded wallet needs no sparing
        workers=config.getoption("conformance_workers"),
        max_requests=config.getoption("conformance_max_requests"),
        disturbance_budget=config.getoption("conformance_disturbance_budget"),
    )
    if rate is not None and rate < 0 or limits.workers < 1 or limits.max_requests < 0:
        raise ConfigError(
            "--conformance-rate/--conformance-workers/--conformance-max-requests",
            "must not be negative (workers at least 1)",
            "pass e.g. --rate 20 --workers 8",
        )
    if not 0 <= limits.disturbance_budget <= 1:
        raise ConfigError(
            "--conformance-disturbance-budget",
            f"{limits.disturbance_budget:g} is not a share of the requests",
            "pass a number from 0 to 1, e.g. 0.05",
        )
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    ca_bundle = config.getoption("conformance_ca_bundle")
    tls = prof.tls.with_ca_bundle(Path(ca_bundle).resolve() if ca_bundle else None)
    tls.context()
    return replace(prof, limits=limits.split(workers), tls=tls)
