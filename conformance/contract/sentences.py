"""The documents cut into sentences, the one way the trace and its test both read them.

The rule (docs/requirements.md, "Traceability"): a line of a page, or a paragraph, bullet or table
row of the notes, is cut after `.`, `!` or `?` where the next word starts with a capital, a quote,
a bracket, a backtick or `*` (never after "e.g." or "i.e."); a table row is one sentence; a
parameter's heading line opens its section and is its first sentence; a line of one word (a table
cell, a heading) and a code fence are layout. Whitespace runs become one space and a leading
bullet or list number is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# The headings of the two API pages; a parameter's own heading opens a subsection.
PAGE_HEADINGS = frozenset(
    {
        "Structure",
        "Request parameters",
        "Response parameters",
        "API Explorer",
        "How to return the result",
        "How to handle the result",
        "Result/Error codes",
    }
)
INTRODUCTION = "Introduction"
_PARAMETER = re.compile(
    r"^([a-zA-Z]+) +(?:[Ss]tring|Array|Result|User)(?: object)? *(?:REQUIRED)?$"
)
_CODE_ROW = re.compile(r"^[A-Z][A-Z_]+[SFU][A-Z]")
_CUT = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z\"“`(\[*])")
_BULLET = re.compile(r"^(?:[•\-*]|\d+\.)\s+")
_TABLE_RULE = re.compile(r"^\|[\s|:-]+\|$")


def _clean(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document: where it stands and its text, whitespace collapsed."""

    document: str
    section: str
    number: int  # 1-based, within its section
    text: str


def _cut(unit: str) -> list[str]:
    unit = _clean(_BULLET.sub("", _clean(unit)))
    if len(unit.split()) < 2:
        return []
    return [s for s in (_clean(p) for p in _CUT.split(unit)) if s]


def _page_units(text: str) -> Iterator[tuple[str, str]]:
    """(section, unit) of an API page: one unit per line."""
    section, heading = INTRODUCTION, INTRODUCTION
    for raw in text.splitlines():
        line = _clean(raw)
        if line in PAGE_HEADINGS:
            section = heading = line
            continue
        param = _PARAMETER.match(line)
        if param and heading in ("Request parameters", "Response parameters"):
            section = f"{heading}, {param.group(1)}"  # the heading states type and presence
        if _CODE_ROW.match(line) and heading == "Result/Error codes":
            yield section, f"\x00{line}"  # a table row: never cut
            continue
        yield section, line


def _notes_units(text: str) -> Iterator[tuple[str, str]]:
    """(section, unit) of a markdown file: paragraphs, bullets and table rows."""
    section, fenced = INTRODUCTION, False
    block: list[str] = []
    lines = [raw.strip() for raw in text.splitlines()]
    for i, line in enumerate(lines):
        opens = not line or fenced or line.startswith(("#", "|", "- ", "```"))
        if block and opens:
            yield section, " ".join(block)
            block = []
        if line.startswith("```"):
            fenced = not fenced
        elif fenced or not line:
            continue
        elif line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|"):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not _TABLE_RULE.match(line) and not _TABLE_RULE.match(following):
                yield section, f"\x00{line}"  # a table row (its header row names columns)
        elif not line.startswith("#"):
            block.append(line)
    if block:
        yield section, " ".join(block)


def split(document: str, text: str) -> list[Sentence]:
    """Every sentence of a document (a `.md` file is read as markdown, anything else as a page)."""
    units = _notes_units(text) if document.endswith(".md") else _page_units(text)
    out: list[Sentence] = []
    counts: dict[str, int] = {}
    for section, unit in units:
        parts = [_clean(unit[1:])] if unit.startswith("\x00") else _cut(unit)
        for part in parts:
            counts[section] = counts.get(section, 0) + 1
            out.append(Sentence(document, section, counts[section], part))
    return out
