"""`python -m conformance` runs the command line."""

from .cli import entry

entry()
