"""Inline CSS and the small status-filter script of the certification sections (no external assets)."""

from __future__ import annotations

STYLE = """<style>
.cert{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;color:#1d2125;
max-width:1200px;margin:0 0 2.5em;line-height:1.4}
.cert h2{font-size:20px;margin:1.4em 0 .5em;border-bottom:2px solid #d0d7de;padding-bottom:.2em;color:#1d2125}
.cert a{color:#0969da}.cert .date{white-space:nowrap}
.cert h3{font-size:16px;margin:1em 0 .4em;color:#1d2125}.cert p{color:#1d2125}
.cert .verdict{font-size:28px;font-weight:700;padding:.35em .9em;display:inline-block;border-radius:6px;
letter-spacing:.04em}
.cert .verdict.CERTIFIED{background:#d4edda;color:#0f5132;border:2px solid #5cb85c}
.cert .verdict.NOT{background:#f8d7da;color:#842029;border:2px solid #d9534f}
.cert #reasons{color:#842029;margin:.5em 0}.cert #notes{color:#664d03;margin:.5em 0}
.cert table{border-collapse:collapse;margin:.4em 0 1em}
.cert .cover th{text-align:left;padding:3px 14px 3px 0;color:#57606a;font-weight:600;white-space:nowrap}
.cert .cover td{padding:3px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
.cert .grid{width:100%}.cert .matrix{table-layout:fixed}.cert .grid caption{text-align:left;font-weight:600;padding:.3em 0;color:#57606a;
text-transform:capitalize}
.cert .grid th,.cert .grid td{border:1px solid #d0d7de;padding:4px 7px;vertical-align:top;text-align:left}
.cert .grid thead th{background:#f6f8fa}
.cert .rid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
#waivers .rid{white-space:nowrap}
.cert .num{text-align:right}.cert .rule q{font-style:italic}.cert .src{color:#57606a;font-size:12px}
.cert .note{font-size:12px;color:#6f4e00;margin-top:3px}
.cert .badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:700;
background:#eaeef2;color:#1d2125;white-space:nowrap}
.cert .count{display:inline-block;margin-right:.8em}
.cert .st-passed.badge{background:#d4edda;color:#0f5132}.cert .st-failed.badge{background:#d9534f;color:#fff}
.cert .st-warned.badge{background:#ffe69c;color:#664d03}.cert .st-waived.badge{background:#cfe2ff;color:#084298}
.cert tr.st-failed td{background:#fbe9eb}.cert tr.st-warned td{background:#fff8e1}
.cert tr.st-waived td{background:#eef4ff}
.cert #status-filter label{margin-right:1em;cursor:pointer;white-space:nowrap}
.cert #shown{color:#57606a}
.cert .evidence{border:1px solid #d0d7de;border-left:6px solid #adb5bd;border-radius:4px;padding:.3em 1em 1em;
margin:1em 0}
.cert .evidence.st-failed{border-left-color:#d9534f}.cert .evidence.st-warned{border-left-color:#ffc107}
.cert .evidence.st-waived{border-left-color:#6ea8fe}
.cert blockquote{margin:.5em 0;padding:.3em .8em;border-left:3px solid #d0d7de;color:#3d444d}
.cert blockquote footer{font-size:12px;color:#57606a}
.cert .ev th{text-align:left;padding:2px 12px 2px 0;color:#57606a;vertical-align:top}
.cert .ev td{padding:2px 0}
.cert details{margin:.6em 0}.cert summary{cursor:pointer;font-family:ui-monospace,Menlo,Consolas,monospace}
.cert .case{font-weight:600;margin:.6em 0 .2em}
.cert .pair{display:flex;gap:1em}.cert .pair>div{flex:1 1 0;min-width:0}
.cert h5{margin:.3em 0;font-size:12px;color:#57606a;text-transform:uppercase}
.cert pre{white-space:pre-wrap;word-break:break-all;max-height:28em;overflow:auto;background:#f6f8fa;
border:1px solid #e1e4e8;padding:.6em;font-size:12px;margin:0;color:#1d2125}
.cert code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;background:#f6f8fa;padding:0 3px}
.cert tr.req.hidden-by-filter,.cert table.matrix.hidden-by-filter{display:none}
</style>"""

# Moves the certification to the top of the page and filters the matrix by status; the report
# reads the same with scripts off, only unfiltered.
SCRIPT = """<script>
(function () {
  var cert = document.getElementById("certification");
  var title = document.getElementById("title");
  if (cert && title && title.parentNode) { title.parentNode.insertBefore(cert, title.nextSibling); }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#status-filter input[data-filter-status]"));
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute("data-filter-status")] = b.checked; });
    var shown = 0;
    document.querySelectorAll("#certification table.matrix").forEach(function (t) {
      var any = false;
      t.querySelectorAll("tr.req").forEach(function (r) {
        var show = on[r.getAttribute("data-status")] !== false;
        r.classList.toggle("hidden-by-filter", !show);
        if (show) { any = true; shown += 1; }
      });
      t.classList.toggle("hidden-by-filter", !any);
    });
    var label = document.getElementById("shown");
    if (label) { label.textContent = shown + " shown"; }
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  apply();
})();
</script>"""
