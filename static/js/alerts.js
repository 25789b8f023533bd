/* Call alerts and sound on the responder's screen (templates/field/_alerts.html).
 *
 * "Turn on call alerts" asks for notification permission, subscribes this browser with the
 * server's VAPID key and gives the subscription to the server, which ties it to this sign-in.
 * The same tap unlocks sound for the page (browsers allow sound only after a tap), so one tap
 * does both. The bar says at all times whether alerts and sound are on, and stays a visible
 * reminder while either is off. When subscribing fails (no push service, as on a closed
 * network) it says so, and everything else keeps working: an open screen still rings.
 */
(function () {
  "use strict";
  var root = document.getElementById("call-alerts");
  if (!root) return;
  var words = root.querySelector(".call-alerts-words");
  var turnOn = root.querySelector(".call-alerts-on");
  var soundButton = root.querySelector(".sound-toggle");
  var SOUND_KEY = "heart-sound";  // "off" when the responder switched sound off on this device
  var state = "off";

  var TEXT = {
    checking: "Turning on call alerts…",
    on: "Call alerts on: a locked phone rings for a new call.",
    off: "Call alerts are off on this phone: a locked phone will not ring for a new call.",
    blocked: "Notifications are blocked for this site, so a locked phone will not ring. " +
      "Allow notifications in the browser's site settings, then tap Try again.",
    failed: "Call alerts could not be turned on on this phone",
    unsupported: "This browser cannot receive call alerts. Keep this screen open: new calls ring here."
  };

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function show(next, detail) {
    state = next;
    root.setAttribute("data-state", next);
    document.body.setAttribute("data-alerts", next);
    var text = TEXT[next];
    if (next === "failed") {
      text += " (" + detail + "). Keep this screen open: new calls still ring here.";
    }
    words.textContent = text;
    turnOn.hidden = next === "on" || next === "unsupported";
    turnOn.textContent = next === "failed" || next === "blocked" ? "Try again" : "Turn on call alerts";
    showSound();
  }

  // ---- Sound --------------------------------------------------------------------------------
  function soundWanted() { return localStorage.getItem(SOUND_KEY) !== "off"; }
  function soundReady() { return !!(window.heartLive && window.heartLive.soundReady()); }

  function showSound() {
    var on = soundWanted() && soundReady();
    document.body.setAttribute("data-sound", soundWanted() ? "on" : "off");
    root.setAttribute("data-sound", on ? "on" : "off");
    soundButton.hidden = false;
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
    // Off until the page has had a tap (a browser rule), or while switched off; a tap on it turns it on.
    soundButton.textContent = on ? "Sound on" : "Sound off";
    soundButton.title = on ? "Tap to switch sound off" : "Tap to switch sound on";
  }

  function unlockSound() {
    var audio = window.heartLive && window.heartLive.unlock();
    if (audio && !audio.heartWatched) {
      audio.heartWatched = true;
      audio.addEventListener("statechange", showSound);
    }
    return audio;
  }

  function beep(audio) {
    if (!audio || !window.heartLive) return;
    var play = function () { window.heartLive.ring(1); };
    if (audio.state === "running") play(); else audio.resume().then(play).catch(function () {});
  }

  soundButton.addEventListener("click", function () {
    if (soundWanted() && soundReady()) {
      localStorage.setItem(SOUND_KEY, "off");
      showSound();
      return;
    }
    localStorage.removeItem(SOUND_KEY);
    showSound();
    beep(unlockSound());
  });
  // Any tap unlocks sound (live.js); show it once it has.
  document.addEventListener("pointerdown", function () { setTimeout(function () { unlockSound(); showSound(); }, 50); }, true);

  // ---- Push ---------------------------------------------------------------------------------
  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function withTimeout(promise, ms, what) {
    return Promise.race([promise, new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error(what)); }, ms);
    })]);
  }

  function registration() {
    return withTimeout(navigator.serviceWorker.ready, 10000, "the app's service worker is not running");
  }

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function tellServer(subscription) {
    return fetch(root.dataset.subscriptionUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(subscription.toJSON()),
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()}
    }).then(function (response) {
      if (!response.ok) throw new Error("the server did not accept it (" + response.status + ")");
    });
  }

  function reason(error) {
    if (!error) return "unknown error";
    if (error.name === "AbortError" || error.name === "NotAllowedError") {
      return "the phone's push service could not be reached";
    }
    return error.message || String(error);
  }

  function subscribe() {
    return Promise.all([
      registration(),
      fetch(root.dataset.keyUrl, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) throw new Error("the server's key could not be read (" + r.status + ")");
        return r.json();
      })
    ]).then(function (both) {
      var manager = both[0].pushManager;
      return manager.getSubscription().then(function (existing) {
        return existing || manager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(both[1].key)});
      });
    }).then(tellServer);
  }

  var tapped = false;  // once the responder has acted, the opening check no longer speaks
  function turnOnAlerts() {
    tapped = true;
    beep(unlockSound());  // inside the tap: the one moment a browser lets a page start sound
    if (!supported()) { show("unsupported"); return; }
    show("checking");
    var asked = Notification.permission === "granted" ? Promise.resolve("granted") : Notification.requestPermission();
    Promise.resolve(asked).then(function (permission) {
      if (permission === "denied") { show("blocked"); return null; }
      if (permission !== "granted") { show("off"); return null; }
      return subscribe().then(function () { show("on"); });
    }).catch(function (error) { show("failed", reason(error)); });
  }
  turnOn.addEventListener("click", turnOnAlerts);

  // On opening: what this browser and the server already have.
  function check() {
    var found = function (next) { if (!tapped) show(next); };
    if (!supported()) { found("unsupported"); return; }
    if (Notification.permission === "denied") { found("blocked"); return; }
    if (Notification.permission !== "granted") { found("off"); return; }
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (existing) {
      if (!existing) { found("off"); return null; }
      if (root.dataset.serverOn === "true") { found("on"); return null; }
      // Subscribed before, in an earlier sign-in: tie it to this one.
      return tellServer(existing).then(function () { found("on"); });
    }).catch(function () { found("off"); });
  }
  show(state);
  check();
  window.heartAlerts = {state: function () { return state; }};
})();
