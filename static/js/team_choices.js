/* The board lists the available teams once (<template id="team-choices">) rather than in
   every waiting call: fill each call's team list from it when the board arrives, keeping
   the team the server put in it (the recommended one) selected. */
(function () {
  "use strict";
  function fill(root) {
    var choices = document.getElementById("team-choices");
    if (!choices) return;
    var selects = root.querySelectorAll ? root.querySelectorAll("select[data-team-choices]") : [];
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      var chosen = select.value;
      select.replaceChildren(choices.content.cloneNode(true));
      if (chosen) select.value = chosen;
    }
  }
  if (window.htmx) {
    htmx.onLoad(fill);  // the first page and every board that comes back
  } else {
    document.addEventListener("DOMContentLoaded", function () { fill(document); });
  }
})();
