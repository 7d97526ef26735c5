"""`python -m conformance` runs the command line."""

from conformance.cli import entry

entry()
