"""One table of the run's options, from which both surfaces are built: the plugin's pytest options
(`--conformance-rate`, `add_to_pytest`) and `conformance run`'s arguments (`--rate`,
`add_to_run`); `check` validates their values, with the bounds the profile's [limits] uses."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.generation.spaces import DEFAULT_EXAMPLES, EXAMPLES_HELP
from conformance.profile.limits import BOUNDS

if TYPE_CHECKING:
    import pytest

PREFIX = "conformance-"  # a pytest option's name: the flag's name after this prefix


@dataclass(frozen=True)
class Flag:
    """One option of the run, as `conformance run` spells it (`--rate`)."""

    name: str  # without the dashes: "rate"
    help: str
    kind: Callable[[str], Any] | None = None  # int, float, Path; None for text
    default: Any = None
    metavar: str | None = None
    bounds: tuple[float, float] | None = None  # lowest and highest value accepted
    repeat: bool = False  # may be given again, each value kept in a list
    const: str | None = None  # given bare, this value (the pytest option only)
    run: bool = True  # an argument of `conformance run`
    plugin: bool = True  # an option of the pytest plugin
    run_note: str = ""  # what `conformance run` adds to the help: its own default

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def spelt(self, prefix: str = "") -> str:
        return f"--{prefix}{self.name}"

    def keywords(self, help: str) -> dict[str, Any]:
        """argparse's keywords for this option (pytest's addoption takes the same)."""
        found: dict[str, Any] = {"help": help, "metavar": self.metavar, "default": self.default}
        if self.kind is not None:
            found["type"] = self.kind
        if self.repeat:
            found.update(action="append", default=[])
        if self.const is not None:
            found.update(nargs="?", const=self.const)
        return found

    def argv(self, value: Any) -> list[str]:
        """The pytest arguments that pass a `conformance run` value on (none when unset)."""
        if value is None:
            return []
        values = value if self.repeat else [value]
        flag = self.spelt(PREFIX)
        return [a for v in values for a in (flag, str(v.resolve() if isinstance(v, Path) else v))]


def _limit(name: str) -> tuple[float, float]:
    low, high, _ = BOUNDS[name]
    return low, high


FLAGS = (
    Flag(
        "profile",
        "target profile (TOML) of the wallet to certify",
        Path,
        metavar="FILE",
        run_note="; default: the embedded reference wallet",
    ),
    Flag(
        "fault",
        "with no profile: certify this faulty (or correct) variant of the reference wallet",
        plugin=False,  # passed on as --conformance-reference
    ),
    Flag(
        "reference",
        "certify the embedded reference wallet (optionally a faulty variant)",
        metavar="FAULT",
        const="reference",
        run=False,  # `conformance run` certifies it without --profile, a variant with --fault
    ),
    Flag(
        "report",
        "HTML report path",
        Path,
        Path("reports/report.html"),
        "PATH",
        plugin=False,  # passed on as pytest-html's --html
    ),
    Flag(
        "results",
        "results JSON path",
        Path,
        metavar="PATH",
        run_note=" (default: beside the report)",
    ),
    Flag(
        "junit",
        "JUnit XML path, one case per requirement",
        Path,
        metavar="PATH",
        run_note=" (default: beside the report)",
    ),
    Flag(
        "transcript",
        "transcript path: every exchange (redacted) as JSON lines",
        Path,
        metavar="PATH",
        run_note=" (default: beside the report)",
    ),
    Flag("examples", EXAMPLES_HELP, int, DEFAULT_EXAMPLES, "N"),
    Flag("seed", "seed for a reproducible random run (default: derandomized)", int, metavar="N"),
    Flag(
        "only",
        "run only the suite test with this name (repeatable)",
        metavar="TEST",
        repeat=True,
    ),
    Flag(
        "rate",
        "requests per second over the whole run, 0 for unlimited (default: the profile's [limits] "
        "rate, or 20; unlimited for the embedded reference wallet)",
        float,
        metavar="N",
        bounds=_limit("rate"),
    ),
    Flag(
        "workers",
        "requests in flight at once (default: [limits] workers, or 8)",
        int,
        metavar="N",
        bounds=_limit("workers"),
    ),
    Flag(
        "max-requests",
        "request budget of the run; tests left when it is spent are reported as not run",
        int,
        metavar="N",
        bounds=_limit("max_requests"),
    ),
    Flag(
        "disturbance-budget",
        "share of the run's requests the network may disturb (reset, timeout, a 502/503/504 page) "
        "before the run is INCONCLUSIVE, exit 5 (default: [limits] disturbance_budget, or 0.05)",
        float,
        metavar="SHARE",
        bounds=_limit("disturbance_budget"),
    ),
    Flag(
        "ca-bundle",
        "PEM file of the CAs to trust for an https target (a private CA)",
        Path,
        metavar="PEM",
    ),
    Flag(
        "waivers",
        "waiver file (TOML) of accepted deviations; a waived MUST makes the run non-certifying "
        "(docs/report.md)",
        Path,
        metavar="FILE",
    ),
    Flag(
        "sign-key",
        "the certifier's RSA private key (PEM): sign the results JSON (a .sig beside it) and "
        "embed the signature in the HTML report",
        Path,
        metavar="PEM",
    ),
    Flag(
        "listen",
        "serve the prepareAuthInfo gateway passively for SECONDS and judge what arrives",
        float,
        metavar="SECONDS",
        run=False,  # `conformance listen` passes it on
    ),
    Flag(
        "scenario",
        "with --conformance-listen: how the gateway replies (default success)",
        default="success",
        metavar="NAME",
        run=False,
    ),
)
BY_NAME = {f.name: f for f in FLAGS}


def add_to_pytest(parser: pytest.Parser) -> None:
    """The plugin's options, in one group: `--conformance-` and the flag's name."""
    group = parser.getgroup("conformance", "Alipay+ wallet conformance")
    for flag in FLAGS:
        if flag.plugin:
            group.addoption(flag.spelt(PREFIX), **flag.keywords(flag.help))


def add_to_run(parser: argparse.ArgumentParser) -> None:
    """`conformance run`'s arguments."""
    for flag in FLAGS:
        if flag.run:
            parser.add_argument(flag.spelt(), **flag.keywords(flag.help + flag.run_note))


def check(values: Mapping[str, Any], prefix: str = "") -> str | None:
    """The first value out of its flag's bounds, said as the flag is spelt; None when all fit.
    `values` by dest (`max_requests`), with `prefix` as pytest spells them (`conformance_`)."""
    for flag in FLAGS:
        value = values.get(prefix.replace("-", "_") + flag.dest)
        if flag.bounds is None or value is None:
            continue
        low, high = flag.bounds
        if not low <= value <= high:
            side = f"below {_n(low)}" if value < low else f"above {_n(high)}"
            fix = f"pass a number from {_n(low)} to {_n(high)}"
            return f"{flag.spelt(prefix)} {_n(value)} is {side}; {fix}"
    return None


def _n(x: float) -> str:
    """A number as a user writes it: 1000000000, -1, 0.05."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
