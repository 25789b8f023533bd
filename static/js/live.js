/* Live updates: the feed over Server-Sent Events (htmx SSE extension), polling as the fallback,
   and a sound and vibration for what needs attention now. No inline script: strict CSP holds. */
(function () {
  "use strict";

  var lastEventId = null;
  var received = [];  // ids of the feed events this page has heard, in order
  var connected = false;
  var lastRefresh = Date.now();
  // While the stream is open, polled regions skip their timer, except this often (time-outs and
  // "minutes ago" still move on a quiet shift).
  var QUIET_REFRESH_MS = 20000;

  // The extension makes a new EventSource after the old one closed for good (a server error,
  // say); the browser's own reconnects keep Last-Event-ID, but a new EventSource starts blank.
  // So the cursor travels in the URL too.
  htmx.createEventSource = function (url) {
    if (lastEventId !== null) {
      url = url.replace(/([?&])after=\d*/, "$1after=" + encodeURIComponent(lastEventId));
    }
    var source = new EventSource(url, { withCredentials: true });
    source.addEventListener("feed", function (event) {
      if (event.lastEventId) {
        lastEventId = event.lastEventId;
        received.push(Number(event.lastEventId));
      }
    });
    return source;
  };

  function showState(state, words) {
    document.body.setAttribute("data-live", state);
    var label = document.getElementById("live-state");
    if (label) {
      label.setAttribute("data-state", state);
      label.textContent = words;
    }
  }
  document.addEventListener("htmx:sseOpen", function () {
    connected = true;
    showState("open", "Live");
  });
  document.addEventListener("htmx:sseError", function () {
    connected = false;
    showState("polling", "Live updates interrupted: refreshing every few seconds");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (event.defaultPrevented || !elt || !elt.hasAttribute || !elt.hasAttribute("data-poll-fallback")) return;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var fromFeed = trigger && typeof trigger.type === "string" && trigger.type.indexOf("sse:") === 0;
    if (!fromFeed && connected && Date.now() - lastRefresh < QUIET_REFRESH_MS) {
      event.preventDefault();
      return;
    }
    document.body.setAttribute("data-refreshed-by", fromFeed ? "feed" : "timer");
  });

  // Sound (Web Audio: no file to fetch) once the page has had a tap or key press, as browsers require.
  var audio = null;
  function unlock() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlock, true);
  document.addEventListener("keydown", unlock, true);

  function ring(times) {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
    // The responder's sound switch (alerts.js): vibration still, no tones.
    if (document.body.getAttribute("data-sound") === "off") return;
    if (!audio || audio.state !== "running") return;
    var start = audio.currentTime + 0.05;
    for (var i = 0; i < (times || 3); i++) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.type = "square";
      tone.frequency.value = i % 2 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, start + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.3, start + i * 0.35 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.35 + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + i * 0.35);
      tone.stop(start + i * 0.35 + 0.32);
    }
  }
  window.heartLive = {
    ring: ring,
    unlock: function () { unlock(); return audio; },  // call inside a tap (alerts.js)
    soundReady: function () { return !!audio && audio.state === "running"; },
    lastEventId: function () { return lastEventId; },
    received: function () { return received.slice(); }
  };

  // What has been announced already, so a refresh that shows the same thing stays quiet.
  var seen = {};
  function announce(root, first) {
    var card = root.id === "field-card" ? root : root.querySelector && root.querySelector("#field-card");
    if (card) {
      var assignment = card.getAttribute("data-assignment");
      if (assignment && seen.assignment !== assignment && !first) {
        ring(3);
        document.body.setAttribute("data-rang", "assignment-" + assignment);
      }
      seen.assignment = assignment;
    }
    var alerts = root.querySelectorAll ? root.querySelectorAll("[data-alert='backup']") : [];
    for (var i = 0; i < alerts.length; i++) {
      var key = alerts[i].getAttribute("data-team") + ":" + alerts[i].getAttribute("data-since");
      if (!seen[key] && !first) {
        ring(4);
        document.body.setAttribute("data-rang", "backup-" + key);
      }
      seen[key] = true;
    }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-poll-fallback")) lastRefresh = Date.now();
    var target = document.getElementById("field-card") || document.getElementById("board");
    if (target) {
      lastRefresh = Date.now();
      announce(target, false);
    }
  });
  announce(document, true);
})();
