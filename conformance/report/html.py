"""The certification sections, rendered from the results document alone (placed in the
pytest-html report)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from typing import Any

from .style import SCRIPT, STYLE

Row = Mapping[str, Any]
BROKEN = ("failed", "warned", "waived")
# Fixed widths, so every family's table lines up with the others.
COLUMNS = (
    "<colgroup>"
    + "".join(f'<col style="width:{w}%">' for w in (16, 6, 26, 28, 9, 8, 7))
    + "</colgroup>"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def slug(status: str) -> str:
    return "st-" + "-".join(status.split())


def badge(status: str) -> str:
    return f'<span class="badge {slug(status)}">{_e(status.upper())}</span>'


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return body


def _message(m: Mapping[str, Any], first_line: str) -> str:
    head = "\n".join(f"{k}: {v}" for k, v in m["headers"])
    body = _pretty(m["body"])
    return f"{first_line}\n{head}\n\n{body}" if body else f"{first_line}\n{head}"


def exchange(ex: Mapping[str, Any]) -> str:
    req, resp = ex["request"], ex["response"]
    sent = _message(req, f"{req['method']} {req['url']}")
    if resp is not None:
        got = _message(
            resp,
            f"HTTP {resp['status']}" + (f"  ({resp['elapsed']} s)" if "elapsed" in resp else ""),
        )
    else:
        got = f"(no response) {ex.get('error') or ''}"
    return (
        f'<div class="exchange"><div class="case">{_e(ex["case"])}</div>'
        f'<div class="pair"><div><h5>Request</h5><pre>{_e(sent)}</pre></div>'
        f"<div><h5>Response</h5><pre>{_e(got)}</pre></div></div></div>"
    )


def _notes(rows: Sequence[Row]) -> list[str]:
    """What a certified run still owes the reader: its warnings, and every level the profile
    changed."""
    warned = [f"{r['id']} ({r['level']}) warned" for r in rows if r["status"] == "warned"]
    changed = [
        f"{r['id']}: {r['level_default']} {'lowered' if r['level'] == 'SHOULD' else 'raised'} to "
        f"{r['level']} by the profile"
        for r in rows
        if r.get("level_default")
    ]
    return warned + changed


def provenance(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The cover rows that say what judged: the suite, the contract and the profile."""
    suite, profile = results.get("suite", {}), results.get("profile", {})
    return [
        ("Suite version", f"{suite.get('name', '')} {suite.get('version', '')}"),
        ("Contract version", results.get("contract", {}).get("digest", "")),
        ("Profile", f"{profile.get('source', '')} {profile.get('digest', '')}"),
    ]


def cover(results: Mapping[str, Any]) -> str:
    if results.get("observation"):
        from .observed import cover as observed

        return observed(results)
    v, reasons = results["verdict"], results.get("reasons", [])
    t, run, c = results.get("target", {}), results.get("run", {}), results["counts"]
    rows = [
        ("Wallet (target)", t.get("base_url", "")),
        ("pspId", t.get("psp_id", "")),
        ("Client-Id", t.get("client_id", "")),
        ("Date", run.get("started", "")),
        *provenance(results),
        ("Seed", str(run.get("seed", ""))),
        ("Examples per property", str(run.get("examples", ""))),
        ("Duration", f"{run.get('duration', 0):.1f} s"),
        ("Requests sent", str(run.get("requests", ""))),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(val)}</td></tr>" for k, val in rows)
    tally = " ".join(
        f'<span class="count {slug(s)}"><b>{n}</b> {_e(s)}</span>' for s, n in c.items()
    )
    why = "".join(f"<li>{_e(r)}</li>" for r in reasons)
    notes = "".join(f"<li>{_e(n)}</li>" for n in _notes(results["requirements"]))
    cls = "CERTIFIED" if v == "CERTIFIED" else "NOT"
    return (
        f'<section id="cover"><h2>Alipay+ wallet certification</h2>'
        f'<div id="verdict" class="verdict {cls}">{_e(v)}</div>'
        + (f'<ul id="reasons">{why}</ul>' if why else "")
        + (f'<ul id="notes">{notes}</ul>' if notes else "")
        + f'<p id="counts">Requirements: {tally}</p><table class="cover">{cells}</table></section>'
    )


def waivers(results: Mapping[str, Any]) -> str:
    block = results.get("waivers") or {}
    entries = block.get("entries", [])
    if not entries:
        return ""
    head = (
        "<tr><th>Requirement</th><th>Level</th><th>State</th><th>Reason</th><th>Owner</th>"
        "<th>Expires</th><th>Note</th></tr>"
    )
    body = "".join(
        f'<tr class="waiver-{_e(w["state"])}"><td class="rid"><a '
        f'href="#req-{_e(w["requirement"])}">{_e(w["requirement"])}</a></td>'
        f"<td>{_e(w['level'] or '')}</td><td>{_e(w['state'].upper())}</td>"
        f"<td>{_e(w['reason'])}</td>"
        f"<td>{_e(w['owner'])}</td><td "
        f'class="date">{_e(w["expires"])}</td><td>{_e(w["note"])}</td></tr>'
        for w in entries
    )
    src = f"{block.get('source') or ''} {block.get('digest') or ''}"
    return (
        f'<section id="waivers"><h2>Waivers</h2><p>From {_e(src)}</p><table '
        f'class="grid">{head}{body}</table></section>'
    )


def _level(r: Row) -> str:
    if not r.get("level_default"):
        return _e(r["level"])
    return f'{_e(r["level"])}<div class="note">profile; documented {_e(r["level_default"])}</div>'


def _row(r: Row) -> str:
    link = f'<a href="#ev-{_e(r["id"])}">evidence</a>' if r["evidence"] else ""
    note = ""
    if r.get("waiver"):
        w = r["waiver"]
        note = (
            f'<div class="note">{_e(w["was"])}; waived by {_e(w["owner"])} until '
            f"{_e(w['expires'])}: {_e(w['reason'])}</div>"
        )
    elif r.get("reason"):  # why the requirement is not applicable to this run
        note = f'<div class="note">{_e(r["reason"])}</div>'
    return (
        f'<tr id="req-{_e(r["id"])}" class="req {slug(r["status"])}" '
        f'data-status="{_e(r["status"])}">'
        f'<td class="rid">{_e(r["id"])}</td><td>{_level(r)}</td><td>{_e(r["text"])}</td>'
        f'<td class="rule"><q>{_e(r["rule"])}</q><div class="src">{_e(r["source"])} '
        f"[{_e(r['label'])}: {_e(r['basis'])}]</div></td>"
        f"<td>{badge(r['status'])}{note}</td><td "
        f'class="num">{r["exchanges"]}</td><td>{link}</td></tr>'
    )


def _groups(rows: Sequence[Row]) -> Iterator[tuple[str, list[tuple[str, list[Row]]]]]:
    """(api, [(family, rows)]) in catalogue order."""
    for api in dict.fromkeys(r["api"] for r in rows):
        listed = [r for r in rows if r["api"] == api]
        yield (
            api,
            [
                (f, [r for r in listed if r["family"] == f])
                for f in dict.fromkeys(r["family"] for r in listed)
            ],
        )


def matrix(results: Mapping[str, Any]) -> str:
    counts = results["counts"]
    boxes = "".join(
        f'<label class="{slug(s)}"><input type="checkbox" data-filter-status="{_e(s)}" checked> '
        f"{_e(s)} ({n})</label>"
        for s, n in counts.items()
        if n
    )
    head = (
        f"{COLUMNS}<thead><tr><th>ID</th><th>Level</th><th>Requirement</th><th>Source "
        f"rule</th><th>Status</th>"
        "<th>Exchanges</th><th>Evidence</th></tr></thead>"
    )
    parts = []
    for api, families in _groups(results["requirements"]):
        parts.append(f'<h3 class="api">{_e(api)}</h3>')
        for family, rows in families:
            body = "".join(_row(r) for r in rows)
            parts.append(
                f'<table class="grid matrix" data-api="{_e(api)}" data-family="{_e(family)}">'
                f"<caption>{_e(family)}</caption>{head}<tbody>{body}</tbody></table>"
            )
    return (
        f'<section id="matrix"><h2>Requirement matrix</h2>'
        f'<p id="status-filter">Show: {boxes} <span '
        f'id="shown"></span></p>{"".join(parts)}</section>'
    )


def _evidence(r: Row) -> str:
    items = []
    for i, ev in enumerate(r["evidence"]):
        exchanges = (
            "".join(exchange(ex) for ex in ev["exchanges"]) or "<p>(no exchange recorded)</p>"
        )
        items.append(
            f"<details{' open' if i == 0 else ''}><summary>{_e(ev['test'])}</summary>"
            f'<table class="ev"><tr><th>Found</th><td>{_e(ev["message"])}</td></tr>'
            f"<tr><th>Expected</th><td>{_e(ev['expected'])}</td></tr>"
            f"<tr><th>Received</th><td>{_e(ev['received'])}</td></tr>"
            f"<tr><th>Reproduce</th><td><code>{_e(ev.get('reproduce', ''))}</code></td></tr>"
            "</table>"
            f"{exchanges}</details>"
        )
    waived = ""
    if r.get("waiver"):
        w = r["waiver"]
        waived = (
            f'<p class="note">WAIVED ({_e(w["was"])}) by {_e(w["owner"])} until '
            f"{_e(w['expires'])}: "
            f"{_e(w['reason'])}</p>"
        )
    return (
        f'<article id="ev-{_e(r["id"])}" class="evidence {slug(r["status"])}">'
        f"<h3>{badge(r['status'])} {_e(r['id'])} ({_e(r['level'])}) {_e(r['text'])}</h3>{waived}"
        f"<blockquote><q>{_e(r['rule'])}</q><footer>{_e(r['source'])} [{_e(r['label'])}: "
        f"{_e(r['basis'])}]; {r['failures']} of {r['exchanges']} exchanges broke "
        f"it</footer></blockquote>"
        f"{''.join(items)}</article>"
    )


def evidence(results: Mapping[str, Any]) -> str:
    parts = [
        _evidence(r) for r in results["requirements"] if r["status"] in BROKEN and r["evidence"]
    ]
    errors = "".join(
        f"<li><code>{_e(e['test'])}</code>: {_e(e['message'])}</li>" for e in results["errors"]
    )
    if errors:
        parts.append(
            f'<h3>Suite errors (tests that could not complete)</h3><ul class="errors">{errors}</ul>'
        )
    return (
        '<section id="evidence"><h2>Evidence</h2>'
        + ("".join(parts) or "<p>No failures or warnings.</p>")
        + "</section>"
    )


def integrity(digest: str, data: bytes) -> str:
    """The digest of results.json, and its exact bytes for `conformance verify-report`."""
    blob = base64.b64encode(data).decode("ascii")
    return (
        f'<section id="integrity"><h2>Integrity</h2><p>This report is rendered from its results '
        f"JSON, "
        f'whose SHA-256 is <code id="results-sha256">{_e(digest)}</code>. Check it with '
        f"<code>conformance verify-report</code>.</p>"
        f'<script type="application/octet-stream" id="conformance-results" '
        f'data-sha256="{_e(digest)}">'
        f"{blob}</script></section>"
    )


def sections(results: Mapping[str, Any], digest: str, data: bytes) -> str:
    """Every certification section; deterministic, so a verifier can render them again and
    compare."""
    return (
        f'<div class="cert" '
        f'id="certification">{STYLE}{cover(results)}{waivers(results)}{matrix(results)}'
        f"{evidence(results)}{integrity(digest, data)}{SCRIPT}</div>"
    )


def page(results: Mapping[str, Any], digest: str, data: bytes) -> str:
    """A standalone page of the same sections, for a results document without its pytest-html
    report."""
    kind = "Observation" if results.get("observation") else "Certification"
    title = f"{kind} report: {results.get('target', {}).get('base_url', '')}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta '
        f'charset="utf-8"><title>{_e(title)}</title></head>'
        f'<body><h1 id="title">{_e(title)}</h1>{sections(results, digest, data)}</body></html>\n'
    )
