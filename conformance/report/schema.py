"""The versioned JSON Schema of the results document, and validation against it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator

from conformance.results.document import Results


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("conformance.report") / "results.schema.json").read_text(
        encoding="utf-8"
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def problems(results: object) -> list[str]:
    """Every way the document breaks the schema, as `path: message` lines."""
    validator = Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in sorted(
            validator.iter_errors(results), key=lambda e: list(map(str, e.absolute_path))
        )
    ]


def checked(doc: object) -> tuple[Results | None, list[str]]:
    """The document, typed, when it conforms to the schema; else None and every problem."""
    found = problems(doc)
    return (None if found else cast(Results, doc)), found
