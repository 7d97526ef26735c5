"""The certification sections' stylesheet and status-filter script, inlined (no external assets)."""

from __future__ import annotations

from importlib import resources

from markupsafe import Markup

_STATIC = resources.files("conformance.report") / "static"

# Package files, not user data: the templates place them as they are.
CSS = Markup(_STATIC.joinpath("report.css").read_text(encoding="utf-8"))
# Moves the certification to the top of the page and filters the matrix by status; the report
# reads the same with scripts off, only unfiltered.
JS = Markup(_STATIC.joinpath("report.js").read_text(encoding="utf-8"))
