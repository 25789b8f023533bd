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

  // A refresh replaces the region's forms with the server's. While someone is using one (a
  // list open, a field focused, another team chosen, an address half typed) it waits, up to
  // HOLD_EDIT_MS, and comes as soon as they leave that form (regions the feed does not refresh:
  // at their next tick).
  var HOLD_EDIT_MS = 30000;
  var heldSince = {};  // region id -> when a refresh was first held for it
  function initialChoice(select) {
    var options = select.options;
    for (var i = 0; i < options.length; i++) if (options[i].defaultSelected) return options[i].value;
    return options.length ? options[0].value : "";
  }
  function changed(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "hidden") return false;
      if (field.tagName === "SELECT") return field.value !== initialChoice(field);
      return "defaultValue" in field && field.value !== field.defaultValue;
    });
  }
  function inUse(region) {
    var active = document.activeElement;
    var form = active && active.closest && active.closest("form");
    if (!form || !region.contains(form)) return false;
    return active.matches("select, textarea, input:not([type=hidden])") || changed(form);
  }
  function holdForUse(region) {
    if (!inUse(region)) {
      delete heldSince[region.id];
      return false;
    }
    if (!(region.id in heldSince)) heldSince[region.id] = Date.now();
    return Date.now() - heldSince[region.id] < HOLD_EDIT_MS;
  }
  document.addEventListener("focusout", function () {
    setTimeout(function () {  // once focus has landed where it is going
      Object.keys(heldSince).forEach(function (id) {
        var region = document.getElementById(id);
        if (region && !inUse(region)) {
          delete heldSince[id];
          htmx.trigger(region, "sse:feed");
        }
      });
    }, 0);
  });

  function isRefresh(elt, config) {  // a region's own polled (or feed-driven) GET
    return !!(elt && elt.getAttribute && /every /.test(elt.getAttribute("hx-trigger") || "") &&
              config && config.verb === "get");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isRefresh(event.detail.elt, event.detail.requestConfig) && holdForUse(event.detail.elt)) {
      event.preventDefault();
    }
  });
  // The same for a refresh that left before the use began.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isRefresh(event.detail.elt, event.detail.requestConfig) && holdForUse(event.detail.elt)) {
      event.detail.shouldSwap = false;
    }
  });
})();
