/* The board's steering alerts ring once, and an update that was sent clears its box (the box
   is kept across board refreshes by hx-preserve). */
(function () {
  "use strict";
  // A new overdue call or an urgent update left unacknowledged rings once (live.js's sound);
  // backup, welfare and accept alerts are live.js's own.
  var seen = {};
  function announce(first) {
    var alerts = document.querySelectorAll("#call-alerts [data-alert='overdue'], #call-alerts [data-alert='note']");
    for (var i = 0; i < alerts.length; i++) {
      var key = alerts[i].getAttribute("data-alert") + ":" +
        (alerts[i].getAttribute("data-incident") || alerts[i].getAttribute("data-note"));
      if (seen[key]) continue;
      seen[key] = true;
      if (first) continue;
      if (window.heartLive) window.heartLive.ring(2);
      document.body.setAttribute("data-rang", key);
    }
  }
  document.addEventListener("htmx:afterSwap", function () { announce(false); });
  announce(true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-note-form") || !event.detail.successful) return;
    form.reset();
    var box = form.closest("details");
    if (box) box.open = false;
  });
})();
