"""The plugin's command-line options, and the run they choose: target profile, settings,
output paths."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance import profile as profiles
from conformance.contract.catalogue import catalogue
from conformance.contract.spec import contract
from conformance.core.errors import ConfigError
from conformance.core.outputs import unwritable
from conformance.core.redact import Redactor
from conformance.core.sinks import for_terminal
from conformance.engine.target import RunSettings
from conformance.pytest import flags
from conformance.pytest.selection import chosen
from conformance.pytest.state import State
from conformance.reference.data import embedded_profile
from conformance.report.signature import load_private
from conformance.results.waivers import load as load_waivers


@dataclass(frozen=True)
class Given:
    """What `conformance run` has read and checked before it starts pytest, handed to the plugin
    (as a plugin object) so that the run reads the profile once."""

    profile: profiles.Profile | None = None


def add(parser: pytest.Parser) -> None:
    """The options, in one group, from the table of the run's options."""
    flags.add_to_pytest(parser)


def _given(config: pytest.Config) -> Given | None:
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Given)), None)


def _profile(path: str, given: Given | None) -> profiles.Profile:
    """The profile at path: as `conformance run` read it, or read now."""
    if given is not None and given.profile is not None and given.profile.source == str(path):
        return given.profile
    return profiles.load(Path(path), catalogue())


def configure(config: pytest.Config, state: State) -> None:
    """Fill the run's state from the options; a wrong option or file is a usage error."""
    path, reference = (
        config.getoption("conformance_profile"),
        config.getoption("conformance_reference"),
    )
    if not path and not reference:
        return
    given = _given(config)
    wrong = None if given is not None else flags.check(vars(config.option), flags.PREFIX)
    if wrong is not None:
        raise pytest.UsageError(wrong)
    try:
        state.profile = _profile(str(path), given) if path else embedded_profile()
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
    given_paths: dict[str, Path] = {}
    for opt, attr in (
        ("conformance_results", "results_path"),
        ("conformance_junit", "junit_path"),
        ("conformance_transcript", "transcript_path"),
    ):
        if config.getoption(opt):
            path = given_paths["--" + opt.replace("_", "-")] = Path(config.getoption(opt))
            setattr(state, attr, path)
    # Checked now, not found at the end of the run; by the process that writes them (under
    # xdist, the controller, not each worker).
    wrong = None if hasattr(config, "workerinput") else unwritable(given_paths)
    if wrong is not None:
        raise pytest.UsageError(for_terminal(wrong))  # the paths as given, escapes shown
    state.only = tuple(config.getoption("conformance_only"))
    state.selection = chosen(config, state.only)


def with_run_options(
    config: pytest.Config, prof: profiles.Profile, reference: bool
) -> profiles.Profile:
    """The profile's limits and TLS with the command-line options (checked by `flags.check`)
    applied, and split across xdist workers."""
    rate = config.getoption("conformance_rate")
    limits = prof.limits.override(
        rate=0.0 if rate is None and reference else rate,  # the embedded wallet needs no sparing
        workers=config.getoption("conformance_workers"),
        max_requests=config.getoption("conformance_max_requests"),
        disturbance_budget=config.getoption("conformance_disturbance_budget"),
    )
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    ca_bundle = config.getoption("conformance_ca_bundle")
    tls = prof.tls.with_ca_bundle(Path(ca_bundle).resolve() if ca_bundle else None)
    tls.context()
    return replace(prof, limits=limits.split(workers), tls=tls)
