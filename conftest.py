"""Repository root: `pytest --conformance-profile staging.toml` here certifies the wallet.

Without a target option, `pytest` runs the project's own tests (`testpaths`), as before.
"""

from __future__ import annotations

import pytest

# Options that aim the suite at a wallet (plugin.py): with one, the run is a certification.
TARGET_OPTIONS = ("conformance_profile", "conformance_reference")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """A certification from the checkout collects the suite alone, not the project's tests."""
    # The project's tests are not checks of a wallet: aimed at one, they would only add minutes
    # and failures of their own to its verdict. With no path given, the plugin then collects the
    # suite (it runs after this hook), exactly as in a wallet team's repository.
    certifying = any(config.getoption(name, None) for name in TARGET_OPTIONS)
    if certifying and config.args_source is pytest.Config.ArgsSource.TESTPATHS:
        config.args = []


def pytest_report_header(config: pytest.Config) -> str:
    """Name the suite version, and the package and contract copies under test."""
    import conformance
    from conformance.contract.spec import default_directory

    return (
        f"mpp-conformance {conformance.__version__}: package {conformance.__path__[0]}, "
        f"contract {default_directory()}"
    )
