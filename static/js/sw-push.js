/* Call alerts in the service worker (loaded by sw.js through importScripts): show what the server
 * pushed (call type, priority, part of the city: never a name or an address) and open the
 * responder's screen on the call when the notification is tapped. */
"use strict";

self.addEventListener("push", function (event) {
  var alert = {};
  try { alert = event.data ? event.data.json() : {}; } catch (e) { alert = {}; }
  var options = {
    body: alert.body || "Open HEART Field to see it.",
    tag: alert.tag || "heart-call",
    renotify: true,  // a new alert for the same call rings again
    requireInteraction: alert.kind !== "cancel",  // stays until the responder acts
    vibrate: [300, 150, 300, 150, 300],
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    timestamp: Date.now(),
    data: {url: alert.url || "/field/", kind: alert.kind || "", incident: alert.incident || null}
  };
  event.waitUntil(self.registration.showNotification(alert.title || "HEART Field: new call", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var data = event.notification.data || {};
  var target = new URL(data.url || "/field/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    // The responder's screen if it is open, else any window of the app, else a new one.
    var open = windows.filter(function (w) { return new URL(w.url).pathname === "/field/"; })[0] || windows[0];
    if (open) {
      // Focus needs the tap's permission; showing the call must not depend on it.
      return open.focus().catch(function () { return open; }).then(function (client) {
        client = client || open;
        return client.navigate ? client.navigate(target).catch(function () { return client; }) : client;
      });
    }
    return self.clients.openWindow(target);
  }));
});
