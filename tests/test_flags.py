"""One table of the run's options: the plugin's pytest options and `conformance run`'s arguments
are both built from it, their values checked by one function with the bounds of [limits], and
`conformance run` reads its profile once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

import pytest

from conformance.commands import run as run_command
from conformance.core import tomlfile
from conformance.core.errors import ProfileError
from conformance.profile.limits import BOUNDS, parse_limits
from conformance.pytest import flags
from conformance.reference.chaos import Chaos, profile_toml
from conformance.reference.threaded import serve

from .conftest import Certify


class Group:
    """pytest's option group, as an argparse parser underneath."""

    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser()
        self.given: dict[str, dict[str, Any]] = {}

    def addoption(self, name: str, **keywords: Any) -> None:
        self.given[name] = keywords
        self.parser.add_argument(name, **keywords)

    def getgroup(self, name: str, description: str = "") -> Group:
        return self


def plugin_options() -> Group:
    group = Group()
    flags.add_to_pytest(cast(pytest.Parser, group))
    return group


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance")
    run_command.add_parser(parser.add_subparsers(dest="command"))
    return parser


def run_actions() -> dict[str, argparse.Action]:
    sub = next(a for a in run_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {o: a for a in sub.choices["run"]._actions for o in a.option_strings}


def test_both_surfaces_are_built_from_the_table() -> None:
    plugin, run = plugin_options().given, run_actions()
    for flag in flags.FLAGS:
        assert (f"--conformance-{flag.name}" in plugin) == flag.plugin, flag.name
        assert (f"--{flag.name}" in run) == flag.run, flag.name
        if flag.plugin:
            assert plugin[f"--conformance-{flag.name}"]["help"] == flag.help
        if flag.run:
            action = run[f"--{flag.name}"]
            assert action.help == flag.help + flag.run_note
            assert (action.default, action.metavar) == (
                [] if flag.repeat else flag.default,
                flag.metavar,
            )
    assert set(run) - {f"--{f.name}" for f in flags.FLAGS} == {
        "-h",
        "--help",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
    }


def test_a_run_passes_each_value_on_as_the_plugin_reads_it(tmp_path: Path) -> None:
    given = ["--rate", "5", "--workers", "2", "--max-requests", "40", "--seed", "7"]
    given += [
        "--only",
        "a",
        "--only",
        "b",
        "--waivers",
        "w.toml",
        "--report",
        str(tmp_path / "r.html"),
    ]
    args = run_parser().parse_args(["run", *given])
    argv = run_command.pytest_args(args)
    mine = [
        a
        for i, a in enumerate(argv)
        if a.startswith("--conformance-") or (i and argv[i - 1].startswith("--conformance-"))
    ]
    read = plugin_options().parser.parse_args(mine)
    assert (read.conformance_rate, read.conformance_workers, read.conformance_seed) == (5.0, 2, 7)
    assert read.conformance_only == ["a", "b"] and read.conformance_max_requests == 40
    assert read.conformance_waivers == Path("w.toml").resolve()
    assert read.conformance_results == tmp_path / "results.json"  # beside the report
    assert read.conformance_reference == "reference"  # no --profile: the embedded wallet


@pytest.mark.parametrize("name", ["rate", "workers", "max-requests", "disturbance-budget"])
def test_the_bounds_are_those_of_the_profile_limits(name: str) -> None:
    low, high, _ = BOUNDS[name.replace("-", "_")]
    assert flags.BY_NAME[name].bounds == (low, high)
    assert flags.check({name.replace("-", "_"): low}) is None
    assert flags.check({name.replace("-", "_"): high}) is None
    above = high + 1
    with pytest.raises(ProfileError):
        parse_limits({name.replace("-", "_"): above})
    said = flags.check({name.replace("-", "_"): above})
    assert said is not None and said.startswith(f"--{name} ") and "is above" in said


def test_check_says_the_flag_as_each_surface_spells_it() -> None:
    assert flags.check({"rate": -1}) == "--rate -1 is below 0; pass a number from 0 to 10000"
    said = flags.check({"conformance_workers": 0}, flags.PREFIX)
    assert said == "--conformance-workers 0 is below 1; pass a number from 1 to 256"
    assert flags.check({"conformance_disturbance_budget": 0.5, "seed": -3}, flags.PREFIX) is None


def test_the_bounds_are_read_by_the_profile_and_the_table_only() -> None:
    root = Path(flags.__file__).parent.parent
    reading = {p.name for p in root.rglob("*.py") if "BOUNDS" in p.read_text("utf-8")}
    assert reading == {"limits.py", "flags.py"}
    saying = [p.name for p in root.rglob("*.py") if "below {" in p.read_text("utf-8")]
    assert saying == ["flags.py"]  # one function says a value is out of bounds


def test_the_plugin_refuses_a_value_out_of_bounds(pytester: pytest.Pytester) -> None:
    found = pytester.runpytest_inprocess(
        "-p", "conformance", "--conformance-reference", "--conformance-workers", "0"
    )
    assert found.ret == pytest.ExitCode.USAGE_ERROR
    assert "--conformance-workers 0 is below 1" in found.stderr.str()


@pytest.mark.parametrize("option", ["results", "junit", "transcript"])
def test_the_plugin_refuses_an_output_it_cannot_write_before_the_run(
    pytester: pytest.Pytester, option: str
) -> None:
    (pytester.path / "taken").write_text("not a folder")
    path = pytester.path / "taken/out"
    found = pytester.runpytest_inprocess(
        "-p", "conformance", "--conformance-reference", f"--conformance-{option}", str(path)
    )
    assert found.ret == pytest.ExitCode.USAGE_ERROR
    said = f"cannot write {path} ({pytester.path / 'taken'} is a file, not a folder)"
    assert f"{said}; choose another --conformance-{option}" in found.stderr.str()
    assert "Traceback" not in found.stderr.str() + found.stdout.str()


@pytest.mark.parametrize(
    ("name", "shown"), [("test_typo", "test_typo"), ("x\x1b[2J", "'x\\x1b[2J'")]
)
def test_the_plugin_refuses_an_only_that_selects_no_test(
    pytester: pytest.Pytester, name: str, shown: str
) -> None:
    last = pytester.path / "report.html"
    last.write_text("the last run's report")
    found = pytester.runpytest_inprocess(
        "-p", "conformance", "--conformance-reference", "--conformance-only", name, "--html", last
    )
    assert found.ret == pytest.ExitCode.USAGE_ERROR
    err = found.stderr.str()
    assert f"--only {shown} names no test of the suite" in err and "\x1b" not in err
    assert last.read_text() == "the last run's report"  # not replaced by an empty report


def test_a_run_reads_its_profile_once(
    certify: Certify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, reads = tmp_path / "p.toml", []
    real = tomlfile.read

    def read(path: Path, *args: Any, **kwargs: Any) -> Any:
        reads.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(tomlfile, "read", read)
    with serve(Chaos()) as url:
        profile.write_text(profile_toml(url, "ok", 2.0, ""))
        _, results = certify(
            "--profile",
            str(profile),
            "--only",
            "test_inactive_or_unknown_token_refused",
            examples=1,
        )
    assert results["profile"]["source"] == str(profile.resolve())
    assert reads.count("p.toml") == 1
