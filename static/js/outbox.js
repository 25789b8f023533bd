/* The outbox: status taps and outcomes that have not reached the server wait in IndexedDB.
 *
 * A tap goes to the outbox when it is made offline, when it meets no answer (a dropped
 * connection), a server fault (5xx) or no answer within the deadline (data-deadline on
 * #outbox, HEART_TAP_DEADLINE_SECONDS). It is stored with its client UUID and device time,
 * shown as "Waiting to send", and the screen moves on to the next step the card carries (each
 * step expects the version its predecessor will produce). The queue is sent in order, one
 * request at a time, across tabs (Web Locks), when the signal returns and on a backoff timer
 * (2 s doubling to a minute); each item ends "Sent", or "Not applied: <reason>" when the server
 * refuses it (a 4xx), and once one is refused the rest of that chain is not sent. A late answer
 * to a tap that passed its deadline settles its item the same way. The server applies each
 * UUID once, so a tap sent again after its answer was lost is harmless.
 */
(function () {
  "use strict";
  var DB_NAME = "heart-field";
  var STORE = "outbox";
  var PAGES = "heart-pages";
  var KEEP_FINISHED_MS = 60 * 60 * 1000;
  var dbPromise = null;
  var unsentHere = 0;  // queued items for the team on this screen
  var sending = false;
  var inFlight = {};   // uuid -> true while the tap's own request (past its deadline) is open
  var retryDelay = 0;  // ms until the next try after a failed one (0: none planned)
  var retryTimer = null;
  var FIRST_RETRY_MS = 2000;
  var MAX_RETRY_MS = 60000;
  var LATE_ANSWER_MS = 45000;  // a tap's own request is given up after this

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, {keyPath: "seq", autoIncrement: true});
          store.createIndex("uuid", "uuid", {unique: true});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function allItems() { return withStore("readonly", function (s) { return s.getAll(); }); }
  function saveItem(item) { return withStore("readwrite", function (s) { return s.put(item); }); }

  function card() { return document.getElementById("field-card"); }
  function team() { var c = card(); return c ? c.dataset.callSign : null; }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function outboxSetting(name) {
    var list = document.getElementById("outbox");
    return list ? list.getAttribute("data-" + name) : null;
  }
  // Device times in HEART_TIMEZONE, like every other time on the screen.
  function clock(iso) {
    var options = {hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
    var zone = outboxSetting("timezone");
    if (zone) options.timeZone = zone;
    try { return new Date(iso).toLocaleTimeString([], options); } catch (e) {
      delete options.timeZone;
      return new Date(iso).toLocaleTimeString([], options);
    }
  }
  function deadlineMs() {
    var seconds = Number(outboxSetting("deadline"));
    return seconds > 0 ? seconds * 1000 : 7000;
  }

  // ---- The list on screen -------------------------------------------------------------------
  var STATE_TEXT = {queued: "Waiting to send", synced: "Sent", refused: "Not applied"};

  function render() {
    var list = document.getElementById("outbox");
    if (!list) return Promise.resolve();
    return allItems().then(function (items) {
      var here = items.filter(function (i) { return i.team === team(); });
      unsentHere = here.filter(function (i) { return i.state === "queued"; }).length;
      var rows = list.querySelector("ol");
      // Rebuild only on change: the list is a live region, and the card refreshes every 5 s.
      var signature = JSON.stringify(here.map(function (i) { return [i.uuid, i.state, i.reason]; })) + navigator.onLine;
      if (list.dataset.signature === signature) return;
      list.dataset.signature = signature;
      rows.textContent = "";
      here.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item outbox-" + item.state;
        li.dataset.uuid = item.uuid;
        var what = document.createElement("strong");
        what.textContent = item.label;
        var when = document.createElement("span");
        when.textContent = " · " + clock(item.occurredAt) + " · ";
        var state = document.createElement("span");
        state.className = "outbox-state";
        state.textContent = STATE_TEXT[item.state] + (item.reason ? ": " + item.reason : "");
        li.append(what, when, state);
        rows.append(li);
      });
      list.hidden = here.length === 0;
      list.classList.toggle("outbox-done", unsentHere === 0);
      list.classList.toggle("outbox-has-refused", here.some(function (i) { return i.state === "refused"; }));
      var waiting = list.querySelector(".outbox-waiting");
      waiting.hidden = unsentHere === 0;
      waiting.textContent = unsentHere === 0 ? "" : unsentHere + (unsentHere === 1 ? " tap waits" : " taps wait") +
        (navigator.onLine ? " to be sent." : " for the network. Keep working: they will be sent in order.");
      list.querySelector(".outbox-forget").hidden = here.length === unsentHere;
    });
  }

  // ---- Queueing -----------------------------------------------------------------------------
  function queue(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") fields.push([name, String(value)]);
    });
    var get = function (name) { var f = fields.find(function (p) { return p[0] === name; }); return f ? f[1] : ""; };
    if (!get("occurred_at")) fields = fields.filter(function (p) { return p[0] !== "occurred_at"; })
      .concat([["occurred_at", new Date().toISOString()]]);
    var item = {
      uuid: get("client_uuid"), url: form.getAttribute("action"), fields: fields,
      label: form.dataset.outbox, occurredAt: get("occurred_at"), team: get("team"),
      state: "queued", reason: "", queuedAt: Date.now()
    };
    return withStore("readwrite", function (s) { return s.add(item); })
      .catch(function () { /* this UUID is already queued */ })
      .then(function () { advance(form); return render(); });
  }

  // Backup without a signal: queued ahead of every tap (sendAll sends it first), the screen says
  // at once to use the radio, and it stays where it is (Backup is in every step).
  function queueBackup(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") fields.push([name, String(value)]);
    });
    var at = new Date().toISOString();
    fields = fields.filter(function (p) { return p[0] !== "occurred_at"; }).concat([["occurred_at", at]]);
    var uuid = form.querySelector('input[name="client_uuid"]').value;
    var item = {
      uuid: uuid, url: form.getAttribute("action"), fields: fields, label: "Backup", first: true,
      occurredAt: at, team: form.querySelector('input[name="team"]').value,
      state: "queued", reason: "", queuedAt: Date.now()
    };
    sayBackupWaits();
    return withStore("readwrite", function (s) { return s.add(item); })
      .catch(function () { /* this request is already queued */ })
      .then(render);
  }
  function sayBackupWaits() {
    var note = card() && card().querySelector(".backup-offline");
    if (!note) return;
    note.textContent = "No signal: use your radio. Backup is queued and goes first when the signal returns.";
    note.hidden = false;
  }

  // Show the step the server said comes after this form's tap (data-then, from the status
  // core's next steps; empty: none), as if the server had answered.
  function advance(form) {
    if (!card()) return;
    var then = form.dataset.then;
    showStep(then ? Number(then) : -1, form);
  }

  function showStep(index, done) {
    var c = card();
    var notices = c.querySelector(".notices");
    if (notices) notices.textContent = "";  // the last answer no longer describes the screen
    c.querySelectorAll(".step, [data-panel]").forEach(function (el) {
      el.hidden = !(el.classList.contains("step") && Number(el.dataset.step) === index);
    });
    var pill = c.querySelector(".team-bar .status");
    if (done && pill && done.dataset.statusAfter) showQueuedStatus(pill, done.dataset.statusAfter);
  }

  // A status not yet confirmed by the server looks the same whatever the status: outlined,
  // with a clock, and says so in words.
  function showQueuedStatus(pill, statusAfter) {
    pill.textContent = "";
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("class", "queued-clock");
    svg.setAttribute("aria-hidden", "true");
    var face = document.createElementNS(svg.namespaceURI, "circle");
    face.setAttribute("cx", "8"); face.setAttribute("cy", "8"); face.setAttribute("r", "6.5");
    var hands = document.createElementNS(svg.namespaceURI, "path");
    hands.setAttribute("d", "M8 4v4l2.5 2");
    svg.append(face, hands);
    pill.append(svg, document.createTextNode(statusAfter + " · waiting to send"));
    pill.classList.add("status-queued");
  }

  // After a reload, walk the card past the steps whose taps are still waiting.
  function replayOnScreen(items) {
    var c = card();
    if (!c) return;
    var last = null;
    items.forEach(function (item) {
      if (item.state !== "queued") return;
      if (item.first) { sayBackupWaits(); return; }
      var input = c.querySelector('input[name="client_uuid"][value="' + item.uuid + '"]');
      if (input) last = input.form;
    });
    if (last) advance(last);
  }

  // ---- Sending ------------------------------------------------------------------------------
  function reasonFrom(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var note = doc.querySelector(".notice-refused, .notice-error, .field-error");
    return note ? note.textContent.replace(/^Not applied\.\s*/, "").trim() : "The server refused it.";
  }

  function sendAll() {
    var here = team();
    return allItems().then(function (items) {
      var chainBroken = false;
      var sent = false;
      var queued = items.filter(function (i) { return i.state === "queued" && i.team === here; });
      // Backup first, then the taps in the order they were made.
      queued = queued.filter(function (i) { return i.first; }).concat(queued.filter(function (i) { return !i.first; }));
      return queued.reduce(function (previous, item) {
        return previous.then(function (go) {
          if (!go) return false;
          if (inFlight[item.uuid]) return false;  // its own request may still answer: wait for it
          if (chainBroken && !item.first) {
            item.state = "refused";
            item.reason = "the tap before it was not applied, so it was not sent.";
            return saveItem(item).then(function () { return true; });
          }
          return fetch(item.url, {
            method: "POST", credentials: "same-origin", body: new URLSearchParams(item.fields),
            headers: {"HX-Request": "true", "X-CSRFToken": csrfToken()}
          }).then(function (response) {
            if (response.redirected) return false;  // sent to sign in: keep it for later
            if (response.status === 200) {
              item.state = "synced";
              sent = true;
              return saveItem(item).then(function () { return true; });
            }
            if (refusal(response.status)) {
              return response.text().then(function (html) {
                item.state = "refused";
                item.reason = reasonFrom(html);
                chainBroken = chainBroken || !item.first;  // a refused Backup breaks no chain
                sent = true;
                return saveItem(item).then(function () { return true; });
              });
            }
            return false;  // a server fault, locked or signed out: keep it and try later
          }, function () { return false; });  // no network after all
        });
      }, Promise.resolve(true)).then(function () { return sent; });
    });
  }

  // The server refused the tap for good: a 4xx, except those that say "not now" (signed out,
  // locked, expired form, too many requests), after which the tap waits and is sent again.
  function refusal(status) {
    return status >= 400 && status < 500 && [401, 403, 408, 429].indexOf(status) < 0;
  }

  function sync() {
    if (sending || !navigator.onLine || !card()) return Promise.resolve();
    sending = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    var run = function () { return sendAll(); };
    var locked = navigator.locks ? navigator.locks.request("heart-outbox", run) : run();
    return locked.then(function (sent) {
      return render().then(function () {
        if (sent) retryDelay = 0;
        if (sent && unsentHere > 0) {
          setTimeout(sync, 0);  // tapped again while these were being sent
        } else if (unsentHere > 0) {
          retryLater();
        } else if (sent && window.HeartRefresh) {
          window.HeartRefresh.request(card(), "outbox-sent");
        }
      });
    }).finally(function () { sending = false; });
  }

  // After a failed try: again in 2 s, 4 s, 8 s ... up to a minute (sooner when the signal returns).
  function retryLater() {
    if (retryTimer) return;
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
    var wait = retryDelay * (0.8 + Math.random() * 0.4);
    retryTimer = setTimeout(function () { retryTimer = null; sync(); }, wait);
  }

  // ---- The screen copy kept for opening offline ---------------------------------------------
  function storeScreen() {
    if (!window.caches || !card()) return;
    var copy = document.documentElement.cloneNode(true);
    var list = copy.querySelector("#outbox ol");
    if (list) list.textContent = "";
    var outbox = copy.querySelector("#outbox");
    if (outbox) outbox.removeAttribute("data-signature");
    var html = "<!doctype html>\n" + copy.outerHTML;
    caches.open(PAGES).then(function (cache) {
      return cache.put("/field/", new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}}));
    }).catch(function () {});
  }

  // ---- Position -----------------------------------------------------------------------------
  // Only once permission is given; rounded to about 100 m, enough to pick the nearest team.
  var position = null;
  function watchPosition() {
    if (!navigator.geolocation || !navigator.permissions) return;
    navigator.permissions.query({name: "geolocation"}).then(function (status) {
      if (status.state !== "granted") return;
      navigator.geolocation.getCurrentPosition(function (p) {
        position = {lat: p.coords.latitude.toFixed(3), lon: p.coords.longitude.toFixed(3), at: Date.now()};
      }, function () {}, {enableHighAccuracy: false, maximumAge: 120000, timeout: 10000});
    }).catch(function () {});
  }
  function askForPosition() {
    if (position || !navigator.geolocation || !navigator.permissions) return;
    navigator.permissions.query({name: "geolocation"}).then(function (status) {
      if (status.state === "prompt") {
        navigator.geolocation.getCurrentPosition(function (p) {
          position = {lat: p.coords.latitude.toFixed(3), lon: p.coords.longitude.toFixed(3), at: Date.now()};
        }, function () {}, {enableHighAccuracy: false, maximumAge: 120000, timeout: 10000});
      }
    }).catch(function () {});
  }
  function stampPosition(form) {
    var lat = form.querySelector('input[name="lat"]');
    var lon = form.querySelector('input[name="lon"]');
    if (!lat || !lon) return;
    if (position && Date.now() - position.at < 600000) {
      lat.value = position.lat;
      lon.value = position.lon;
    } else {
      askForPosition();  // the first tap asks; this one goes without
    }
  }

  // ---- Wiring -------------------------------------------------------------------------------
  function panelOpen() {
    var c = card();
    return !!(c && c.querySelector("[data-panel]:not([hidden])") && c.querySelector(".step"));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-opens]")) {
      var panel = card() && card().querySelector('[data-panel="' + form.dataset.opens + '"]');
      if (!panel) return;  // no script copy: load the panel's page
      event.preventDefault();
      event.stopPropagation();
      card().querySelectorAll(".step").forEach(function (s) { s.hidden = true; });
      panel.hidden = false;
      var first = panel.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
      return;
    }
    if (form.matches && form.matches("form[data-outbox]")) {
      stampPosition(form);
      var offline = !navigator.onLine || unsentHere > 0;
      if (offline && form.checkValidity && !form.checkValidity()) {
        event.preventDefault();
        event.stopPropagation();
        form.reportValidity();
      }
    }
  }, true);

  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("[data-closes-panel]");
    if (!back || !card() || !card().querySelector(".step")) return;
    event.preventDefault();
    var panel = back.closest("[data-panel]");
    panel.hidden = true;
    var opener = card().querySelector('[data-opens="' + panel.dataset.panel + '"]');
    if (opener) opener.closest(".step").hidden = false;
  });

  function tapForm(elt) { return elt && elt.closest ? elt.closest("form[data-outbox]") : null; }
  // The element that made the request: beforeSwap is fired on the target, and afterRequest on
  // the nearest connected ancestor once the answer has replaced the form.
  function requester(detail) { return (detail.requestConfig && detail.requestConfig.elt) || detail.elt; }
  var deadlines = {};  // uuid -> timer of a tap waiting for its answer

  // The card keeps the walked-ahead screen while taps wait, its form while a tap's answer is
  // on its way (a refresh would detach the form the answer belongs to), and an open panel
  // while it is used. refresh.js asks before every refresh, and before swapping one in.
  if (window.HeartRefresh) {
    window.HeartRefresh.holdWhile("outbox", function (region) {
      return region === card() && (unsentHere > 0 || panelOpen() ||
        Object.keys(deadlines).length > 0 || Object.keys(inFlight).length > 0);
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (tapForm(event.detail.elt)) event.detail.timeout = LATE_ANSWER_MS;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var backup = elt.closest && elt.closest("form[data-outbox-first]");
    if (backup && !navigator.onLine) {
      event.preventDefault();
      queueBackup(backup).then(sync);
      return;
    }
    var form = tapForm(elt);
    if (!form) return;
    if (!navigator.onLine || unsentHere > 0) {
      event.preventDefault();
      queue(form).then(sync);
      return;
    }
    // No answer within the deadline: the tap waits in the outbox, and its answer, if it comes,
    // settles it there.
    var uuid = form.querySelector('input[name="client_uuid"]').value;
    deadlines[uuid] = setTimeout(function () {
      delete deadlines[uuid];
      inFlight[uuid] = true;
      document.body.setAttribute("data-tap-deadline", "passed");
      queue(form);
    }, deadlineMs());
  });

  // A late answer is not swapped in (the screen has moved on without it).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = tapForm(requester(event.detail));
    var uuidField = form && form.querySelector('input[name="client_uuid"]');
    if (uuidField && inFlight[uuidField.value]) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = tapForm(requester(event.detail));
    var uuidField = form && form.querySelector('input[name="client_uuid"]');
    if (!uuidField) return;
    var uuid = uuidField.value;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    clearTimeout(deadlines[uuid]);
    delete deadlines[uuid];
    if (inFlight[uuid]) {
      delete inFlight[uuid];
      settleLate(uuid, status, xhr);
      return;
    }
    if (status === 0 || status >= 500) {
      queue(form).then(retryLater);  // no answer, or a server fault: keep it and try again
    } else if (refusal(status) && status !== 409 && status !== 422) {
      showRefusal(xhr);  // 409 and 422 answers are the card itself, swapped in with the reason
    }
  });

  // A refresh rendered before the last tap's answer (an older row version than the buttons on
  // screen) would put back the buttons and notice of before: drop it, the screen is newer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var shown = document.getElementById("field-steps");
    if (event.detail.elt !== card() || !config || config.verb !== "get" || !shown) return;
    var rendered = /data-team-version="(\d+)"/.exec(event.detail.serverResponse || "");
    if (rendered && Number(rendered[1]) < Number(shown.dataset.teamVersion)) event.detail.shouldSwap = false;
  });

  // Backup asked for as the signal drops: it waits first in line (taps: htmx:afterRequest).
  document.addEventListener("htmx:sendError", function (event) {
    var backup = event.detail.elt.closest && event.detail.elt.closest("form[data-outbox-first]");
    if (backup) queueBackup(backup);
  });

  // The answer to a tap that passed its deadline, now in the outbox.
  function settleLate(uuid, status, xhr) {
    withStore("readwrite", function (store) {
      store.index("uuid").get(uuid).onsuccess = function (e) {
        var item = e.target.result;
        if (!item || item.state !== "queued") return;
        if (status >= 200 && status < 300) {
          item.state = "synced";
        } else if (refusal(status)) {
          item.state = "refused";
          item.reason = reasonFrom(xhr.responseText || "");
        } else {
          return;  // no answer after all: it stays waiting
        }
        store.put(item);
      };
    }).then(render).then(sync).then(function () {
      if (unsentHere === 0 && window.HeartRefresh) window.HeartRefresh.request(card(), "late-answer");
    });
  }

  function showRefusal(xhr) {
    var notices = card() && card().querySelector(".notices");
    if (!notices) return;
    var reason = "";
    try { reason = JSON.parse(xhr.responseText).message; } catch (e) { reason = reasonFrom(xhr.responseText || ""); }
    var p = document.createElement("p");
    p.className = "notice notice-refused";
    p.textContent = "Not applied: " + (reason || "the server refused it.");
    notices.textContent = "";
    notices.append(p);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "field-card" || target.id === "field-steps")) {
      storeScreen();
      render();
    }
  });

  window.addEventListener("online", function () { retryDelay = 0; render().then(sync); });
  window.addEventListener("offline", render);

  window.HeartOutbox = {
    unsent: function () {
      return allItems().then(function (items) { return items.filter(function (i) { return i.state === "queued"; }); });
    },
    forgetFinished: function () {
      return withStore("readwrite", function (s) {
        s.openCursor().onsuccess = function (e) {
          var cursor = e.target.result;
          if (!cursor) return;
          if (cursor.value.state !== "queued") cursor.delete();
          cursor.continue();
        };
      });
    },
    sync: sync
  };

  function start() {
    if (!card()) return;
    if (navigator.onLine) storeScreen();
    var forget = document.querySelector("#outbox .outbox-forget");
    if (forget) forget.addEventListener("click", function () { window.HeartOutbox.forgetFinished().then(render); });
    // Finished items fade from the list after an hour; unsent ones stay until they are sent.
    withStore("readwrite", function (s) {
      s.openCursor().onsuccess = function (e) {
        var cursor = e.target.result;
        if (!cursor) return;
        if (cursor.value.state !== "queued" && Date.now() - cursor.value.queuedAt > KEEP_FINISHED_MS) cursor.delete();
        cursor.continue();
      };
    }).then(allItems).then(function (items) {
      replayOnScreen(items.filter(function (i) { return i.team === team(); }));
      return render();
    }).then(sync);
    watchPosition();
  }
  start();
})();
