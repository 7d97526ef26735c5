"""Terminal conventions shared by the commands: colour only on a terminal, NO_COLOR respected."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

GREEN, RED, YELLOW = "32", "31", "33"


def colour_enabled(stream: TextIO | None = None) -> bool:
    """NO_COLOR (no-color.org) wins, then FORCE_COLOR, then whether the stream is a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, code: str, stream: TextIO | None = None) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour_enabled(stream) else text


def error(message: str) -> None:
    """One line on stderr, in the form argparse uses for its own errors."""
    from conformance.core.sinks import for_terminal

    print(f"conformance: error: {for_terminal(message)}", file=sys.stderr)


def out_and_sign_key(p: argparse.ArgumentParser, out: str, sign: str) -> None:
    """The two options of a command that writes a signed file: where to, and with which key."""
    p.add_argument("--out", type=Path, help=out)
    p.add_argument("--sign-key", type=Path, help=sign)
