/* What the device does for a signed-in user: installs the service worker, locks an idle
 * screen, and on sign-out forgets what it stored (except taps that have not reached the server). */
(function () {
  "use strict";
  var body = document.body;
  var KEY = "heart-last-active";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
  }
  if (!body.dataset.idleLockSeconds) return;  // not signed in, or the lock screen itself

  // Idle lock. The server enforces it too; this just stops the screen showing a call meanwhile.
  var limit = Number(body.dataset.idleLockSeconds) * 1000;
  var serverSeen = Number(body.dataset.activeAt || 0) * 1000;
  var lastPing = 0;
  function lastActive() { return Math.max(Number(localStorage.getItem(KEY) || 0), serverSeen); }
  function lockIfIdle() {
    if (Date.now() - lastActive() > limit) window.location.assign(body.dataset.lockUrl);
  }
  function touched() {
    var now = Date.now();
    localStorage.setItem(KEY, String(now));
    // Tell the server at most once a minute, so reading a call is not mistaken for idling.
    if (now - lastPing > 60000 && navigator.onLine) {
      lastPing = now;
      fetch(body.dataset.activityUrl, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken()}}).catch(function () {});
    }
  }
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  lockIfIdle();
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, touched, {passive: true, capture: true});
  });
  setInterval(lockIfIdle, 10000);

  // Sign-out on a shared device: delete the stored screen and finished taps; keep unsent ones.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.signout") || form.dataset.cleared) return;
    event.preventDefault();
    var outbox = window.HeartOutbox;
    (outbox ? outbox.unsent() : Promise.resolve([])).then(function (unsent) {
      if (unsent.length && !window.confirm(
        unsent.length + (unsent.length === 1 ? " status tap has" : " status taps have") +
        " not reached the server yet. They stay on this device and are sent when someone from " +
        unsent[0].team + " signs in here. Sign out now?")) {
        return null;
      }
      var work = [window.caches ? caches.delete("heart-pages").catch(function () {}) : null];
      if (outbox) work.push(outbox.forgetFinished());
      localStorage.removeItem(KEY);
      return Promise.all(work).then(function () {
        form.dataset.cleared = "1";
        form.submit();
      });
    });
  }, true);
})();
