/* What the device does for a signed-in user: installs the service worker, locks an idle
 * screen, and on sign-out forgets what it stored (except taps that have not reached the server). */
(function () {
  "use strict";
  var body = document.body;
  var KEY = "heart-last-active";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
  }
  // Idle lock. The server enforces it too; this stops the screen showing a call meanwhile. Only
  // the device's own clock is compared with itself, so a phone set to the wrong time still works.
  var lastPing = 0;
  function touched() {
    var now = Date.now();
    localStorage.setItem(KEY, String(now));
    // Tell the server at most once a minute, so reading a call is not mistaken for idling.
    if (body.dataset.activityUrl && now - lastPing > 60000 && navigator.onLine) {
      lastPing = now;
      fetch(body.dataset.activityUrl, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken()}}).catch(function () {});
    }
  }
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  // Signing in and unlocking are touches too.
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, touched, {passive: true, capture: true});
  });

  // Every way out forgets what this device stored for the person (the screen copy of the call,
  // finished taps), keeping taps not yet sent: they hold no personal details.
  function forgetDevice() {
    var outbox = window.HeartOutbox;
    var work = [window.caches ? caches.delete("heart-pages").catch(function () {}) : null];
    if (outbox) work.push(outbox.forgetFinished().catch(function () {}));
    localStorage.removeItem(KEY);
    localStorage.removeItem("htmx-history-cache");  // pages htmx kept for the back button
    return Promise.all(work);
  }
  window.HeartDevice = {forget: forgetDevice};

  // The sign-in page means no session here, however it ended (signed out on the lock screen or
  // elsewhere, by a supervisor remotely, or at the end of its lifetime): forget at once.
  // outbox.js loads after this file, so wait for the page's scripts.
  if (document.querySelector("[data-forget-device]")) {
    document.addEventListener("DOMContentLoaded", function () {
      forgetDevice().then(function () { body.setAttribute("data-device-forgotten", ""); });
    });
  }

  // Sign-out on a shared device (the top bar, also on the lock screen): forget, then sign out.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.signout") || form.dataset.cleared) return;
    event.preventDefault();
    if (!navigator.onLine) {
      // The server must end the session; until the network returns the idle lock guards the screen.
      window.alert("No network: signing out needs it. The screen locks by itself when left idle.");
      return;
    }
    var outbox = window.HeartOutbox;
    (outbox ? outbox.unsent() : Promise.resolve([])).then(function (unsent) {
      if (unsent.length && !window.confirm(
        unsent.length + (unsent.length === 1 ? " status tap has" : " status taps have") +
        " not reached the server yet. They stay on this device and are sent when someone from " +
        unsent[0].team + " signs in here. Sign out now?")) {
        return null;
      }
      return forgetDevice().then(function () {
        form.dataset.cleared = "1";
        form.submit();
      });
    });
  }, true);

  if (!body.dataset.idleLockSeconds) return;  // not signed in, or the lock screen itself

  // Locking is a POST (a GET changes nothing); then the lock screen, to come back here.
  var limit = Number(body.dataset.idleLockSeconds) * 1000;
  var locking = false;
  if (!localStorage.getItem(KEY)) localStorage.setItem(KEY, String(Date.now()));
  function lockIfIdle() {
    if (locking || Date.now() - Number(localStorage.getItem(KEY)) <= limit) return;
    locking = true;
    var here = window.location.pathname + window.location.search;
    var go = function () {
      window.location.assign(body.dataset.lockUrl + "?next=" + encodeURIComponent(here));
    };
    fetch(body.dataset.lockUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded"},
      body: "lock=1"
    }).then(go, go);
  }
  lockIfIdle();
  setInterval(lockIfIdle, 10000);
})();
