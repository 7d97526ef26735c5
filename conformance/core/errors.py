"""The two kinds of error: a non-conformant target, and a misconfigured run."""

from __future__ import annotations


class ConfigError(Exception):
    """A run cannot start: the message names the field and the fix, on one line."""

    def __init__(self, where: str, problem: str, fix: str = "") -> None:
        self.where, self.problem, self.fix = where, problem, fix
        super().__init__(f"{where}: {problem}" + (f"; {fix}" if fix else ""))


class ContractError(ConfigError):
    """A file in schemas/ is broken."""


class ProfileError(ConfigError):
    """The target profile is invalid."""


class ConformanceFailure(AssertionError):
    """The target broke a MUST requirement; carries the requirement IDs."""

    def __init__(self, requirements: tuple[str, ...], message: str) -> None:
        self.requirements = requirements
        super().__init__(f"[{', '.join(requirements)}] {message}")
