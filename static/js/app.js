/* HEART Field page behaviour. No inline script anywhere, so a strict CSP holds. */
(function () {
  "use strict";

  // Stamp each status tap with the device's time, so reports use when it really happened.
  function stamp(form) {
    var field = form.querySelector('input[name="occurred_at"]');
    if (field && !field.value) field.value = new Date().toISOString();
  }
  document.addEventListener("submit", function (event) { stamp(event.target); }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    if (params.has ? params.has("occurred_at") : "occurred_at" in params) {
      var value = params.get ? params.get("occurred_at") : params.occurred_at;
      if (!value) {
        var now = new Date().toISOString();
        if (params.set) params.set("occurred_at", now); else params.occurred_at = now;
      }
    }
  });

  // Do not refresh a polled region while someone is using a control inside it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var polled = elt && elt.getAttribute && /every /.test(elt.getAttribute("hx-trigger") || "");
    if (polled && elt.contains(document.activeElement) && document.activeElement !== document.body) {
      event.preventDefault();
    }
  });
})();
