// News Archive: optional keyboard shortcuts, match navigation and instant result counts.
// Every page works without this file.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  // Wide screens have room for "Refine" (facets, filters) beside the results: show it open.
  // Phones keep it folded so the results come first.
  var refine = document.querySelector("details.refine");
  if (refine && window.matchMedia("(min-width: 64rem)").matches) refine.open = true;

  // Charts: a period's values under the chart on hover and focus (its <title> holds them);
  // the comparison chart also steps through periods with the arrow keys.
  Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), function (fig) {
    var readout = fig.querySelector(".readout");
    var periods = Array.prototype.slice.call(fig.querySelectorAll(".period"));
    if (!readout || !periods.length) return;
    var on = -1;
    function say(i) {
      if (on >= 0) periods[on].classList.remove("on");
      on = i;
      if (i < 0) { readout.textContent = ""; return; }
      periods[i].classList.add("on");
      var title = periods[i].querySelector("title");
      readout.textContent = title ? title.textContent : "";
    }
    periods.forEach(function (el, i) {
      el.addEventListener("mouseenter", function () { say(i); });
      el.addEventListener("focus", function () { say(i); });
    });
    var plot = fig.querySelector("svg.plot[tabindex]");
    if (plot) {
      plot.addEventListener("focus", function () { if (on < 0) say(0); });
      plot.addEventListener("keydown", function (e) {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          var step = e.key === "ArrowRight" ? 1 : -1;
          say(Math.min(periods.length - 1, Math.max(0, on + step)));
        }
      });
    }
  });

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

  // Instant result counts: while typing in the header box, say how many stories match
  // (the JSON API's exact total, folded by story as the search page is by default; the page
  // then reuses the server's cached match set).
  var box = document.getElementById("site-q");
  if (box && window.fetch && window.AbortController) {
    var hint = document.createElement("p");
    hint.id = "site-q-count";
    hint.className = "instant";
    hint.setAttribute("aria-live", "polite");
    hint.hidden = true;
    box.form.appendChild(hint);
    box.setAttribute("aria-describedby", hint.id);
    var timer = null;
    var pending = null;
    var asked = box.value.trim();
    var disabled = false;
    // Ask the API for a count; `done([ok, body])` with its answer.
    var ask = function (q, done) {
      pending = new AbortController();
      fetch("/api/v1/search?page_size=1&fields=id&collapse=story&q=" + encodeURIComponent(q),
            { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (r) {
          // Reads that need a token (NEWSARCHIVE_READ_REQUIRES_TOKEN): no counts, no noise.
          if (r.status === 401 || r.status === 403) { disabled = true; return null; }
          return r.json().then(function (body) { return [r.ok, body]; });
        })
        .then(function (res) { if (res) done(res); else hint.hidden = true; })
        .catch(function () { /* aborted or offline: the form still works */ });
    };
    var plural = function (n) {
      return n.toLocaleString("en") + (n === 1 ? " story" : " stories");
    };
    var count = function () {
      var q = box.value.trim();
      if (disabled || q === asked) return;
      asked = q;
      if (pending) pending.abort();
      if (q.length < 2) { hint.hidden = true; hint.textContent = ""; return; }
      ask(q, function (res) {
        if (box.value.trim() !== q) return;
        hint.hidden = false;
        if (!res[0]) {
          hint.textContent = (res[1].error && res[1].error.message) || "Cannot count this query";
          return;
        }
        var n = res[1].total;
        // The last word may be half typed ("bri"): before saying nothing matches, count it
        // as a prefix and say so.
        var last = /(^|[\s(])([^\s"()*:-][^\s"()*:]{1,})$/.exec(q);
        if (n !== 0 || !last || /[\s)"]$/.test(box.value)) {
          hint.textContent = n === 0 ? "No articles match" : plural(n) + (n === 1 ? " matches" : " match");
          return;
        }
        ask(q + "*", function (more) {
          if (box.value.trim() !== q) return;
          var m = more[0] ? more[1].total : 0;
          hint.textContent = m ? "Still typing? " + plural(m) + " with a word starting “" + last[2] + "”"
            : "No articles match";
        });
      });
    };
    // Count on a pause in typing, not on every key (a word half typed matches nothing).
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(count, 500);
    });
    box.form.addEventListener("submit", function () { clearTimeout(timer); });
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
