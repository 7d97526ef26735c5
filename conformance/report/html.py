"""The certification sections, rendered from the results document alone by the templates in
templates/ (placed in the pytest-html report, or on a page of their own)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from conformance.report.signature import Signature
from conformance.report.style import CSS, JS
from conformance.report.text import disturbed, left_out, plan
from conformance.results.document import (
    AnswerDoc,
    ExchangeRecord,
    RequirementRow,
    Results,
    SentRequest,
)

BROKEN = ("failed", "warned", "waived")
Families = list[tuple[str, list[RequirementRow]]]


def slug(status: str) -> str:
    """The CSS class of a status: `not applicable` -> `st-not-applicable`."""
    return "st-" + "-".join(status.split())


def _message(first_line: str, m: SentRequest | AnswerDoc) -> str:
    """The message as it went over the wire: the body is shown as received, never re-indented,
    for a signature is over those very bytes (bytes that are not UTF-8 read as \\xNN)."""
    head = "\n".join(f"{k}: {v}" for k, v in m["headers"])
    body = m["body"]
    return f"{first_line}\n{head}\n\n{body}" if body else f"{first_line}\n{head}"


def sent(ex: ExchangeRecord) -> str:
    """The request of an exchange as it went on the wire: request line, headers, pretty body."""
    req = ex["request"]
    return _message(f"{req['method']} {req['url']}", req)


def answered(ex: ExchangeRecord) -> str:
    """The answer of an exchange the same way, or why there was none."""
    # The attempts the network spoiled come first, as they happened; then the answer judged.
    spoiled = "".join(
        f"(attempt {d['attempt']}: {d['kind']}, re-sent) {d['what']}\n"
        for d in ex.get("disturbances", [])
    )
    resp = ex["response"]
    if resp is None:
        return f"{spoiled}(no response) {ex['error'] or ''}"
    elapsed = f"  ({resp['elapsed']} s)" if "elapsed" in resp else ""
    return spoiled + _message(f"HTTP {resp['status']}{elapsed}", resp)


# Bidirectional embeddings, overrides, isolates and marks: a target's text holding one could
# reorder what the reader sees around it (a name read backwards, a status moved).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _code(char: str) -> str:
    return f"<U+{ord(char):04X}>"


def _escape(value: object) -> Markup:
    """Autoescaping with html.escape's entities (`&quot;`, `&#x27;`), as the report always used;
    each bidirectional control shown as a marked `<U+202E>` instead of obeyed."""
    if isinstance(value, Markup):
        return value
    # No quote in the mark: a value placed in an attribute stays inside it.
    return Markup(
        _BIDI.sub(
            lambda m: f"<span class=bidi>{escape(_code(m.group()))}</span>",
            escape(str(value), quote=True),
        )
    )


_ENV = Environment(
    loader=PackageLoader("conformance.report", "templates"),
    autoescape=True,
    finalize=_escape,
    undefined=StrictUndefined,  # a misspelt field fails the render instead of showing nothing
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(slug=slug, sent=sent, answered=answered)


def notes(rows: Sequence[RequirementRow]) -> list[str]:
    """What a certified run still owes the reader: its warnings, and every level the profile
    changed."""
    warned = [f"{r['id']} ({r['level']}) warned" for r in rows if r["status"] == "warned"]
    changed = [
        f"{r['id']}: {default} {'lowered' if r['level'] == 'SHOULD' else 'raised'} to "
        f"{r['level']} by the profile"
        for r in rows
        if (default := r.get("level_default"))
    ]
    return warned + changed


# The roles a profile can certify, by requirement prefix (docs/prepareAuthInfo.md).
ROLES = {
    "IUI": "the wallet's inquiryUserInfo server ([target])",
    "PAI": "the wallet as prepareAuthInfo client ([gateway])",
    "PAS": "an Alipay+-side prepareAuthInfo server ([provider])",
}
NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Role:
    """One role of the run: assessed (some requirement judged) or not, and why not."""

    prefix: str
    name: str
    requirements: int
    counts: tuple[tuple[str, int], ...]  # status -> requirements, in catalogue order of statuses
    why_not: str  # why it was not assessed (the rows' reason); "" when assessed

    @property
    def assessed(self) -> bool:
        return not self.why_not


def role_of(row: RequirementRow) -> str:
    return row["id"].split("-", 1)[0]


def roles(rows: Sequence[RequirementRow]) -> list[Role]:
    """Each role of the catalogue in its order: what the run found of it, or why it was left out."""
    out = []
    for prefix in dict.fromkeys(role_of(r) for r in rows):
        mine = [r for r in rows if role_of(r) == prefix]
        counts = Counter(r["status"] for r in mine)
        left_out = counts[NOT_APPLICABLE] == len(mine)
        why = Counter(r.get("reason") or NOT_APPLICABLE for r in mine).most_common(1)[0][0]
        out.append(
            Role(
                prefix,
                ROLES.get(prefix, f"{prefix} requirements"),
                len(mine),
                tuple(counts.items()),
                why if left_out else "",
            )
        )
    return out


def groups(rows: Sequence[RequirementRow]) -> list[tuple[str, Families]]:
    """(api, [(family, rows)]) in catalogue order."""
    out = []
    for api in dict.fromkeys(r["api"] for r in rows):
        listed = [r for r in rows if r["api"] == api]
        families = dict.fromkeys(r["family"] for r in listed)
        out.append((api, [(f, [r for r in listed if r["family"] == f]) for f in families]))
    return out


def _context(results: Results) -> dict[str, Any]:
    """What the section templates read: the document, and the views derived from it."""
    rows = results["requirements"]
    of_run = roles(rows)
    # A role left out shows as one line, not as a row per requirement it holds.
    shown = {r.prefix for r in of_run if r.assessed}
    return {
        "roles": of_run,
        "results": results,
        "notes": notes(rows),
        "disturbed": disturbed(results),
        "selection": left_out(results),
        "plan": plan(results),
        "groups": groups([r for r in rows if role_of(r) in shown]),
        "listed": Counter(r["status"] for r in rows if role_of(r) in shown),
        "broken": [r for r in rows if r["status"] in BROKEN and r["evidence"]],
        # An observation's cover says what traffic broke; it never reads as a certification.
        "cover_template": "observed.html" if "observation" in results else "cover.html",
        "css": CSS,
        "js": JS,
    }


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def cover(results: Results) -> str:
    context = _context(results)
    return _render(context["cover_template"], **context)


def matrix(results: Results) -> str:
    return _render("matrix.html", **_context(results))


def evidence(results: Results) -> str:
    return _render("evidence.html", **_context(results))


def _integrity(digest: str, data: bytes, signature: Signature | None) -> dict[str, Any]:
    """The digest of results.json, its exact bytes and the signature over them, for
    `conformance verify-report`."""
    return {
        "digest": digest,
        "blob": base64.b64encode(data).decode("ascii"),
        "signature": signature,
        # Unescaped, since a <script> holds raw text; a Signature holds only hex and base64, so
        # its document can hold no markup.
        "signature_json": Markup(signature.document().decode("ascii")) if signature else "",
    }


def sections(results: Results, digest: str, data: bytes, signature: Signature | None = None) -> str:
    """Every certification section; deterministic, so a verifier can render them again and
    compare."""
    return _render("sections.html", **_context(results), **_integrity(digest, data, signature))


def page(results: Results, digest: str, data: bytes, signature: Signature | None = None) -> str:
    """A standalone page of the same sections, for a results document without its pytest-html
    report."""
    kind = "Observation" if "observation" in results else "Certification"
    # A <title> shows text, not markup: its controls are shown as plain `<U+202E>`.
    title = _BIDI.sub(lambda m: _code(m.group()), f"{kind} report: {results['target']['base_url']}")
    return _render(
        "page.html",
        title=title,
        policy=POLICY,
        **_context(results),
        **_integrity(digest, data, signature),
    )


def _sources(blocks: Iterable[str]) -> str:
    hashes = sorted({hashlib.sha256(b.encode("utf-8")).digest() for b in blocks})
    return " ".join(f"'sha256-{base64.b64encode(h).decode('ascii')}'" for h in hashes) or "'none'"


def policy(styles: Iterable[str], scripts: Iterable[str], linked: bool = False) -> str:
    """A Content-Security-Policy that allows exactly these inline blocks, by their hashes, and
    nothing else: no other script or style, no load from anywhere (but a stylesheet beside the
    report when it links one)."""
    style = ("'self' " if linked else "") + _sources(styles)
    return (
        f"default-src 'none'; style-src {style}; script-src {_sources(scripts)}; "
        "base-uri 'none'; form-action 'none'"
    )


POLICY = policy([CSS], [JS])  # the sections' own stylesheet and script, as the templates place them
_HEAD_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_CHARSET = re.compile(r"<meta charset=[^>]*>", re.IGNORECASE)
_LINKED_STYLE = re.compile(r"<link [^>]*rel=\"stylesheet\"")


def _pytest_html_script() -> str:
    return (resources.files("pytest_html") / "resources" / "app.js").read_text(encoding="utf-8")


def protected(report: str) -> str:
    """The pytest-html report with a policy allowing its own blocks and the sections' only.

    pytest-html's head holds its stylesheet and nothing from a target; of the scripts, only the
    one that is pytest-html's own app.js is allowed (its results table is rendered by it)."""
    head = report[: report.find("</head>")]
    known = _pytest_html_script().strip()
    styles = [*_HEAD_STYLE.findall(head), CSS]
    scripts = [*(b for b in _SCRIPT.findall(report) if b.strip() == known), JS]
    # Without --self-contained-html, pytest-html links its stylesheet from assets/ beside it.
    allowed = escape(policy(styles, scripts, linked=bool(_LINKED_STYLE.search(head))))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{allowed}">'
    charset = _CHARSET.search(head)
    at = charset.end() if charset else report.find("<head>") + len("<head>")
    # The "still running, reload" button of a report written mid-run: hidden once the run is
    # over, and an inline handler the policy would refuse.
    rest = report[at:].replace(' onclick="location.reload()"', "", 1)
    rest = _BLOB.sub(lambda m: _ESCAPED_BIDI.sub(_blob_mark, m.group()), rest, count=1)
    return report[:at] + meta + rest


# pytest-html's results (each test's log, HTML it shows as is) are JSON in an attribute, where a
# control is written \u202e; an escaped backslash before it means the text only spells one.
_BLOB = re.compile(r'data-jsonblob="[^"]*"')
_ESCAPED_BIDI = re.compile(r"(?<!\\)((?:\\\\)*)\\u(061[cC]|200[eEfF]|202[a-eA-E]|206[6-9])")


def _blob_mark(m: re.Match[str]) -> str:
    shown = f"<span class=bidi>{escape(_code(chr(int(m.group(2), 16))))}</span>"
    return m.group(1) + escape(shown)
