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

  // Once the page is usable, the service worker keeps the files this page uses for opening
  // offline. They come from the browser's cache (static URLs are versioned and immutable), so
  // this costs no download and never competes with the first load.
  function keepForOffline() {
    if (!navigator.serviceWorker) return;
    var urls = [];
    document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=manifest], link[rel=icon]").forEach(function (el) {
      var url = new URL(el.src || el.href, location.href);
      if (url.origin === location.origin) urls.push(url.pathname + url.search);
    });
    navigator.serviceWorker.ready.then(function (registration) {
      if (!registration.active || !window.caches || !window.MessageChannel) return;
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        var answer = event.data || {};
        if (!answer.cache || !answer.missing || !answer.missing.length) return;
        caches.open(answer.cache).then(function (cache) {
          return Promise.all(answer.missing.map(function (url) {
            return fetch(url, {cache: "force-cache", credentials: "same-origin"}).then(function (response) {
              if (response.ok) return cache.put(url, response);
            }).catch(function () {});
          }));
        }).catch(function () {});
      };
      registration.active.postMessage({type: "keep", urls: urls}, [channel.port2]);
    }).catch(function () {});
  }
  function whenIdle(work) {
    if (window.requestIdleCallback) requestIdleCallback(work, {timeout: 5000}); else setTimeout(work, 1000);
  }
  if (document.readyState === "complete") whenIdle(keepForOffline);
  else window.addEventListener("load", function () { whenIdle(keepForOffline); });
})();
