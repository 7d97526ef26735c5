"""The report as a user sees it: rendered by headless Chromium, verdict and matrix visible,
filter working."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
]

# Runs after the report's own scripts; records what is laid out on screen, then filters to "failed".
PROBE = """<script>
(function () {
  function visible(el) {
    if (!el) { return false; }
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  }
  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll("#certification tr.req"), visible)
      .map(function (r) { return r.id.slice(4) + ":" + r.getAttribute("data-status"); });
  }
  var verdict = document.getElementById("verdict");
  var out = {verdict: visible(verdict) ? verdict.innerText : null,
             verdictTop: verdict.getBoundingClientRect().top,
             environmentTop: document.getElementById("environment").getBoundingClientRect().top,
             rows: rows(),
             titles: Array.prototype.map.call(document.querySelectorAll("#certification h2"),
                                              function (h) { return h.innerText; })};
  document.querySelectorAll("#status-filter input").forEach(function (b) {
    if (b.getAttribute("data-filter-status") !== "failed" && b.checked) { b.click(); }
  });
  out.filtered = rows();
  out.violations = window.violations;
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed; .ci/run installs the Debian package `chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def render(page: Path, tmp_path: Path, *extra: str) -> str:
    args = [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, page.as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# Runs first, in the head: records every Content-Security-Policy violation the page causes.
WATCH = """<script>
window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sample);
});
</script>"""
_POLICY = re.compile(r'(<meta http-equiv="Content-Security-Policy" content="[^"]*?script-src )')


def probed(page: str, probe: str) -> str:
    """The page with WATCH first and probe last, the report's policy extended to run these two
    by their hashes, and otherwise unchanged."""
    allowed = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in (_content(WATCH), _content(probe))
    )
    with_policy, found = _POLICY.subn(lambda m: m.group(1) + allowed + " ", page, count=1)
    assert found, "the report has no Content-Security-Policy"
    at = with_policy.index(">", with_policy.index("Content-Security-Policy")) + 1
    return with_policy[:at] + WATCH + with_policy[at:].replace("</body>", probe + "</body>")


def _content(script: str) -> str:
    return script[len("<script>") : -len("</script>")]


def probe(folder: Path, tmp_path: Path, script: str = PROBE) -> dict[str, Any]:
    page = tmp_path / "probed.html"
    page.write_text(probed((folder / "report.html").read_text(), script))
    dom = render(page, tmp_path, "--dump-dom", "--virtual-time-budget=5000")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return dict(json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")))


def test_reference_report_shows_certified_verdict_and_full_matrix(
    reference_run: Path, tmp_path: Path
) -> None:
    results = json.loads((reference_run / "results.json").read_text())
    seen = probe(reference_run, tmp_path)
    assert seen["verdict"] == "CERTIFIED"
    assert seen["verdictTop"] < seen["environmentTop"], "the verdict is not at the top of the page"
    assert sorted(seen["rows"]) == sorted(
        f"{r['id']}:{r['status']}" for r in results["requirements"]
    )
    assert seen["titles"][:3] == ["Alipay+ wallet certification", "Requirement matrix", "Evidence"]
    assert seen["filtered"] == []  # nothing failed, so the "failed" filter leaves no row
    assert seen["violations"] == []


def test_faulty_report_shows_not_certified_and_filters_to_the_failure(
    faulty_run: Path, tmp_path: Path
) -> None:
    seen = probe(faulty_run, tmp_path)
    assert seen["verdict"] == "NOT CERTIFIED"
    assert "IUI-SCOPE-NO-EXTRA:failed" in seen["rows"] and len(seen["rows"]) > 20
    assert seen["filtered"] == ["IUI-SCOPE-NO-EXTRA:failed"]
    assert seen["violations"] == []


def test_report_renders_to_a_screenshot(faulty_run: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    render(faulty_run / "report.html", tmp_path, f"--screenshot={shot}")
    image = shot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert (width, height) == (1280, 1600) and len(
        image
    ) > 50_000  # a blank page compresses far below this


NARROW = """<script>
window.addEventListener("load", function () {
  var width = document.documentElement.clientWidth, wide = [];
  ["verdict", "reasons", "counts"].concat(
    Array.prototype.map.call(document.querySelectorAll("#cover table.cover td"),
                             function (td, i) { td.id = td.id || "cell" + i; return td.id; })
  ).forEach(function (id) {
    var el = document.getElementById(id);
    if (el && el.getBoundingClientRect().right > width + 1) { wide.push(id); }
  });
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify({width: width, wide: wide});
  document.body.appendChild(pre);
});
</script>"""


def test_the_cover_reads_whole_on_a_phone(faulty_run: Path, tmp_path: Path) -> None:
    """At a phone's width the verdict, its reasons and every cover line fit the screen."""
    page = tmp_path / "narrow.html"
    page.write_text(probed((faulty_run / "report.html").read_text(), NARROW))
    flags = [f for f in FLAGS if not f.startswith("--window-size")] + ["--window-size=420,900"]
    args = [chromium(), *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]
    done = subprocess.run(
        [*args, "--virtual-time-budget=5000", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"'))
    # Headless Chromium lays out no narrower than about 500 pixels: still a phone's width.
    assert seen["width"] < 640 and seen["wide"] == []


# After load: opens and closes the evidence, hides and shows pytest-html's details, and tries
# what the policy must refuse (a script and a style the report did not bring, a remote image).
WORKS = """<script>
window.addEventListener("load", function () {
  var out = {};
  var details = document.querySelector("#evidence details");
  details.open = false;
  details.querySelector("summary").click();
  out.opened = details.open;
  var rows = document.querySelectorAll("#results-table tbody.results-table-row");
  out.tests = rows.length;
  document.getElementById("hide_all_details").click();
  out.hidden = document.querySelectorAll("#results-table .col-result.collapsed").length;
  document.getElementById("show_all_details").click();
  out.shown = document.querySelectorAll("#results-table .col-result.collapsed").length;
  var injected = document.createElement("div");
  injected.innerHTML = '<img src="https://example.invalid/x.png"><span style="color:red">x</span>';
  document.body.appendChild(injected);
  var s = document.createElement("script");
  s.textContent = "window.injected = true;";
  document.body.appendChild(s);
  setTimeout(function () {
    out.injected = window.injected === true;
    out.violations = window.violations;
    var pre = document.createElement("pre"); pre.id = "probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 100);
});
</script>"""


def test_the_report_works_under_its_policy_and_refuses_anything_else(
    faulty_run: Path, tmp_path: Path
) -> None:
    seen = probe(faulty_run, tmp_path, WORKS)
    assert seen["opened"] is True
    assert seen["tests"] > 5 and seen["hidden"] == seen["tests"] and seen["shown"] == 0
    refused = sorted(v.split()[0] for v in seen["violations"])
    assert refused == ["img-src", "script-src-elem", "style-src-attr"], seen["violations"]
    assert seen["injected"] is False


# -- the certificate at a desk's width and a phone's, and printed -------------------------------

# After load: where the verdict is, what is wider than the screen, which badge its cell cuts, and
# whether the appendix (pytest-html's sections) is shut.
LAYOUT = """<script>
window.addEventListener("load", function () {
  var width = document.documentElement.clientWidth, out = {width: width, wide: [], clipped: []};
  var verdict = document.getElementById("verdict").getBoundingClientRect();
  out.verdictInFirstScreen = verdict.top >= 0 && verdict.bottom <= window.innerHeight;
  out.scrollWidth = document.documentElement.scrollWidth;
  var texts = ["#certification h1", "#certification h2", "#certification p", "#title",
               "#certification table.cover td", "#certification code", "#appendix > summary"];
  document.querySelectorAll(texts.join(", ")).forEach(function (el) {
    if (el.getBoundingClientRect().right > width + 1) {
      out.wide.push(el.tagName + ":" + el.innerText.slice(0, 40));
    }
  });
  document.querySelectorAll("#certification .badge").forEach(function (b) {
    var r = b.getBoundingClientRect(), cell = b.parentElement.getBoundingClientRect();
    if (r.width === 0) { return; }
    if (b.scrollWidth > b.clientWidth + 1 || r.right > cell.right + 1 || r.left < cell.left - 1) {
      out.clipped.push(b.innerText);
    }
  });
  out.badges = document.querySelectorAll("#certification .badge").length;
  var appendix = document.getElementById("appendix");
  var table = document.getElementById("results-table");
  out.appendix = appendix ? {open: appendix.open,
                             tableShown: !!table && table.checkVisibility()} : null;
  var title = document.getElementById("title");
  out.titleFont = getComputedStyle(title).fontFamily;
  if (window.parent !== window) { window.parent.postMessage(JSON.stringify(out), "*"); return; }
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""

# Headless Chromium's window is no narrower than 500 pixels: a phone's width is a frame of it,
# whose page reports what it laid out.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{page}" style="width:{width}px;height:900px;border:0"></iframe>
<script>
window.addEventListener("message", function (e) {{
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = e.data;
  document.body.appendChild(pre);
}});
</script></body></html>"""


def laid_out(page: Path, tmp_path: Path, width: int) -> dict[str, Any]:
    probing = tmp_path / f"layout-{width}.html"
    probing.write_text(probed(page.read_text(), LAYOUT))
    if width < 500:
        framed = tmp_path / f"frame-{width}.html"
        framed.write_text(FRAME.format(page=probing.name, width=width))
        probing = framed
    size = f"--window-size={max(width, 600)},1000"
    flags = [f for f in FLAGS if not f.startswith("--window-size")] + [size]
    args = [chromium(), *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]
    done = subprocess.run(
        [*args, "--hide-scrollbars", "--virtual-time-budget=5000", probing.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    return dict(json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")))


@pytest.mark.parametrize("width", [1400, 420])
def test_the_failing_certificate_reads_whole_at_a_desk_and_on_a_phone(
    faulty_run: Path, tmp_path: Path, width: int
) -> None:
    seen = laid_out(faulty_run / "report.html", tmp_path, width)
    assert seen["width"] == width and seen["verdictInFirstScreen"], seen
    assert seen["scrollWidth"] <= seen["width"] and seen["wide"] == [], seen
    assert seen["badges"] > 20 and seen["clipped"] == [], seen
    assert seen["appendix"] == {"open": False, "tableShown": False}


@pytest.fixture(scope="module")
def observation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page of an observation of a leaking wallet: its matrix holds not-applicable rows."""
    from conformance.reference.faults import make_wallet
    from conformance.reference.threaded import serve

    from .observe_traffic import profile, session, settings
    from .test_observe_cli import traffic

    folder = tmp_path_factory.mktemp("observed")
    with (
        serve(make_wallet("scope-leak").app()) as url,
        session(settings(profile(), url, "wallet"), folder) as running,
    ):
        traffic(running.url)
    return folder / "observation.html"


@pytest.mark.parametrize("width", [1400, 420])
def test_the_observation_reads_whole_with_a_styled_title_and_whole_badges(
    observation: Path, tmp_path: Path, width: int
) -> None:
    seen = laid_out(observation, tmp_path, width)
    assert seen["verdictInFirstScreen"] and seen["scrollWidth"] <= seen["width"], seen
    assert seen["wide"] == [] and seen["clipped"] == [], seen
    assert "NOT APPLICABLE" in observation.read_text().upper() and seen["badges"] > 20
    assert "system-ui" in seen["titleFont"]


# After load: the page's print rules made to apply on screen (through the CSSOM, which the
# policy allows), then what Save as PDF would show; the evidence as the browser opens it to print.
PRINTED = """<script>
window.addEventListener("load", function () {
  var sheet = document.querySelector("#certification style").sheet, printed = [];
  Array.prototype.forEach.call(document.styleSheets, function (s) {
    Array.prototype.forEach.call(s.cssRules, function (r) {
      if (r.media && r.media.mediaText === "print") {
        Array.prototype.forEach.call(r.cssRules, function (inner) { printed.push(inner.cssText); });
      }
    });
  });
  printed.forEach(function (text) { sheet.insertRule(text, sheet.cssRules.length); });
  function shown(id) { return getComputedStyle(document.getElementById(id)).display !== "none"; }
  var pre = document.querySelector("#evidence pre");
  var out = {rules: printed.length, appendix: shown("appendix"), filter: shown("status-filter"),
             preMaxHeight: getComputedStyle(pre).maxHeight};
  window.dispatchEvent(new Event("beforeprint"));
  out.evidenceOpen = Array.prototype.every.call(document.querySelectorAll("#evidence details"),
                                                 function (d) { return d.open; });
  var probe = document.createElement("pre"); probe.id = "probe";
  probe.textContent = JSON.stringify(out);
  document.body.appendChild(probe);
});
</script>"""


def test_the_print_stylesheet_leaves_the_certificate_alone_and_opened(
    faulty_run: Path, tmp_path: Path
) -> None:
    seen = probe(faulty_run, tmp_path, PRINTED)
    assert seen["rules"] > 3
    assert seen["appendix"] is False and seen["filter"] is False
    assert seen["preMaxHeight"] == "none" and seen["evidenceOpen"] is True


def test_the_failing_certificate_prints_to_pdf(faulty_run: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    render(faulty_run / "report.html", tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data[:5] == b"%PDF-" and 2 <= pages <= 40, pages
