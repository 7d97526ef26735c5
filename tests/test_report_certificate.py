"""The certificate a partner reads: cover, matrix, evidence and integrity first; pytest-html's
sections after them as a collapsed technical appendix in words; evidence an engineer can act on."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape, unescape
from pathlib import Path
from typing import Any, cast

from conformance.report import html
from conformance.report.appendix import SuiteTest, duration, outcome, tally
from conformance.results.document import Results


def load(folder: Path) -> Results:
    return cast(Results, dict(json.loads((folder / "results.json").read_text())))


def _blob(page: str) -> dict[str, Any]:
    found = re.search(r'data-jsonblob="([^"]*)"', page)
    assert found
    return dict(json.loads(unescape(found.group(1))))


def test_the_certificate_comes_first_and_pytest_htmls_sections_are_a_collapsed_appendix(
    faulty_run: Path,
) -> None:
    page = (faulty_run / "report.html").read_text()
    cert, appendix = page.index('id="certification"'), page.index('<details id="appendix">')
    # Without any script: the certificate right under the title, everything of pytest-html's
    # (environment, its summary, the per-test table) inside the appendix, which is closed.
    assert page.index('<h1 id="title">') < cert < appendix
    for part in ("<h2>Environment</h2>", 'class="run-count"', 'id="results-table"'):
        assert appendix < page.index(part) < page.index("</details>\n<footer>")
    assert '<details id="appendix" open' not in page


def test_the_appendix_shows_outcomes_in_words_without_tracebacks_paths_or_reprs(
    faulty_run: Path,
) -> None:
    page = (faulty_run / "report.html").read_text()
    logs = [t["log"] for runs in _blob(page)["tests"].values() for t in runs]
    assert logs and not any("Recorder(" in log or "Traceback" in log for log in logs)
    assert not any(re.search(r"(/[\w.-]+)+\.py", unescape(log)) for log in logs)
    failed = [
        unescape(t["log"])
        for runs in _blob(page)["tests"].values()
        for t in runs
        if t["result"] == "Failed"
    ]
    assert failed and all(log.startswith("broke IUI-SCOPE-NO-EXTRA: ") for log in failed)
    assert "Recorder(" not in page


def test_the_appendix_counts_reconcile_with_the_cover(faulty_run: Path) -> None:
    page, results = (faulty_run / "report.html").read_text(), load(faulty_run)
    runs = [t for runs in _blob(page)["tests"].values() for t in runs]
    failed_tests = sum(1 for t in runs if t["result"] == "Failed")
    summary = re.search(r'<details id="appendix"><summary>([^<]*)</summary>', page)
    assert summary and f"{failed_tests} failed" in summary.group(1)
    assert (
        f"The {failed_tests} failed tests broke 1 requirement: IUI-SCOPE-NO-EXTRA "
        f"(by {failed_tests} tests); the cover counts {results['counts']['failed']} failed "
        "(IUI-SCOPE-NO-EXTRA)."
    ) in page
    count = re.search(r'<p class="run-count">([^<]*)</p>', page)
    assert count and count.group(1) == (
        f"{len(runs)} suite tests took {duration(results['run']['duration'])}."
    )


def test_a_duration_never_reads_sixty_seconds() -> None:
    assert duration(59.6) == "59.6 s"
    assert duration(119.7) == "2 min 00 s" and duration(61) == "1 min 01 s"


def test_outcomes_in_words_and_their_tally() -> None:
    record = json.dumps(
        {
            "A-1": {"exchanges": 2, "failures": 0, "evidence": None},
            "B-2": {
                "exchanges": 2,
                "failures": 1,
                "evidence": {"message": "m", "expected": "e", "received": "r"},
            },
        }
    )
    broke = outcome("t1", "failed", {"conformance": record})
    assert broke == SuiteTest("t1", "failed", "broke B-2: m; expected e, got r", ("B-2",))
    ok = outcome("t2", "passed", {"conformance": record})
    assert ok.text == "passed: 2 requirements judged, none broken"
    skipped = outcome("t3", "skipped", {}, "Skipped: no [gateway] in the profile")
    assert skipped.text == "skipped: no [gateway] in the profile"
    error = outcome("t4", "failed", {"conformance-error": "OSError: refused"})
    assert error.outcome == "error" and error.text == "could not complete: OSError: refused"
    lines = tally([broke, ok, skipped, error], ["B-2"])
    assert lines[0].startswith("4 suite tests: 1 failed, 1 error, 1 passed, 1 skipped.")
    assert (
        lines[1]
        == "The 1 failed test broke 1 requirement: B-2 (by 1 test); the cover counts 1 failed "
        "(B-2)."
    )
    assert lines[2] == "The 1 skipped test: 1 no [gateway] in the profile."


GATEWAY = "no [gateway] in the profile: the wallet was not certified as a prepareAuthInfo client"


def _without_gateway(results: Results) -> Results:
    """The results of a profile without [gateway]: every PAI requirement not applicable."""
    for row in results["requirements"]:
        if row["id"].startswith("PAI-"):
            row.update({"status": "not applicable", "reason": GATEWAY, "exchanges": 0})
    results["counts"]["not applicable"] = sum(
        1 for r in results["requirements"] if r["status"] == "not applicable"
    )
    return results


def test_the_cover_says_per_role_whether_it_was_assessed_and_why_not(reference_run: Path) -> None:
    results = _without_gateway(load(reference_run))
    cover = html.cover(results)
    roles = dict(
        re.findall(r'<tr class="(?:not-)?assessed"><th>([^<]+)</th>\s*<td>(.*?)</td>', cover)
    )
    assert roles["the wallet as prepareAuthInfo client ([gateway])"] == (
        f"<b>NOT ASSESSED</b>: {GATEWAY}"
    )
    served = roles["the wallet&#x27;s inquiryUserInfo server ([target])"]
    assert served.startswith("assessed: ") and "passed" in served


def test_a_role_not_assessed_is_one_line_of_the_matrix(reference_run: Path) -> None:
    results = _without_gateway(load(reference_run))
    pai = sum(1 for r in results["requirements"] if r["id"].startswith("PAI-"))
    matrix = html.matrix(results)
    assert 'id="req-PAI-' not in matrix and matrix.count('class="not-assessed"') == 1
    line = re.search(r'<p class="not-assessed" id="role-PAI">(.*?)</p>', matrix)
    assert line and f"{pai} PAI requirements not applicable: {GATEWAY}" in line.group(1)
    # The filter offers only statuses of rows the matrix shows, and only once a script runs.
    assert 'data-filter-status="not applicable"' not in matrix
    assert '<p id="status-filter" hidden>' in matrix


def test_the_replay_command_is_in_the_evidence_and_in_junit(faulty_run: Path) -> None:
    results = load(faulty_run)
    row = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")
    ev = row["evidence"][0]
    assert ev["replay"].startswith("conformance replay ")
    section = html.evidence(results)
    assert f"<tr><th>Replay</th><td><code>{escape(ev['replay'])}</code>" in section
    suite = ET.fromstring((faulty_run / "junit.xml").read_bytes())
    case = next(c for c in suite.findall("testcase") if c.get("name") == row["id"])
    text = case.findtext("failure") or ""
    assert f"replay: {ev['replay']}" in text and f"reproduce: {ev['reproduce']}" in text


def test_a_signature_failure_shows_what_it_was_checked_over_and_which_key(
    faulty_run: Path,
) -> None:
    results = load(faulty_run)
    ev = next(r for r in results["requirements"] if r["id"] == "IUI-SCOPE-NO-EXTRA")["evidence"][0]
    content = 'POST /mpp/v1/alipayplus/inquiryUserInfo\nW.2026-01-02T03:04:05+08:00.{"a":\n 1}'
    ev["signatures"] = [
        {
            "signed": "response",
            "signature": "c2ln%2B",
            "contents": [content],
            "verifies": False,
            "key": "right",
        }
    ]
    section = html.evidence(results)
    assert "<code>c2ln%2B</code>" in section and "<b>the right key</b>" in section
    assert f'<pre class="content">{escape(content)}</pre>' in section
    ev["signatures"][0]["key"] = "other"
    assert "<b>another key</b>" in html.evidence(results)
    # The wallet's own Signature header is shown as it came, never redacted.
    response = ev["exchanges"][0]["response"]
    assert response is not None
    shown = [v for k, v in response["headers"] if k.lower() == "signature"]
    assert shown and "[redacted]" not in shown[0] and escape(shown[0]) in section
