/* HEART Field service worker, served at /sw.js so its scope is the whole site.
 *
 * The app shell (CSS, scripts, icons) is kept per build: the server writes a hash of the static
 * files into BUILD, so a deploy installs a new worker and its activation drops the old caches.
 * Installing fetches nothing: once a page is usable it posts the URLs it uses ("keep", from
 * app.js), the worker answers which it lacks, and the page stores those from the browser's cache
 * (static URLs carry the file's hash and are immutable): the first visit downloads each file once.
 * htmx requests (HX-Request) are never answered from a cache: a fragment must not become a page.
 * The only page kept is the responder's screen, written by outbox.js after each refresh; it holds
 * the current assignment and nothing older, and signing out deletes it.
 */
"use strict";

importScripts("/static/js/sw-push.js");  // call alerts: push and notificationclick

var BUILD = "__HEART_BUILD__";
var STATIC_CACHE = "heart-static-" + BUILD;
var PAGES_CACHE = "heart-pages";
var OFFLINE_PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<title>No connection · HEART Field</title><link rel="stylesheet" href="/static/css/app.css"></head>' +
  '<body><main id="main"><section class="panel narrow"><h1>No connection</h1>' +
  "<p>This page needs the network. The responder screen works offline once it has been opened " +
  "while signed in.</p>" +
  '<p><a class="btn btn-primary btn-block" href="/field/">Responder screen</a></p></section></main></body></html>';

self.addEventListener("install", function () { self.skipWaiting(); });

// A page is usable and names the files it uses: the worker answers which of them it lacks, and
// the page stores those itself (its own fetch is answered by the browser's cache, where the
// page's load left them: static URLs are immutable; the worker's fetch would download again).
function missing(urls) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return cache.match(url).then(function (hit) { return hit ? null : url; });
    }));
  }).then(function (found) { return found.filter(Boolean); });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls) || !event.ports[0]) return;
  var urls = data.urls.filter(function (url) {
    return typeof url === "string" && (url.indexOf("/static/") === 0 || url === "/favicon.ico");
  });
  var reply = event.ports[0];
  event.waitUntil(missing(urls).then(function (lacking) {
    reply.postMessage({cache: STATIC_CACHE, missing: lacking});
  }));
});

function offlinePage() {
  return new Response(OFFLINE_PAGE, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

// The exact versioned file from the cache; else the network (usually the browser's cache);
// offline, the same file at any version rather than nothing.
function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }, function (error) {
        return cache.match(request, {ignoreSearch: true}).then(function (any) {
          if (any) return any;
          throw error;
        });
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
