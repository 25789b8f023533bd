/* The board's row updates (issue 20). #board is a refresh.js region whose own request asks
   what changed since the cursor it shows (GET /dispatch/board/changes?after=N); the answer
   swaps in only the changed rows, by id. This file adds to each board request the view the
   dispatcher chose (search, filter, page: kept in the address bar), moves the board's cursor
   when an answer has been swapped in, and keeps the "N min" clocks of rows that did not
   change up to date. No inline script: strict CSP. */
(function () {
  "use strict";
  var VIEW = ["q", "priority", "status", "page"];

  function board() { return document.getElementById("board"); }
  function ownsBoard(elt) {
    var b = board();
    return !!(b && elt && (elt === b || b.contains(elt)));
  }
  function withView(path) {
    var here = new URLSearchParams(window.location.search);
    var url = new URL(path, window.location.href);
    VIEW.forEach(function (name) {
      if (here.get(name) && !url.searchParams.has(name)) url.searchParams.set(name, here.get(name));
    });
    return url.pathname + url.search;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var target = detail.target;
    if (!ownsBoard(detail.elt) && !(target && target.id === "board")) return;
    // The find form and the page links say the whole view themselves.
    if (detail.elt.id !== "find-calls") detail.path = withView(detail.path);
    if (detail.elt === board()) {
      var trigger = detail.triggeringEvent && detail.triggeringEvent.type;
      detail.parameters.after = detail.elt.getAttribute("data-cursor") || "0";
      // The parts it shows (alerts, team choices), by digest: unchanged ones are not sent.
      detail.parameters.have = Array.prototype.map.call(
        detail.elt.querySelectorAll("[data-digest]"), function (part) { return part.getAttribute("data-digest"); }
      ).join(",");
      // The timer (quiet refresh, or polling while the stream is down) and a change in the
      // waiting calls (sse:calls) also redraw the waiting page and the alerts: calls entered
      // elsewhere, clocks, overdue calls.
      if (trigger !== "sse:feed" && trigger !== "heart:refresh") detail.parameters.tick = "1";
    }
  });

  // An answer that is swapped in moves the cursor (one held back by refresh.js is not).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var cursor = detail.xhr && detail.xhr.getResponseHeader("X-Board-Cursor");
    if (cursor && detail.shouldSwap && detail.elt === board()) board().setAttribute("data-cursor", cursor);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var b = board();
    if (event.detail.elt !== b || !window.HeartRefresh) return;
    setTimeout(function () {  // events heard while this answer was on its way
      if (document.body.contains(b) && window.HeartRefresh.behind(b)) window.HeartRefresh.request(b, "behind");
    }, 0);
  });

  // "N min" since a time, as the server writes it (heart_field minutes_ago).
  function ago(iso) {
    var minutes = Math.floor((Date.now() - Date.parse(iso)) / 60000);
    if (isNaN(minutes)) return null;
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min";
    var rest = minutes % 60;
    return Math.floor(minutes / 60) + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }
  function tick() {
    var b = board();
    if (!b) return;
    b.querySelectorAll("time[data-ago]").forEach(function (time) {
      var words = ago(time.getAttribute("datetime"));
      if (words && time.textContent !== words) time.textContent = words;
    });
  }
  setInterval(tick, 30000);
})();
