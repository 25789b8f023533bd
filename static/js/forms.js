/* After a form comes back with messages (422), bring the first one into view and put the
   cursor in its field: on a phone the Save button is often far below the field at fault. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 422) return;
    var first = document.querySelector(".has-error");
    if (!first) return;
    first.scrollIntoView({ block: "center" });
    var control = first.querySelector("input:not([type=hidden]), select, textarea");
    if (control) control.focus({ preventScroll: true });
  });
})();
