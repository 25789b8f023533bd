/* The board's steering controls: each "Why" list is filled from one <template> when the
   dispatcher reaches for it (the board stays light however many calls wait), and an update
   that was sent clears its box (the box is kept across board refreshes by hx-preserve). */
(function () {
  "use strict";
  function fill(event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-fill-from]:not([data-filled])")) return;
    var source = document.getElementById(select.getAttribute("data-fill-from"));
    if (!source) return;
    select.appendChild(source.content.cloneNode(true));
    select.setAttribute("data-filled", "");
  }
  document.addEventListener("pointerdown", fill, true);
  document.addEventListener("focusin", fill);

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-note-form") || !event.detail.successful) return;
    form.reset();
    var box = form.closest("details");
    if (box) box.open = false;
  });
})();
