// errsynth report: filter, search and page the server-rendered samples. No network, no libraries.
(function () {
  "use strict";
  var box = document.getElementById("sample-list");
  var form = document.getElementById("controls");
  if (!box || !form) return;
  var items = Array.prototype.slice.call(box.querySelectorAll("article.sample"));
  var size = parseInt(box.getAttribute("data-page-size"), 10) || 10;
  var filters = Array.prototype.slice.call(form.querySelectorAll("select[data-filter]"));
  var query = document.getElementById("f-q");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var status = document.getElementById("status");
  var page = 0;
  var matching = items;
  items.forEach(function (el) { el._text = (el.textContent || "").toLowerCase(); });

  function apply(resetPage) {
    var want = {};
    filters.forEach(function (s) { if (s.value) want[s.getAttribute("data-filter")] = s.value; });
    var q = (query.value || "").trim().toLowerCase();
    matching = items.filter(function (el) {
      for (var key in want) {
        if (el.getAttribute("data-" + key) !== want[key]) return false;
      }
      return !q || el._text.indexOf(q) >= 0;
    });
    if (resetPage) page = 0;
    var pages = Math.max(1, Math.ceil(matching.length / size));
    if (page >= pages) page = pages - 1;
    var lo = page * size, hi = Math.min(matching.length, lo + size);
    var shown = new Set(matching.slice(lo, hi));
    items.forEach(function (el) { el.hidden = !shown.has(el); });
    prev.disabled = page === 0;
    next.disabled = hi >= matching.length;
    status.textContent = matching.length
      ? "Showing " + (lo + 1) + "–" + hi + " of " + matching.length + " matching samples (page " + (page + 1) + " of " + pages + ")"
      : "No sample matches.";
  }
  filters.forEach(function (s) {
    s.addEventListener("change", function () { apply(true); });
    s.addEventListener("input", function () { apply(true); });
  });
  query.addEventListener("input", function () { apply(true); });
  prev.addEventListener("click", function () { page -= 1; apply(false); });
  next.addEventListener("click", function () { page += 1; apply(false); });
  form.hidden = false;
  apply(true);
})();
