/* The dispatch board's notices ("CR-2 assigned to call ...", "Call ... entered. Recommended: ...")
   say what just happened, so they must not stay to contradict the board later: each shows for
   NOTICE_MS, then fades out; a newer notice replaces an older one at once; the board's own
   refreshes (the live feed) keep the current one until its time is up. Messages that need an
   answer (refused, errors) stay until the next notice replaces them. */
(function () {
  "use strict";
  var NOTICE_MS = 8000;
  var FADE_MS = 600;
  var shown = null;  // the notice on screen now

  function fade(notice) {
    notice.classList.add("notice-fading");
    setTimeout(function () {
      notice.remove();
      if (shown === notice) shown = null;
    }, FADE_MS);
  }

  function show(notice) {
    if (shown && shown !== notice) shown.remove();
    shown = notice;
    if (notice.classList.contains("notice-ok")) {
      setTimeout(function () { if (notice.isConnected || shown === notice) fade(notice); }, NOTICE_MS);
    }
  }

  function boardNotice() {
    return document.querySelector("#board .notices .notice");
  }

  document.addEventListener("htmx:afterSwap", function () {
    var board = document.getElementById("board");
    if (!board) return;
    var fresh = boardNotice();
    if (fresh && fresh !== shown) {
      document.querySelectorAll(".flashes .notice").forEach(function (n) { if (n !== fresh) n.remove(); });
      show(fresh);
    } else if (!fresh && shown && !shown.isConnected && !shown.classList.contains("notice-fading")) {
      // A refresh from the feed: the notice stays for the rest of its time.
      var place = board.querySelector(".notices");
      if (place && shown.parentElement !== place && !document.querySelector(".flashes").contains(shown)) {
        place.appendChild(shown);
      }
    }
  });

  if (document.getElementById("board")) {
    var first = boardNotice() || document.querySelector(".flashes .notice");
    if (first) show(first);
  }
})();
