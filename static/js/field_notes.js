/* On the phone: an urgent update from dispatch, or dispatch cancelling or moving the call,
   rings and vibrates once when it arrives (live.js rings for a new assignment already).
   Marks the page (data-rang) so tests and screen readers can tell it happened. */
(function () {
  "use strict";
  var seen = {};
  function announce(first) {
    var fresh = document.querySelectorAll("[data-urgent-note], [data-steer-event]");
    for (var i = 0; i < fresh.length; i++) {
      var key = fresh[i].hasAttribute("data-urgent-note")
        ? "note-" + fresh[i].getAttribute("data-urgent-note")
        : "steer-" + fresh[i].getAttribute("data-steer-event");
      if (seen[key]) continue;
      seen[key] = true;
      if (first) continue;
      if (window.heartLive) window.heartLive.ring(key.indexOf("note-") === 0 ? 4 : 2);
      document.body.setAttribute("data-rang", key);
    }
  }
  document.addEventListener("htmx:afterSwap", function () { announce(false); });
  announce(true);
})();
