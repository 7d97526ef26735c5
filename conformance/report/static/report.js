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
  var filter = document.getElementById("status-filter");
  if (filter) { filter.hidden = false; }
  apply();
  // A printed certificate holds every piece of evidence, opened, and every matrix row.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("#evidence details"),
                                         function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
  });
})();
