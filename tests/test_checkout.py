"""The checkout's root conftest.py: plain `pytest --conformance-...` from the repository root
certifies the wallet with the suite alone; plain `pytest` still runs the project's tests."""

from __future__ import annotations

import os
import subprocess
import sys

from conformance import __version__

from .distribution import ROOT

# This test's own pytest settings must not leak into the runs it starts.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def pytest_at_root(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def collected(*args: str) -> set[str]:
    done = pytest_at_root("--collect-only", "-q", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}


def test_without_a_target_the_project_tests_run() -> None:
    files = collected()
    assert "tests/test_checkout.py" in files
    assert not any(f.startswith("conformance/") for f in files)


def test_with_a_target_the_suite_alone_is_collected() -> None:
    assert collected("--conformance-reference") == {
        "conformance/suite/test_inquiry_user_info.py",
        "conformance/suite/test_prepare_auth_info.py",
        "conformance/suite/test_prepare_auth_info_provider.py",
    }


def test_plain_pytest_from_the_root_certifies_the_reference_wallet() -> None:
    done = pytest_at_root("--conformance-reference", "--conformance-examples", "1")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "conformance: CERTIFIED" in done.stdout
    assert f"mpp-conformance {__version__}: package {ROOT / 'conformance'}" in done.stdout
