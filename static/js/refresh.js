/* The one place that decides whether a region refreshes itself (issues 16, 24, 25).
 *
 * A region is an element that fetches itself again: hx-get to itself, a trigger with "every"
 * (its timer while the live stream is down), "sse:feed" (a feed event), "sse:calls" (the
 * board's waiting calls changed: a call entered elsewhere) and "heart:refresh"
 * (asked for by a script: the signal came back, the outbox finished, the region is behind).
 * Each refresh meets these rules in this order; the first that answers decides:
 *
 *   offline  the browser is offline: skip it now, refresh when the signal returns.
 *   held     another module keeps the region as it is (the outbox: taps waiting to be sent,
 *            a panel open): skip; that module asks again when it lets go.
 *   in-use   someone is using a form in the region: wait (up to HOLD_EDIT_MS), refresh as
 *            soon as they leave it.
 *   shown    a feed event the region already shows (its id is at or below the cursor the
 *            region was rendered with, or it is this team's status change at or below the
 *            version shown: the page's own tap): skip.
 *   quiet    a timer tick while the stream is live: skip (a region with
 *            data-quiet-refresh="S" still refreshes every S seconds, for its clocks).
 *
 * The same holds apply to an answer that arrives after a hold began (it is not swapped in).
 * After every swap a region compares its cursor with the feed events the page has received,
 * and refreshes when it is behind: an event that came while the region was being replaced is
 * never lost. A refresh carries the ETag of what the region shows; 304 means nothing changed.
 */
(function () {
  "use strict";

  var HOLD_EDIT_MS = 30000;
  var heldSince = {};   // region id -> when a refresh was first held for use
  var pending = {};     // region id -> a refresh is owed (skipped offline or while held)
  var lastDone = {};    // region id -> when its timer last refreshed it (swapped in or 304)
  var etags = {};       // region id -> ETag of what the region shows
  var holds = [];       // [name, function (region) -> true while it must stay as it is]
  var decisions = [];   // the latest verdicts, for tests and for looking at a phone

  function note(region, cause, verdict) {
    decisions.push({region: region.id, cause: cause, verdict: verdict, at: Date.now()});
    if (decisions.length > 200) decisions.shift();
  }

  function isRegion(elt) {
    return !!(elt && elt.getAttribute && elt.hasAttribute("hx-get") &&
              /every /.test(elt.getAttribute("hx-trigger") || ""));
  }
  // The element that made the request: events after it are fired on the target (beforeSwap)
  // or, once the answer replaced it, on its nearest connected ancestor (afterRequest).
  function requester(detail) { return (detail.requestConfig && detail.requestConfig.elt) || detail.elt; }
  function isOwnRefresh(detail) {
    var config = detail.requestConfig;
    var elt = requester(detail);
    return isRegion(elt) && config && config.verb === "get" && (!detail.target || detail.target === elt);
  }
  function causeOf(config) {
    var trigger = config && config.triggeringEvent;
    var type = trigger && trigger.type;
    if (type === "sse:feed") return "feed";
    if (type === "sse:calls") return "calls";  // the waiting calls changed: never quiet
    if (type === "heart:refresh") return "asked";
    return "timer";
  }

  // ---- What the region shows ----------------------------------------------------------------
  function feedEvent(message) {  // the SSE message -> {id, team, version}
    if (!message || !message.lastEventId) return null;
    var data = {};
    try { data = JSON.parse(message.data); } catch (e) { /* no data: the id is enough */ }
    return {id: Number(message.lastEventId), team: data.team, version: data.version};
  }
  // The newest team version any part of the region shows: a tap's answer replaces only the
  // buttons and the team bar (#field-steps carries its version), not the card's root.
  function versionShown(region) {
    var holders = [region].concat(Array.prototype.slice.call(region.querySelectorAll("[data-team-version]")));
    return holders.reduce(function (best, el) {
      var v = Number(el.getAttribute("data-team-version"));
      return isNaN(v) ? best : Math.max(best, v);
    }, -1);
  }
  function shows(region, event) {
    var cursor = Number(region.getAttribute("data-cursor"));
    if (region.getAttribute("data-cursor") === null || isNaN(cursor)) return false;
    if (event.id <= cursor) return true;
    var team = region.getAttribute("data-call-sign");
    return !!(event.version != null && team && event.team === team && event.version <= versionShown(region));
  }
  function behind(region) {
    if (region.getAttribute("data-cursor") === null || !window.heartLive) return false;
    return window.heartLive.events().some(function (event) { return !shows(region, event); });
  }

  // ---- Holds --------------------------------------------------------------------------------
  function initialChoice(select) {
    var options = select.options;
    for (var i = 0; i < options.length; i++) if (options[i].defaultSelected) return options[i].value;
    return options.length ? options[0].value : "";
  }
  function changed(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "hidden") return false;
      if (field.tagName === "SELECT") return field.value !== initialChoice(field);
      return "defaultValue" in field && field.value !== field.defaultValue;
    });
  }
  function inUse(region) {
    var active = document.activeElement;
    var form = active && active.closest && active.closest("form");
    if (!form || !region.contains(form)) return false;
    return active.matches("select, textarea, input:not([type=hidden])") || changed(form);
  }
  function holdForUse(region) {
    if (!inUse(region)) {
      delete heldSince[region.id];
      return false;
    }
    if (!(region.id in heldSince)) heldSince[region.id] = Date.now();
    return Date.now() - heldSince[region.id] < HOLD_EDIT_MS;
  }
  function heldBy(region) {
    for (var i = 0; i < holds.length; i++) if (holds[i][1](region)) return holds[i][0];
    return null;
  }

  // ---- The rules ----------------------------------------------------------------------------
  // Each returns null (no objection) or [verdict, rule]: "skip" drops it, "later" owes it.
  var RULES = [
    function offline() { return navigator.onLine ? null : ["later", "offline"]; },
    function held(region) { var by = heldBy(region); return by ? ["skip", "held:" + by] : null; },
    function use(region) { return holdForUse(region) ? ["later", "in-use"] : null; },
    function shown(region, cause, event) {
      return cause === "feed" && event && shows(region, event) ? ["skip", "shown"] : null;
    },
    function quiet(region, cause) {
      if (cause !== "timer" || !window.heartLive || !window.heartLive.connected()) return null;
      var every = Number(region.getAttribute("data-quiet-refresh")) * 1000;
      var due = every > 0 && Date.now() - (lastDone[region.id] || 0) >= every;
      return due ? null : ["skip", "quiet"];
    }
  ];
  function decide(region, cause, event) {
    for (var i = 0; i < RULES.length; i++) {
      var verdict = RULES[i](region, cause, event);
      if (verdict) return verdict;
    }
    return null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isOwnRefresh(event.detail)) return;
    var region = requester(event.detail);
    var config = event.detail.requestConfig;
    var cause = causeOf(config);
    var message = cause === "feed" && config.triggeringEvent ? config.triggeringEvent.detail : null;
    var verdict = decide(region, cause, feedEvent(message));
    if (verdict) {
      event.preventDefault();
      if (verdict[0] === "later") pending[region.id] = true;
      note(region, cause, verdict[0] + ":" + verdict[1]);
      return;
    }
    delete pending[region.id];
    note(region, cause, "sent");
    document.body.setAttribute("data-refreshed-by", cause === "timer" ? "timer" : cause === "feed" ? "feed" : "asked");
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var region = event.detail.elt;
    if (isRegion(event.detail.elt) && event.detail.verb === "get" && etags[region.id]) {
      event.detail.headers["If-None-Match"] = etags[region.id];
    }
  });

  // An answer that left before a hold began is not swapped in; it is owed instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isOwnRefresh(event.detail)) return;
    var region = requester(event.detail);
    var by = heldBy(region) || (holdForUse(region) ? "in-use" : null);
    if (by && event.detail.shouldSwap) {
      event.detail.shouldSwap = false;
      pending[region.id] = true;
      note(region, "answer", "not-swapped:" + by);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr) return;
    var region = requester(event.detail);
    if (isOwnRefresh(event.detail)) {
      if (xhr.status === 200 || xhr.status === 304) {
        // Only the timer's own refresh counts: a feed event's may redraw only some rows (the
        // board's row updates), and a steady feed must not hold back the quiet refresh.
        if (causeOf(event.detail.requestConfig) === "timer") lastDone[region.id] = Date.now();
        etags[region.id] = xhr.getResponseHeader("ETag") || undefined;
        if (xhr.status === 304) note(region, "answer", "unchanged");
      }
    } else {
      // Something else (a tap's answer) replaced what a region shows: its ETag no longer fits.
      var target = event.detail.target;
      var owner = target && target.closest && target.closest("[hx-get][hx-trigger]");
      if (owner && owner.id) delete etags[owner.id];
      if (target && target.id) delete etags[target.id];
    }
  });

  // A tap's answer replaces part of a region (the card's buttons and team bar): the region's
  // own version follows the newest one it now shows.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[hx-get][data-team-version]").forEach(function (region) {
      var newest = versionShown(region);
      if (newest > Number(region.getAttribute("data-team-version"))) {
        region.setAttribute("data-team-version", String(newest));
      }
    });
  });

  // After every swap: a region never stays behind the newest event the page received.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    var regions = isRegion(elt) ? [elt] : [];
    if (elt.querySelectorAll) {
      Array.prototype.push.apply(regions, elt.querySelectorAll("[hx-get][hx-trigger]"));
    }
    regions.filter(isRegion).forEach(function (region) {
      if (behind(region)) {
        note(region, "swap", "behind");
        ask(region, "behind");
      }
    });
  });

  // Leaving a form lets its held refresh come.
  document.addEventListener("focusout", function () {
    setTimeout(function () {  // once focus has landed where it is going
      Object.keys(heldSince).forEach(function (id) {
        var region = document.getElementById(id);
        if (region && !inUse(region)) {
          delete heldSince[id];
          ask(region, "after-use");
        }
      });
    }, 0);
  });

  function ask(region, reason) {
    if (region && document.body.contains(region)) htmx.trigger(region, "heart:refresh", {reason: reason});
  }
  function askAll(reason) {
    document.querySelectorAll("[hx-get][hx-trigger]").forEach(function (region) {
      if (isRegion(region)) ask(region, reason);
    });
  }
  // The signal is back: every region catches up (a 304 if nothing changed).
  window.addEventListener("online", function () { askAll("online"); });

  window.HeartRefresh = {
    /* Ask a region to refresh; the rules still apply. */
    request: ask,
    /* Every region refreshes (the stream reopened, say). */
    requestAll: askAll,
    /* While test(region) is true the region keeps what it shows. */
    holdWhile: function (name, test) { holds.push([name, test]); },
    owed: function () { return Object.keys(pending); },
    decisions: function () { return decisions.slice(); },
    behind: behind
  };
})();
