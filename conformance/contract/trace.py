"""The trace from the documents to the catalogue: every sentence of the two API pages and the
contract notes, and the requirements whose checks catch its violation (or why none can)."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from conformance.contract.sentences import Sentence
from conformance.core.errors import ContractError

TRACE_FILE = "trace.toml"
DOCUMENTS = ("inquiryUserInfo.txt", "prepareAuthInfo.txt", "contract-notes.md")
# The suite module whose tests judge each role's requirements (prefix of the requirement ID).
SUITE_MODULES = {
    "IUI": "test_inquiry_user_info.py",
    "PAS": "test_prepare_auth_info_provider.py",
    "PAI": "test_prepare_auth_info.py",
}
_KINDS = ("requirements", "unobservable", "informative")


@dataclass(frozen=True)
class Statement:
    """One sentence of a document and what the suite makes of it."""

    document: str
    section: str
    sentence: int
    quote: str
    requirements: tuple[str, ...] = ()
    unobservable: str = ""
    informative: str = ""
    gap: str = ""  # no requirement yet: the probe that would catch a violation

    @property
    def anchor(self) -> str:
        return f"{self.document} § {self.section} #{self.sentence}"

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.document, self.section, self.sentence)

    @property
    def normative(self) -> bool:
        return not self.informative


def _text(where: str, row: Mapping[str, Any], name: str) -> str:
    value = row.get(name, "")
    if not isinstance(value, str):
        raise ContractError(where, f"has a {name} that is not text", "quote it")
    return value


def _statement(where: str, row: Mapping[str, Any]) -> Statement:
    doc, section, quote = (_text(where, row, f) for f in ("document", "section", "quote"))
    number, reqs = row.get("sentence"), row.get("requirements")
    if doc not in DOCUMENTS or not section or not quote:
        raise ContractError(where, "lacks document, section or quote", f"documents: {DOCUMENTS}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ContractError(where, "has no sentence number", "number sentences from 1")
    kinds = [k for k in _KINDS if k in row]
    if len(kinds) != 1:
        raise ContractError(where, "needs exactly one of " + ", ".join(_KINDS), "choose one")
    if reqs is not None and not (isinstance(reqs, list) and all(isinstance(r, str) for r in reqs)):
        raise ContractError(where, "has requirements that are not a list of IDs", "list IDs")
    gap = _text(where, row, "gap")
    if ("requirements" in row) and (not reqs) != bool(gap):
        raise ContractError(where, "maps to no requirement without a gap", "say what would")
    return Statement(
        doc,
        section,
        number,
        quote,
        tuple(reqs or ()),
        _text(where, row, "unobservable"),
        _text(where, row, "informative"),
        gap,
    )


def parse(text: str) -> tuple[Statement, ...]:
    """The statements of a trace file, each checked for shape (not against the documents)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(TRACE_FILE, f"is not valid TOML ({exc})", "fix that line")
    rows = data.get("statement", [])
    out = tuple(_statement(f"{TRACE_FILE} statement #{i + 1}", r) for i, r in enumerate(rows))
    seen: set[tuple[str, str, int]] = set()
    for s in out:
        if s.key in seen:
            raise ContractError(TRACE_FILE, f"repeats {s.anchor}", "one entry per sentence")
        seen.add(s.key)
    return out


@cache
def trace() -> tuple[Statement, ...]:
    """Every statement of conformance/contract/catalogue/trace.toml, in document order."""
    entry = resources.files("conformance.contract.catalogue") / TRACE_FILE
    return parse(entry.read_text(encoding="utf-8"))


def _families(node: ast.FunctionDef) -> set[str]:
    names: set[str] = set()
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and ast.unparse(deco.func).endswith("mark.family"):
            names |= {
                a.value
                for a in deco.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    return names


@cache
def suite_tests() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """For each role prefix, family -> the suite tests marked with it (read, not imported)."""
    folder = resources.files("conformance") / "suite"
    out: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for prefix, module in SUITE_MODULES.items():
        tree = ast.parse((folder / module).read_text(encoding="utf-8"))
        by_family: dict[str, list[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for family in _families(node):
                    by_family.setdefault(family, []).append(node.name)
        out[prefix] = MappingProxyType({f: tuple(t) for f, t in by_family.items()})
    return MappingProxyType(out)


def probes(rid: str, family: str) -> tuple[str, ...]:
    """The suite tests that judge a requirement: its role's tests marked with its family."""
    return suite_tests().get(rid.split("-", 1)[0], {}).get(family, ())


def problems(
    statements: Iterable[Statement], sentences: Iterable[Sentence], known: Container[str]
) -> list[str]:
    """What keeps the trace from matching the documents: a sentence with no entry, an entry whose
    quote no longer reads so, an unknown requirement ID. Only the documents given are compared."""
    at = {(s.document, s.section, s.number): s for s in sentences}
    documents = {key[0] for key in at}
    entries = {s.key: s for s in statements if s.document in documents}
    found: list[str] = []
    for st in entries.values():
        sentence = at.get(st.key)
        if sentence is None or sentence.text != st.quote:
            now = [s for s in at.values() if s.document == st.document and s.text == st.quote]
            where = ", ".join(f"now {s.section} #{s.number}" for s in now)
            found.append(f"{st.anchor} no longer reads {st.quote!r} ({where or 'not found'})")
        found += [
            f"{st.anchor} names {r}, which is not in the catalogue"
            for r in st.requirements
            if r not in known
        ]
    for key, sentence in at.items():
        if key not in entries:
            found.append(
                f"{sentence.document} § {sentence.section} #{sentence.number} has no entry in "
                f"{TRACE_FILE}: {sentence.text!r} (map it to requirements, or say why it is "
                "unobservable or informative)"
            )
    return found
