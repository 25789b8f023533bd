/* Live updates: the feed over Server-Sent Events (htmx SSE extension), the connection in words
   (Live, Reconnecting, Offline · updated HH:MM), and a sound and vibration for what needs
   attention now. When regions refresh is refresh.js's decision; this file tells it which feed
   events the page has received and whether the stream is up. No inline script: strict CSP. */
(function () {
  "use strict";

  var lastEventId = null;
  var received = [];  // ids of the feed events this page has heard, in order
  var recent = [];    // the latest of them as {id, team, version}, for refresh.js
  var KEEP_EVENTS = 500;
  var connected = false;
  var RECONNECT_GAP_MS = 3000;  // a longer gap than the stream's routine reconnect
  var GRACE_MS = 5000;  // a stream reconnecting for less than this still counts as up
  var lastHeard = null;  // when the server was last heard from (stream or any answer)
  var lostAt = null;     // when the stream or the network went away

  // The extension makes a new EventSource after the old one closed for good (a server error,
  // say); the browser's own reconnects keep Last-Event-ID, but a new EventSource starts blank.
  // So the cursor travels in the URL too.
  htmx.createEventSource = function (url) {
    if (lastEventId !== null) {
      url = url.replace(/([?&])after=\d*/, "$1after=" + encodeURIComponent(lastEventId));
    }
    var source = new EventSource(url, { withCredentials: true });
    source.addEventListener("feed", function (event) {
      heard();
      if (!event.lastEventId) return;
      lastEventId = event.lastEventId;
      received.push(Number(event.lastEventId));
      var data = {};
      try { data = JSON.parse(event.data); } catch (e) { /* the id is enough */ }
      recent.push({id: Number(event.lastEventId), team: data.team, version: data.version});
      if (recent.length > KEEP_EVENTS) recent.shift();
    });
    source.addEventListener("calls", heard);  // the waiting calls changed (no place in the feed)
    return source;
  };

  // ---- The connection, in words: the board's line (#live-state) and the phone's (#connection).
  function heard() {
    lastHeard = new Date();
  }
  function clock(date) {
    var line = document.getElementById("connection");
    var zone = line && line.getAttribute("data-timezone");
    var options = {hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
    if (zone) options.timeZone = zone;
    try { return date.toLocaleTimeString([], options); } catch (e) { delete options.timeZone; return date.toLocaleTimeString([], options); }
  }
  function showState(state, words) {
    document.body.setAttribute("data-live", state);
    var label = document.getElementById("live-state");
    if (label) {
      label.setAttribute("data-state", state);
      label.textContent = words;
    }
    var line = document.getElementById("connection");
    if (line) {
      var text = {open: "Live", polling: "Reconnecting", offline: "Offline"}[state] || "Connecting";
      var since = lastHeard && state !== "open" ? " · updated " + clock(lastHeard) : "";
      line.setAttribute("data-state", state);
      if (line.textContent !== text + since) line.textContent = text + since;
    }
  }
  function lost() {
    connected = false;
    if (lostAt === null) lostAt = Date.now();
    if (!navigator.onLine) showState("offline", "Offline: changes will show when the signal returns");
    else showState("polling", "Live updates interrupted: refreshing every few seconds");
  }
  document.addEventListener("htmx:sseOpen", function () {
    // Back after a real gap (not the stream's routine reconnect): every region catches up,
    // at the cost of a 304 where nothing changed. The stream itself resumes from Last-Event-ID.
    var gap = lostAt !== null && Date.now() - lostAt > RECONNECT_GAP_MS;
    connected = true;
    lostAt = null;
    heard();
    showState("open", "Live");
    if (gap && window.HeartRefresh) window.HeartRefresh.requestAll("reconnect");
  });
  document.addEventListener("htmx:sseError", lost);
  window.addEventListener("offline", lost);
  window.addEventListener("online", function () {
    if (!connected) showState("polling", "Reconnecting to live updates");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status > 0) heard();
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
    received: function () { return received.slice(); },
    events: function () { return recent.slice(); },
    // Up, or reconnecting for a moment (streams end and resume routinely): polling waits.
    connected: function () {
      return connected || (navigator.onLine && lostAt !== null && Date.now() - lostAt < GRACE_MS);
    }
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
  document.addEventListener("htmx:afterSwap", function () {
    var target = document.getElementById("field-card") || document.getElementById("board");
    if (target) announce(target, false);
  });
  announce(document, true);
})();
