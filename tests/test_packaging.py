"""The distribution: the wheel and the sdist hold everything the tool reads at run time, and one
version, written once, is the one every artifact and document states."""

from __future__ import annotations

import re
import tarfile
import tomllib
import zipfile
from email.parser import HeaderParser
from fnmatch import fnmatch

import pytest

from conformance import __version__

from .distribution import ROOT, Artifacts, build

pytestmark = pytest.mark.packaging
DIST_INFO = f"mpp_conformance-{__version__}.dist-info/"
SDIST_ROOT = f"mpp_conformance-{__version__}/"
# What the tool reads at run time, by kind: each pattern must match files of the wheel.
RUN_TIME = (
    "conformance/schemas/*.json",
    "conformance/suite/pytest.ini",
    "conformance/suite/test_*.py",
    "conformance/contract/catalogue/*.toml",
    "conformance/report/static/report.css",
    "conformance/report/static/report.js",
    "conformance/report/results.schema.json",
    "conformance/reference/testdata/*.pem",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    return build(tmp_path_factory.mktemp("dist"))


def package_files() -> set[str]:
    """Every file of the package in the checkout, named as in the wheel."""
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "conformance").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def contract_files() -> dict[str, bytes]:
    """schemas/, the single source of truth, as the wheel must carry it: inside the package."""
    return {
        f"conformance/schemas/{p.name}": p.read_bytes()
        for p in (ROOT / "schemas").iterdir()
        if p.is_file()
    }


def test_wheel_holds_the_contract_and_every_file_of_the_package(built: Artifacts) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        contract = contract_files()
        shipped = {name: wheel.read(name) for name in contract if name in names}
    assert len(contract) >= 9 and shipped == contract  # every file of schemas/, byte for byte
    files = {n for n in names if not n.startswith(DIST_INFO)}
    assert files - (package_files() | set(contract)) == set(), "files the wheel should not carry"
    assert (package_files() | set(contract)) - files == set(), "files the wheel is missing"
    for pattern in RUN_TIME:
        assert any(fnmatch(n, pattern) for n in files), f"the wheel has no {pattern}"


def test_wheel_metadata_states_the_version_and_the_entry_points(built: Artifacts) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        meta = HeaderParser().parsestr(wheel.read(DIST_INFO + "METADATA").decode())
        entry_points = wheel.read(DIST_INFO + "entry_points.txt").decode()
    assert built.wheel.name == f"mpp_conformance-{__version__}-py3-none-any.whl"
    assert (meta["Name"], meta["Version"]) == ("mpp-conformance", __version__)
    assert meta["Requires-Python"] == ">=3.11" and meta["License-Expression"] == "Apache-2.0"
    assert "[console_scripts]\nconformance = conformance.cli:entry" in entry_points
    assert "[pytest11]\nconformance = conformance.plugin" in entry_points


def test_sdist_holds_the_contract_the_package_and_the_project(built: Artifacts) -> None:
    """The wheel above was built from this sdist, so the sdist alone makes a complete wheel."""
    with tarfile.open(built.sdist) as sdist:
        names = {n.removeprefix(SDIST_ROOT) for n in sdist.getnames()}
        pkg_info = sdist.extractfile(SDIST_ROOT + "PKG-INFO")
        assert pkg_info is not None
        assert HeaderParser().parsestr(pkg_info.read().decode())["Version"] == __version__
    schemas = {f"schemas/{p.name}" for p in (ROOT / "schemas").iterdir()}
    assert schemas <= names
    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "conftest.py"} <= names
    assert {n.removeprefix("conformance/") for n in package_files()} <= {
        n.removeprefix("conformance/") for n in names if n.startswith("conformance/")
    }
    assert any(n.startswith("tests/test_") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_one_version_written_once_and_stated_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.findall(r"^## (\S+)", changelog, re.MULTILINE)[0] == __version__
    pins = [
        pin
        for doc in ("README.md", "docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml")
        for pin in re.findall(r"mpp-conformance==([\w.]+)", (ROOT / doc).read_text())
    ]
    assert len(pins) >= 3 and set(pins) == {__version__}
