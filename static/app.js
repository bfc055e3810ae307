// News Archive: optional keyboard shortcuts. Every page works without this file.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  // Wide screens have room for the search filters: show them open.
  var filters = document.querySelector("details.filterbox");
  if (filters && window.matchMedia("(min-width: 50rem)").matches) filters.open = true;

  // A link to #cite opens the citation box.
  var cite = document.getElementById("cite");
  if (cite && location.hash === "#cite") cite.open = true;

  var marks = Array.prototype.slice.call(document.querySelectorAll("mark[id^='m']"));
  var current = -1;
  var counter = null;

  function show(i) {
    if (!marks.length) return;
    current = (i + marks.length) % marks.length;
    marks.forEach(function (m) { m.classList.remove("current"); });
    var m = marks[current];
    m.classList.add("current");
    m.scrollIntoView({ block: "center" });
    if (counter) counter.textContent = "Match " + (current + 1) + " of " + marks.length;
    if (history.replaceState) history.replaceState(null, "", "#" + m.id);
  }

  var bar = document.querySelector("nav.matches");
  if (bar && marks.length) {
    // Replace the no-script first/last links with previous/next buttons and a counter.
    var first = bar.querySelector(".match-first");
    var last = bar.querySelector(".match-last");
    if (first) first.remove();
    if (last) last.remove();
    var prev = document.createElement("button");
    prev.type = "button";
    prev.className = "match-prev";
    prev.textContent = "↑ Previous";
    prev.setAttribute("aria-keyshortcuts", "p");
    var next = document.createElement("button");
    next.type = "button";
    next.className = "match-next";
    next.textContent = "Next ↓";
    next.setAttribute("aria-keyshortcuts", "n");
    counter = bar.querySelector(".matchcount .pos");
    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    var hide = bar.querySelector(".match-hide");
    bar.insertBefore(prev, hide);
    bar.insertBefore(next, hide);
    var fromHash = marks.findIndex(function (m) { return "#" + m.id === location.hash; });
    // after the browser's own jump to the anchor, so ours (centred) wins
    if (fromHash >= 0) window.addEventListener("load", function () { show(fromHash); });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.key === "/") {
      var box = document.getElementById("site-q");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    } else if ((e.key === "n" || e.key === "p") && marks.length) {
      e.preventDefault();
      show(e.key === "n" ? current + 1 : current - 1);
    } else if (e.key === "[" || e.key === "]") {
      var link = document.querySelector(
        "nav.prevnext a[rel='" + (e.key === "[" ? "prev" : "next") + "']");
      if (link) link.click();
    }
  });
})();
