/* Screen changes on the responder's phone: after a tap, a form or Back brings a new screen, show
   its top (the notice that says what happened, and the heading), move focus to the heading and so
   announce both, as Clear does for Disposition. A background refresh (the live feed, the timer)
   moves neither focus nor scroll (live.js rings for a new call); if it replaces the heading that
   had focus, the new heading takes focus back. Forms returned with messages (422) are forms.js's:
   the first field at fault gets focus. */
(function () {
  "use strict";

  function visible(element) {
    return !!element && !element.closest("[hidden]") && element.getClientRects().length > 0;
  }

  // The screen's heading: an open form's (outcome, decline, referral), else the call's.
  function headingOf(screen) {
    var candidates = screen.querySelectorAll("form h1, form h2, h1");
    for (var i = 0; i < candidates.length; i++) if (visible(candidates[i])) return candidates[i];
    return null;
  }

  function noticeOf(screen) {
    var notice = screen.querySelector(".notices .notice");
    return notice && visible(notice) ? notice : null;
  }

  // Focus on the heading reads its name, then what the notice says (its description): the
  // announcement, with no second copy of the words in the page.
  function show(screen, heading, notice) {
    if (notice) {
      notice.id = notice.id || "screen-notice";
      heading.setAttribute("aria-describedby", notice.id);
    } else {
      heading.removeAttribute("aria-describedby");
    }
    var top = screen.getBoundingClientRect().top + window.scrollY - 8;
    window.scrollTo({ top: Math.max(0, top), behavior: "instant" });
    var box = heading.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) heading.scrollIntoView({ block: "start" });
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }

  function byUser(detail) {
    var config = detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    var type = trigger && typeof trigger.type === "string" ? trigger.type : "";
    if (config.verb && config.verb !== "get") return true;
    return type === "submit" || type === "click";
  }

  // A tap's own feed event can refresh the card before the tap's answer arrives (the answer is
  // then dropped with the form it came from): a refresh that lands while a tap is on its way is
  // the screen change that tap made.
  var USER_WAIT_MS = 5000;
  var userSince = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var screen = document.getElementById("field-card");
    if (screen && screen.contains(event.detail.elt) && byUser(event.detail)) userSince = Date.now();
  });

  // A background refresh replaces the heading that has focus: the new one takes it back.
  var headingHadFocus = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var screen = document.getElementById("field-card");
    headingHadFocus = !!screen && event.detail.target === screen &&
      document.activeElement === headingOf(screen);
  });

  var lastHeading = null;
  document.addEventListener("htmx:afterSettle", function (event) {
    var screen = document.getElementById("field-card");
    if (!screen || !event.detail.xhr || event.detail.xhr.status === 422) return;
    var target = event.detail.target;
    if (!(target && target.id === "field-card") && !screen.contains(event.target)) return;
    var heading = headingOf(screen);
    if (!heading) return;
    var words = heading.textContent.trim();
    var mine = byUser(event.detail);
    if (mine || (userSince && Date.now() - userSince < USER_WAIT_MS)) {
      if (mine) userSince = 0;
      show(screen, heading, noticeOf(screen));
    } else if (headingHadFocus && words === lastHeading && document.activeElement !== heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    headingHadFocus = false;
    lastHeading = words;
  });

  // Back from a panel carried in the card (outbox.js shows the status buttons again): focus goes
  // to the call's heading instead of being lost with the hidden Back link.
  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("[data-closes-panel]");
    if (!back) return;
    setTimeout(function () {
      var screen = document.getElementById("field-card");
      var heading = screen && headingOf(screen);
      if (heading && !visible(back)) show(screen, heading, null);
    }, 0);
  });

  var first = document.getElementById("field-card");
  if (first && headingOf(first)) lastHeading = headingOf(first).textContent.trim();
})();

/* Folded sections of the card (earlier calls) stay as the responder left them across the card's
   background refreshes, until the call changes (then the server's choice holds again). */
(function () {
  "use strict";
  var chosen = {};
  var call = null;
  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("#field-card details[id] > summary");
    if (!summary) return;
    var details = summary.parentElement;
    setTimeout(function () { chosen[details.id] = details.open; }, 0);
  });
  document.addEventListener("htmx:afterSwap", function () {
    var card = document.getElementById("field-card");
    if (!card) return;
    var now = card.getAttribute("data-assignment");
    if (now !== call) chosen = {};
    call = now;
    card.querySelectorAll("details[id]").forEach(function (d) {
      if (d.id in chosen) d.open = chosen[d.id];
    });
  });
  var card = document.getElementById("field-card");
  if (card) call = card.getAttribute("data-assignment");
})();
