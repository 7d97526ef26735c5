"""Text from outside, made safe where it is shown: one function per sink.

Every string a target (or a profile, a report, a transport failure) supplies passes through
`for_terminal` before it reaches the console and through `for_xml` before it enters an XML
document, as Jinja2's autoescape does for HTML. Neither drops anything: what cannot be shown is
written as a visible escape (`\\x1b`, `\\r`, `\\u202e`), so the reader sees what was sent."""

from __future__ import annotations

import os
import re
from typing import TextIO

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# C0 and C1 controls, DEL, the bidirectional embeddings, overrides and isolates, and lone
# surrogates (which no terminal encoding can carry).
_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_TERMINAL_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What XML 1.0 cannot carry, even as a character reference (its production `Char`).
_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A colour or weight (SGR) sequence, the only one a console of this suite writes itself.
_SGR = re.compile("\x1b\\[[0-9;]*m")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: object) -> str:
    """One field, safe on a terminal: every control character (newlines too), DEL, escape
    sequence, bidirectional override or isolate shown as a visible escape; printable text,
    non-ASCII letters included, kept as it is."""
    return _TERMINAL.sub(_escape, str(text))


def for_xml(text: object) -> str:
    """Text an XML 1.0 document can carry: each character it forbids (most C0 controls, lone
    surrogates, U+FFFE and U+FFFF) shown as a visible escape."""
    return _XML.sub(_escape, str(text))


class TerminalStream:
    """A text stream for output written by others (pytest's own report): line breaks kept,
    colour (SGR) sequences kept only where colour is on, every other control escaped."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.stream, self.colour = stream, colour

    def write(self, text: str) -> int:
        if self.colour:
            parts = _SGR.split(text)
            kept = _SGR.findall(text) + [""]
            shown = "".join(
                _TERMINAL_LINES.sub(_escape, p) + k for p, k in zip(parts, kept, strict=True)
            )
        else:
            shown = _TERMINAL_LINES.sub(_escape, text)
        self.stream.write(shown)
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


class Unbroken:
    """Standard output whose reader may leave (`| head`, a CI log closed early): once a write
    meets a broken pipe the rest is dropped, and the command goes on to its verdict and exit code
    rather than end at the first line it could not print."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._leave()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._leave()

    def _leave(self) -> None:
        self.gone = True
        # What is still buffered goes nowhere, so the interpreter's last flush is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)
