"""The certification sections' stylesheet and status-filter script, inlined (no external assets)."""

from __future__ import annotations

from importlib import resources

_STATIC = resources.files("conformance.report") / "static"

STYLE = "<style>\n" + (_STATIC / "report.css").read_text(encoding="utf-8") + "</style>"
# Moves the certification to the top of the page and filters the matrix by status; the report
# reads the same with scripts off, only unfiltered.
SCRIPT = "<script>\n" + (_STATIC / "report.js").read_text(encoding="utf-8") + "</script>"
