/* The board lists the available teams once (a hidden <ul id="team-choices">) rather than in
   every waiting call. A call's team list is filled from it when the dispatcher reaches for
   that list (pointer or keyboard focus), keeping the team the server put in it (the
   recommended one) selected. Filling every list up front costs teams x calls option nodes on
   each board refresh: 400,000 at 200 teams and 2,000 calls, which stalls the page. The list
   is not a <select>: Chromium's autofill reads every form field again when one is swapped in. */
(function () {
  "use strict";
  function fill(event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-team-choices]:not([data-filled])")) return;
    var choices = document.getElementById("team-choices");
    if (!choices) return;
    var chosen = select.value;
    var options = document.createDocumentFragment();
    Array.prototype.forEach.call(choices.children, function (team) {
      var value = team.getAttribute("data-value");
      // Selected by default: still the server's choice (the recommended team), unchanged.
      options.appendChild(new Option(team.textContent, value, value === chosen, value === chosen));
    });
    select.replaceChildren(options);
    select.setAttribute("data-filled", "");
  }
  // pointerdown comes before the list opens; focusin covers the keyboard and screen readers.
  document.addEventListener("pointerdown", fill, true);
  document.addEventListener("focusin", fill);
  // A list reached for while the page was still loading (before this script ran).
  if (document.activeElement) fill({ target: document.activeElement });
})();
