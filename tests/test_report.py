"""The certification report: results schema, cover, matrix, evidence and JUnit, all from one
results document."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html import escape, unescape
from pathlib import Path
from typing import Any, cast

import pytest
from jinja2 import UndefinedError

from conformance.report import html, junit
from conformance.report.schema import problems
from conformance.results.document import Results
from conformance.results.fold import dumps


def load(folder: Path) -> Results:
    return cast(Results, dict(json.loads((folder / "results.json").read_text())))


def test_results_of_both_runs_validate_against_the_schema(
    reference_run: Path, faulty_run: Path
) -> None:
    for folder in (reference_run, faulty_run):
        assert problems(load(folder)) == []


def test_schema_refuses_a_document_that_breaks_it(reference_run: Path) -> None:
    broken: dict[str, Any] = json.loads((reference_run / "results.json").read_text())
    del broken["verdict"]
    broken["requirements"][0]["level"] = "MAY"
    broken["counts"].pop("waived")
    found = problems(broken)
    assert any("'verdict' is a required property" in p for p in found)
    assert any(p.startswith("/requirements/0/level") for p in found)
    assert any("'waived' is a required property" in p for p in found)


def test_results_bytes_are_what_the_report_states(reference_run: Path) -> None:
    data = (reference_run / "results.json").read_bytes()
    assert dumps(json.loads(data)) == data
    page = (reference_run / "report.html").read_text()
    stated = re.search(r'<code id="results-sha256">(sha256:[0-9a-f]{64})</code>', page)
    assert stated and stated.group(1) == "sha256:" + hashlib.sha256(data).hexdigest()


def test_cover_states_verdict_target_versions_and_counts(faulty_run: Path) -> None:
    results, page = load(faulty_run), (faulty_run / "report.html").read_text()
    assert '<div id="verdict" class="verdict NOT">NOT CERTIFIED</div>' in page
    assert "IUI-SCOPE-NO-EXTRA (MUST) failed" in page
    for value in (
        results["target"]["psp_id"],
        results["target"]["client_id"],
        results["contract"]["digest"],
        results["suite"]["version"],
        results["run"]["started"],
        str(results["run"]["requests"]),
    ):
        assert escape(value) in page
    assert f"<b>{results['counts']['failed']}</b> failed" in page


def test_matrix_has_one_row_per_requirement_grouped_by_api_and_family(faulty_run: Path) -> None:
    results = load(faulty_run)
    matrix = html.matrix(results)
    rows = re.findall(
        r'<tr id="req-([A-Z0-9-]+)" class="req st-([a-z-]+)" data-status="([a-z ]+)">', matrix
    )
    assert sorted(r[0] for r in rows) == sorted(r["id"] for r in results["requirements"])
    assert ("IUI-SCOPE-NO-EXTRA", "failed", "failed") in rows
    families = re.findall(r'data-api="([^"]+)" data-family="([^"]+)"', matrix)
    assert (
        len(families)
        == len(set(families))
        == len({(r["api"], r["family"]) for r in results["requirements"]})
    )
    assert '<a href="#ev-IUI-SCOPE-NO-EXTRA">evidence</a>' in matrix


def test_matrix_renders_any_status_and_api_generically(reference_run: Path) -> None:
    results = load(reference_run)
    results["requirements"][0] = {
        **results["requirements"][0],
        "api": "prepareAuthInfo",
        "status": "not applicable",
    }
    results["counts"]["not applicable"] = 1
    matrix = html.matrix(results)
    assert '<h3 class="api">prepareAuthInfo</h3>' in matrix
    assert 'data-status="not applicable"' in matrix and "st-not-applicable" in matrix
    assert 'data-filter-status="not applicable"' in matrix


def test_a_missing_field_fails_the_render_instead_of_showing_an_empty_cell(
    reference_run: Path,
) -> None:
    results = load(reference_run)
    del results["target"]["psp_id"]  # type: ignore[misc]
    with pytest.raises(UndefinedError, match="psp_id"):
        html.cover(results)


def test_evidence_shows_exchange_expectation_rule_and_reproduction(faulty_run: Path) -> None:
    results = load(faulty_run)
    row = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    ev = row["evidence"][0]
    section = html.evidence(results)
    assert 'id="ev-IUI-SCOPE-NO-EXTRA"' in section
    for text in (
        ev["message"],
        ev["expected"],
        ev["received"],
        ev["reproduce"],
        row["rule"],
        row["source"],
    ):
        assert escape(text) in section
    assert "POST " + ev["exchanges"][0]["request"]["url"] in section
    assert "HTTP 200" in section
    # Bodies are shown as received (a signature is over those very bytes), never re-indented.
    response = ev["exchanges"][0]["response"]
    assert response is not None
    received = response["body"]
    assert escape(received) in section and "\n  &quot;userInfo&quot;" not in section
    # The wallet's Signature header is public: shown as it came, for the engineer to compare.
    assert "signature=[redacted]" not in section and "signature=" in section
    # Only failures, warnings and waivers have evidence; passed requirements do not.
    assert 'id="ev-IUI-TRANSPORT-ANSWER"' not in section


def test_reference_report_has_no_evidence_and_is_certified(reference_run: Path) -> None:
    page = (reference_run / "report.html").read_text()
    assert '<div id="verdict" class="verdict CERTIFIED">CERTIFIED</div>' in page
    assert "No failures or warnings." in page


def test_sections_are_deterministic_and_embedded_verbatim(faulty_run: Path) -> None:
    data = (faulty_run / "results.json").read_bytes()
    results = json.loads(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    rendered = html.sections(results, digest, data)
    assert rendered == html.sections(copy.deepcopy(results), digest, data)
    assert rendered in (faulty_run / "report.html").read_text()


def test_junit_has_one_case_per_requirement(faulty_run: Path) -> None:
    results = load(faulty_run)
    suite = ET.fromstring((faulty_run / "junit.xml").read_bytes())
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r["id"] for r in results["requirements"]]
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert (
        failed
        == {r["id"] for r in results["requirements"] if r["status"] == "failed"}
        == {"IUI-SCOPE-NO-EXTRA"}
    )
    assert suite.get("tests") == str(len(results["requirements"])) and suite.get("failures") == "1"
    assert (faulty_run / "junit.xml").read_bytes() == junit.render(results)


def test_junit_marks_warned_and_waived_and_unknown_statuses(reference_run: Path) -> None:
    results = load(reference_run)
    rows = results["requirements"]
    rows[0]["status"] = "warned"
    rows[1].update(
        {
            "status": "waived",
            "waiver": {"reason": "known", "owner": "ops", "expires": "2099-01-01", "was": "failed"},
        }
    )
    rows[2]["status"] = "not applicable"
    cases = {c.get("name"): c for c in ET.fromstring(junit.render(results)).findall("testcase")}
    assert "WARNING" in (cases[rows[0]["id"]].findtext("system-out") or "")
    waived = cases[rows[1]["id"]].find("skipped")
    assert waived is not None and "WAIVED failed" in (waived.get("message") or "")
    assert "non-certifying" in (waived.get("message") or "")
    na = cases[rows[2]["id"]].find("skipped")
    assert na is not None and (na.get("message") or "").startswith("not applicable")


def test_report_is_self_contained(faulty_run: Path) -> None:
    page = (faulty_run / "report.html").read_text()
    assert not re.search(
        r"<script[^>]+\ssrc=|<link[^>]+\shref=|<img[^>]+\ssrc=\"?https?:|url\(\s*['\"]?https?:",
        page,
    )


def test_render_makes_a_standalone_page_of_the_same_sections(
    faulty_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli import main

    out = tmp_path / "page.html"
    assert main(["render", str(faulty_run / "results.json"), "--out", str(out)]) == 0
    data = (faulty_run / "results.json").read_bytes()
    sections = html.sections(json.loads(data), "sha256:" + hashlib.sha256(data).hexdigest(), data)
    assert sections in out.read_text() and sections in (faulty_run / "report.html").read_text()
    capsys.readouterr()
    assert main(["verify-report", str(out), "--results", str(faulty_run / "results.json")]) == 0


def test_render_refuses_a_document_that_breaks_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli import main

    (tmp_path / "results.json").write_text('{"schema": "mpp-conformance/results/v1"}')
    assert main(["render", str(tmp_path / "results.json")]) == 2
    assert "breaks the results schema" in capsys.readouterr().err


def test_transcript_holds_every_judged_exchange_with_what_it_broke(faulty_run: Path) -> None:
    results = load(faulty_run)
    lines = [
        json.loads(line) for line in (faulty_run / "transcript.jsonl").read_text().splitlines()
    ]
    assert results["transcript"] is not None
    assert len(lines) == results["transcript"]["exchanges"] > 0
    # Every request the suite sent, and every one the wallet's client sent to the suite's gateway.
    flows = [e for e in lines if e["test"].startswith("test_wallet_flow[")]
    assert flows and len(lines) - len(flows) == results["run"]["requests"]
    by_id = {r["id"]: r["exchanges"] for r in results["requirements"]}
    judged = [e for e in lines if e.get("judged", True) and e not in flows]
    answered = by_id["IUI-TRANSPORT-ANSWER"] + by_id["PAS-TRANSPORT-ANSWER"]
    assert answered == len(judged)  # each exchange counted once, however often it was replayed
    assert {"test", "case", "request", "response", "error", "broke"} <= set(lines[0])
    broke = [e for e in lines if "IUI-SCOPE-NO-EXTRA" in e["broke"]]
    # Every probe that expects success judges the scopes: valid requests, retries, unknown fields,
    # header forms, JSON layouts.
    success_probes = (
        "test_valid_request_succeeds",
        "test_same_request_twice",
        "test_body_mutation[unknown-field-",
        "test_header_deviation[",
        "test_json_layout_accepted[",
    )
    assert broke and all(e["test"].startswith(success_probes) for e in broke)
    assert [e["test"] for e in lines] == sorted(e["test"] for e in lines)


# -- a Content-Security-Policy that allows the report's own inline blocks and nothing else -------

_BLOCK = re.compile(r"<(style|script)(\s[^>]*)?>(.*?)</\1>", re.DOTALL)
_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _policy(page: str) -> dict[str, list[str]]:
    """The page's policy, directive by directive; it stands in the head before any block."""
    found = _POLICY.search(page)
    assert found, "no Content-Security-Policy"
    head = page[: page.index("</head>")]
    assert found.start() < min((m.start() for m in _BLOCK.finditer(head)), default=len(head))
    directives = [d.split() for d in unescape(found.group(1)).split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def _runs(attrs: str | None) -> bool:
    """A script block a browser runs (not a data block such as the embedded results)."""
    kind = re.search(r'type="([^"]+)"', attrs or "")
    return kind is None or kind.group(1) in ("text/javascript", "module")


def assert_only_own_blocks_allowed(page: str) -> None:
    policy = _policy(page)
    styles = [m[3] for m in _BLOCK.finditer(page) if m[1] == "style"]
    scripts = [m[3] for m in _BLOCK.finditer(page) if m[1] == "script" and _runs(m[2])]
    assert policy["default-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert sorted(policy["style-src"]) == sorted({_sha(s) for s in styles})
    assert sorted(policy["script-src"]) == sorted({_sha(s) for s in scripts})
    assert not re.search(r'\son[a-z]+="|\sstyle="', page.split("<!-- END TEMPLATES -->")[-1])


def test_the_standalone_page_allows_only_its_own_style_and_script(faulty_run: Path) -> None:
    data = (faulty_run / "results.json").read_bytes()
    page = html.page(load(faulty_run), "sha256:" + hashlib.sha256(data).hexdigest(), data)
    assert_only_own_blocks_allowed(page)


def test_the_certification_report_allows_only_its_own_and_pytest_htmls_blocks(
    faulty_run: Path,
) -> None:
    assert_only_own_blocks_allowed((faulty_run / "report.html").read_text())


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidirectional_controls_from_the_target_are_shown_not_obeyed(faulty_run: Path) -> None:
    results = load(faulty_run)
    row = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    ev = row["evidence"][0]
    ev["received"] = "userLoginId=\u202egnp.exe"
    body = json.dumps({"resultMessage": "ok" + BIDI}, ensure_ascii=False)  # raw, as received
    response = ev["exchanges"][0]["response"]
    assert response is not None
    response["body"] = body
    results["target"]["base_url"] = "https://wallet.example/\u2067pay"
    data = json.dumps(results).encode()
    page = html.page(results, "sha256:" + hashlib.sha256(data).hexdigest(), data)
    assert not set(BIDI) & set(page)
    assert "userLoginId=<span class=bidi>&lt;U+202E&gt;</span>gnp.exe" in page
    assert "wallet.example/<span class=bidi>&lt;U+2067&gt;</span>pay" in page
    for char in BIDI:
        assert f"&lt;U+{ord(char):04X}&gt;" in page


def test_bidirectional_controls_in_pytest_htmls_results_are_shown_not_obeyed(
    faulty_run: Path,
) -> None:
    """pytest-html keeps each test's log (a failure's message holds the target's text) as JSON
    in an attribute, where a control is written \\u202e: it becomes the same visible mark."""
    page = (faulty_run / "report.html").read_text()
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob
    data = json.loads(unescape(blob.group(1)))
    test = next(iter(data["tests"].values()))[0]
    test["log"] = "E   got userLoginId=\u202egnp.exe, a \\u202e written out, \u2066x\u2069"
    written = escape(json.dumps(data))
    hidden = page.replace(page[page.index("<meta http-equiv") : page.index("<title")], "")
    shown = html.protected(hidden.replace(blob.group(1), written))
    log = next(
        iter(
            json.loads(unescape(re.findall(r'data-jsonblob="([^"]*)"', shown)[0]))["tests"].values()
        )
    )[0]["log"]
    assert not set(BIDI) & set(log)
    assert "userLoginId=<span class=bidi>&lt;U+202E&gt;</span>gnp.exe" in log
    assert "a \\u202e written out" in log  # text that only spells an escape is left alone
    assert "<span class=bidi>&lt;U+2066&gt;</span>x<span class=bidi>&lt;U+2069&gt;</span>" in log


def test_a_report_whose_stylesheet_is_a_file_beside_it_may_load_that_stylesheet() -> None:
    """`pytest --html` without --self-contained-html links assets/style.css: allowed from the
    report's own origin, and still nothing else."""
    page = (
        '<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset="utf-8"/>\n    <title>t</title>\n'
        '      <link href="assets/style.css" rel="stylesheet" type="text/css"/>\n  </head>\n'
        "<body></body></html>"
    )
    policy = _policy(html.protected(page))
    assert "'self'" in policy["style-src"] and policy["default-src"] == ["'none'"]
    assert "'self'" not in policy["script-src"]
    assert "'self'" not in _policy(html.protected(page.replace("<link", "<x-link")))["style-src"]
