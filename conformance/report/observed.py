"""The cover of an observation report (`conformance observe`): what the traffic broke, never a
certification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .html import _e, provenance, slug


def _requests(seen: Mapping[str, Any]) -> str:
    asked = seen.get("requests")
    if not asked:
        return ""
    broken = ", ".join(f"{rule} {n}" for rule, n in asked["broken"].items())
    return (
        f"{asked['well_formed']} well-formed, {asked['malformed']} malformed"
        + (f" (rules broken: {broken})" if broken else "")
        + "; judged, never counted against the wallet"
    )


def cover(results: Mapping[str, Any]) -> str:
    """The verdict line, why, and where and how the traffic was observed."""
    seen, run, c = results["observation"], results.get("run", {}), results["counts"]
    lat, skipped = seen.get("added_latency_ms", {}), seen.get("not_judged", {})
    role = "wallet (Alipay+ -> proxy -> wallet)"
    if seen["role"] == "alipayplus":
        role = "Alipay+ (wallet -> proxy -> Alipay+)"
    rows = [
        ("Role", role),
        ("Listening on", seen["listen"]),
        ("Upstream", seen["upstream"]),
        ("Started", run.get("started", "")),
        ("Duration", f"{run.get('duration', 0):.1f} s" + ("" if seen["complete"] else ", running")),
        (
            "Exchanges",
            (
                f"{seen['exchanges']} observed, {seen.get('judged', 0)} judged; not judged: "
                f"{skipped.get('backlog', 0)} (judge backlog full), "
                f"{skipped.get('aborted', 0)} (the client left mid-request), "
                f"{skipped.get('other_path', 0)} (to another path than {seen.get('path', '')})"
            ),
        ),
        ("Alipay+'s requests", _requests(seen)),
        ("Open flows", str(seen.get("open_flows", "")) if seen["role"] == "alipayplus" else ""),
        (
            "Added latency",
            (
                f"median {lat.get('median', 0)} ms, p95 {lat.get('p95', 0)} ms, "
                f"max {lat.get('max', 0)} ms over {lat.get('samples', 0)} exchanges"
            ),
        ),
        ("Judge errors", str(seen.get("judge_errors", 0))),
        *provenance(results),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v)
    tally = " ".join(
        f'<span class="count {slug(s)}"><b>{n}</b> {_e(s)}</span>' for s, n in c.items()
    )
    why = "".join(f"<li>{_e(r)}</li>" for r in results.get("reasons", []))
    return (
        '<section id="cover"><h2>Observed traffic (not a certification)</h2>'
        f'<div id="verdict" class="verdict OBSERVED">{_e(results["verdict"])}</div>'
        + (f'<ul id="reasons">{why}</ul>' if why else "")
        + f'<p id="counts">Requirements: {tally}</p><table class="cover">{cells}</table>'
        "<p>Only what traffic alone can settle is judged; requirements that need a request the "
        "suite chooses are marked not applicable (docs/observe.md).</p></section>"
    )
