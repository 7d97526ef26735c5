"""The certification sections placed at the top of the pytest-html report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

STYLE = """<style>
.cert{font-family:system-ui,sans-serif;margin:0 0 2em}
.cert .verdict{font-size:1.6em;font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:4px}
.cert .CERTIFIED{background:#d4edda;color:#155724}.cert .NOT{background:#f8d7da;color:#721c24}
.cert table{border-collapse:collapse;margin:.5em 0}.cert td,.cert th{border:1px solid #ccc;padding:3px 6px;
vertical-align:top;text-align:left}.cert .failed{background:#f8d7da}.cert .warned{background:#fff3cd}
.cert .passed{background:#e8f5e9}.cert .untested{background:#eee}.cert pre{white-space:pre-wrap;
max-height:24em;overflow:auto;background:#f6f8fa;padding:.5em;font-size:.85em}
</style>"""


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return body


def _message(m: Mapping[str, Any] | None, first_line: str) -> str:
    if m is None:
        return "(no response)"
    head = "\n".join(f"{k}: {v}" for k, v in m["headers"])
    return f"{first_line}\n{head}\n\n{_pretty(m['body'])}"


def cover(results: Mapping[str, Any]) -> str:
    v = results["verdict"]
    t, run, c = results.get("target", {}), results.get("run", {}), results["counts"]
    rows = [("Target", t.get("base_url", "")), ("pspId", t.get("psp_id", "")), ("Client-Id", t.get("client_id", "")),
            ("Suite version", results.get("suite", {}).get("version", "")),
            ("Contract version", results.get("contract", {}).get("digest", "")),
            ("Profile", f"{results.get('profile', {}).get('source', '')} {results.get('profile', {}).get('digest', '')}"),
            ("Date", run.get("started", "")), ("Duration", f"{run.get('duration', 0):.1f} s"),
            ("Seed", str(run.get("seed", ""))), ("Requests sent", str(run.get("requests", ""))),
            ("Requirements", f"{c['passed']} passed, {c['failed']} failed, {c['warned']} warned, "
                             f"{c['untested']} untested")]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(val))}</td></tr>" for k, val in rows)
    cls = "CERTIFIED" if v == "CERTIFIED" else "NOT"
    return f'<h2>Certification</h2><div id="verdict" class="verdict {cls}">{escape(v)}</div><table>{cells}</table>'


def matrix(results: Mapping[str, Any]) -> str:
    head = "<tr><th>ID</th><th>Level</th><th>Requirement</th><th>Source</th><th>Status</th><th>Exchanges</th></tr>"
    body = []
    for r in results["requirements"]:
        link = f'<a href="#ev-{escape(r["id"])}">{escape(r["status"])}</a>' if r["evidence"] else escape(r["status"])
        body.append(f'<tr class="{escape(r["status"])}"><td>{escape(r["id"])}</td><td>{escape(r["level"])}</td>'
                    f'<td>{escape(r["text"])}</td><td>{escape(r["source"])} [{escape(r["label"])}]</td>'
                    f'<td>{link}</td><td>{r["exchanges"]}</td></tr>')
    return f'<h2>Requirement matrix</h2><table id="matrix">{head}{"".join(body)}</table>'


def evidence(results: Mapping[str, Any]) -> str:
    parts = []
    for r in results["requirements"]:
        for i, ev in enumerate(r["evidence"]):
            exchanges = "".join(
                f"<h4>{escape(ex['case'])}</h4><pre>{escape(_message(ex['request'], ex['request']['method'] + ' ' + ex['request']['url']))}</pre>"
                f"<pre>{escape(_message(ex['response'], 'HTTP ' + str(ex['response']['status'])) if ex['response'] else ex.get('error') or '(no response)')}</pre>"
                for ex in ev["exchanges"])
            anchor = f' id="ev-{escape(r["id"])}"' if i == 0 else ""
            parts.append(
                f'<div class="{escape(r["status"])}"{anchor}><h3>{escape(r["id"])} ({escape(r["level"])})</h3>'
                f"<p>{escape(ev['message'])}</p><p>Expected: {escape(ev['expected'])}<br>Received: "
                f"{escape(ev['received'])}</p><blockquote>{escape(r['rule'])} — {escape(r['source'])}</blockquote>"
                f"<p>Reproduce: <code>{escape(ev.get('reproduce', ''))}</code></p>{exchanges}</div>")
    errors = "".join(f"<li>{escape(e['test'])}: {escape(e['message'])}</li>" for e in results["errors"])
    if errors:
        parts.append(f"<h3>Suite errors</h3><ul>{errors}</ul>")
    return "<h2>Evidence</h2>" + ("".join(parts) or "<p>No failures or warnings.</p>")


def sections(results: Mapping[str, Any]) -> str:
    return f'<div class="cert">{STYLE}{cover(results)}{matrix(results)}{evidence(results)}</div>'
