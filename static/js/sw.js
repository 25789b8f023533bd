/* HEART Field service worker, served at /sw.js so its scope is the whole site.
 *
 * The app shell (CSS, scripts, icons) is cached per build: the server writes a hash of the static
 * files into BUILD, so a deploy installs a new worker and its activation drops the old caches.
 * htmx requests (HX-Request) are never answered from a cache: a fragment must not become a page.
 * The only page kept is the responder's screen, written by outbox.js after each refresh; it holds
 * the current assignment and nothing older, and signing out deletes it.
 */
"use strict";

importScripts("/static/js/sw-push.js");  // call alerts: push and notificationclick

var BUILD = "__HEART_BUILD__";
var STATIC_CACHE = "heart-static-" + BUILD;
var PAGES_CACHE = "heart-pages";
var SHELL = [
  "/static/css/app.css",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/js/app.js",
  "/static/js/device.js",
  "/static/js/outbox.js",
  "/static/manifest.webmanifest",
  "/static/icons/icon-192.png",
  "/favicon.ico"
];
var OFFLINE_PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<title>No connection · HEART Field</title><link rel="stylesheet" href="/static/css/app.css"></head>' +
  '<body><main id="main"><section class="panel narrow"><h1>No connection</h1>' +
  "<p>This page needs the network. The responder screen works offline once it has been opened " +
  "while signed in.</p>" +
  '<p><a class="btn btn-primary btn-block" href="/field/">Responder screen</a></p></section></main></body></html>';

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("heart-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  return new Response(OFFLINE_PAGE, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

function responderScreen(request) {
  return fetch(request).catch(function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match("/field/");
    }).then(function (page) { return page || offlinePage(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.headers.get("HX-Request")) return;  // fragments: always the network
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/favicon.ico") {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    if (url.pathname === "/field/") {
      event.respondWith(responderScreen(request));
    } else {
      event.respondWith(fetch(request).catch(offlinePage));
    }
  }
});
