/* The dispatch map: the city limits, every team (coloured by status) and every open call, drawn
   from the board's own rows (data-lat, data-lon, data-status...). The board is refreshed by the
   live feed (live.js), whole or row by row (htmx out-of-band swaps); the markers follow the rows,
   so the map needs no stream of its own and shows nothing the board's text does not.

   At scale (hundreds of teams, thousands of calls) markers that would cover each other are
   grouped (leaflet.markercluster): a group shows its count and its worst member (a team's
   status, a call's priority); clicking it zooms in. Teams, waiting calls and calls with a team
   are grouped apart, each in its own pane: a waiting call is drawn above every team and team
   label, so it is never hidden under one. Each marker keeps a signature of what it shows; on
   each swap only the markers whose row changed are redrawn.

   Clicking the map puts the new call there (the intake form's coordinates, and its verdict
   preview); clicking a marker shows its row on the board; dragging an unverified call's marker
   places it through the board's own "Place call" form. No inline script or style: strict CSP. */
(function () {
  "use strict";

  var element = document.getElementById("map");
  if (!element || !window.L) return;

  var tiles = element.getAttribute("data-tile-url");
  var map = L.map(element, {
    attributionControl: !!tiles,
    zoomSnap: 0.25,
    minZoom: 9,
    maxZoom: 18
  });
  if (tiles) {
    L.tileLayer(tiles, { attribution: element.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
    map.attributionControl.setPrefix(false);
  }
  // Bottom to top: calls with a team, teams, team labels, waiting calls. A team on scene is
  // drawn over its call; a waiting call over any team and any team's label.
  [["active-calls", 410], ["teams", 420], ["team-labels", 425], ["waiting-calls", 430]].forEach(function (pane) {
    map.createPane(pane[0]).style.zIndex = pane[1];
  });
  // Framed on the city limits at once (their bounds come with the page), before anything loads.
  var box = (element.getAttribute("data-bounds") || "").split(",").map(Number);
  if (box.length === 4 && box.every(isFinite)) {
    map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [8, 8] });
  } else {
    map.setView([0, 0], 2);
  }

  // Worst first: what a group of teams is coloured by. A team asking for attention (backup,
  // welfare check, not accepted) above all; then the least available.
  var TEAM_RANK = ["alert", "out_of_service", "on_scene", "en_route", "assigned", "available", "off_duty"];
  var STATUS_WORDS = {
    alert: "need attention", out_of_service: "out of service", on_scene: "on scene", en_route: "en route",
    assigned: "assigned", available: "available", off_duty: "off duty"
  };
  var ROWS = "#teams-table tr[data-call-sign], #teams-off-duty tr[data-call-sign], " +
    "#calls-waiting article[data-priority], #calls-active article[data-priority]";

  function textNode(words) {
    // Tooltip and icon content as DOM text, never an HTML string: call text (CAD number,
    // address) comes from the CAD or the intake form, and Leaflet would parse a string as markup.
    var span = document.createElement("span");
    span.textContent = words;
    return span;
  }

  function groupIcon(kind, count, worst, words) {
    var inner = textNode(String(count));
    inner.setAttribute("role", "img");
    inner.setAttribute("aria-label", words);
    inner.title = words + ". Click to zoom in.";
    var size = count < 10 ? 24 : count < 100 ? 28 : 34;
    return L.divIcon({
      html: inner,
      className: "map-group map-group-" + kind + " " + worst,
      iconSize: [size, size]
    });
  }

  function teamGroupIcon(cluster) {
    var counts = {};
    cluster.getAllChildMarkers().forEach(function (marker) {
      var shape = marker.heartShape;
      counts[shape.status] = (counts[shape.status] || 0) + 1;
      if (shape.alert) counts.alert = (counts.alert || 0) + 1;
    });
    var worst = TEAM_RANK.filter(function (status) { return counts[status]; })[0];
    var parts = TEAM_RANK.filter(function (status) { return counts[status]; }).map(function (status) {
      return counts[status] + " " + STATUS_WORDS[status];
    });
    var count = cluster.getChildCount();
    return groupIcon("team", count, "status-" + worst, count + " teams: " + parts.join(", "));
  }

  function callGroupIcon(kind) {
    return function (cluster) {
      var most = 9;
      cluster.getAllChildMarkers().forEach(function (marker) {
        most = Math.min(most, Number(marker.heartShape.priority) || 9);
      });
      var count = cluster.getChildCount();
      var words = count + (kind === "waiting" ? " calls waiting" : " calls with a team") + ", most urgent P" + most;
      return groupIcon(kind, count, "priority-" + most, words);
    };
  }

  function group(pane, icon, radius) {
    return L.markerClusterGroup({
      clusterPane: pane,
      iconCreateFunction: icon,
      maxClusterRadius: radius,
      showCoverageOnHover: false,
      animate: false  // 2,000 markers: no transitions on zoom
    }).addTo(map);
  }

  var groups = {
    // Groups gather markers within about two icons' width, so no two groups of a kind overlap.
    active: group("active-calls", callGroupIcon("active"), 60),
    team: group("teams", teamGroupIcon, 60),
    waiting: group("waiting-calls", callGroupIcon("waiting"), 60)
  };
  var markers = {};  // row id -> marker; marker.heartShape is what it shows

  function number(row, name) {
    var value = row.getAttribute(name);
    return value === null || value === "" ? null : Number(value);
  }

  function age(iso) {
    if (!iso) return "";
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    if (minutes < 1) return "now";
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function text(row, selector) {
    var found = row.querySelector(selector);
    return found ? found.textContent.trim() : "";
  }

  function kindOf(row) {
    if (row.hasAttribute("data-call-sign")) return "team";
    return row.closest("#calls-waiting") ? "waiting" : "active";
  }

  // What a row shows on the map; its signature changes exactly when the marker must be redrawn.
  function describe(row) {
    var kind = kindOf(row);
    var lat = number(row, "data-lat"), lon = number(row, "data-lon");
    var shape;
    if (kind === "team") {
      if (lat === null) return null;
      var callSign = row.getAttribute("data-call-sign");
      var status = row.getAttribute("data-status");
      shape = {
        kind: kind, lat: lat, lon: lon, status: status,
        alert: /\btile-alert-/.test(row.className),
        className: "map-team status-" + status,
        radius: 9,
        callSign: callSign,
        positionAt: row.getAttribute("data-position-at"),
        title: callSign + ": " + text(row, ".status")
      };
    } else {
      var priority = row.getAttribute("data-priority");
      var title = "P" + priority + " · " + row.getAttribute("data-cad") + " · " + text(row, ".call-address");
      if (row.hasAttribute("data-unverified")) {
        if (!element.hasAttribute("data-intake") || !row.querySelector("form.place")) return null;
        shape = { kind: "unverified", title: title, cad: row.getAttribute("data-cad") };
      } else {
        if (lat === null) return null;
        shape = {
          kind: kind, lat: lat, lon: lon, priority: priority,
          className: "map-call map-" + kind + " priority-" + priority,
          radius: priority === "1" ? 8 : priority === "2" ? 6.5 : 5,
          title: title
        };
      }
    }
    shape.signature = JSON.stringify(shape);
    return shape;
  }

  function teamLabel(shape) {
    return shape.callSign + " · " + age(shape.positionAt);
  }

  function build(id, shape) {
    var marker;
    if (shape.kind === "unverified") {
      // Dropped in the middle of the map, to be dragged to where the call is.
      marker = L.marker(map.getCenter(), {
        draggable: true,
        keyboard: false,  // the board's "Place call" form is the keyboard path
        title: shape.title + " (drag onto its place)",
        icon: L.divIcon({ className: "map-unverified", html: "", iconSize: [22, 22] }),
        bubblingMouseEvents: false
      });
      marker.bindTooltip(textNode(shape.cad + " · drag to place"), { permanent: true, direction: "right", className: "map-label map-label-unverified" });
      marker.on("dragend", function () { place(id, marker.getLatLng()); });
    } else {
      marker = L.circleMarker([shape.lat, shape.lon], {
        pane: shape.kind === "team" ? "teams" : shape.kind + "-calls",
        className: shape.className,
        radius: shape.radius,
        bubblingMouseEvents: false
      });
      if (shape.kind === "team") {
        marker.label = teamLabel(shape);
        marker.bindTooltip(textNode(marker.label), { permanent: true, direction: "right", offset: [8, 0], className: "map-label", pane: "team-labels" });
      } else {
        marker.bindTooltip(textNode(shape.title), { className: "map-label" });
      }
      marker.on("click", function () { showRow(id); });
      // A grouped marker has no element until its group opens: name it each time it is drawn.
      marker.on("add", function () {
        var path = marker.getElement();
        path.setAttribute("data-row", id);
        path.setAttribute("role", "img");  // a label needs a role that allows one (axe)
        path.setAttribute("aria-label", shape.title);
      });
    }
    marker.heartShape = shape;
    return marker;
  }

  /* Bring the markers in line with `rows`; with `whole`, `rows` is every row on the board and
     markers whose row is gone are removed. Unchanged rows leave their markers as they are. */
  function follow(rows, whole) {
    var started = performance.now();
    var adds = { team: [], waiting: [], active: [] }, removes = { team: [], waiting: [], active: [] };
    var seen = {}, redrawn = 0;

    function drop(id) {
      var marker = markers[id];
      var kind = marker.heartShape.kind;
      if (kind === "unverified") map.removeLayer(marker); else removes[kind].push(marker);
      delete markers[id];
    }

    rows.forEach(function (row) {
      var id = row.id, shape = describe(row);
      var marker = markers[id];
      if (shape) seen[id] = true;
      if (marker && shape && marker.heartShape.signature === shape.signature) return;
      if (marker) drop(id);
      if (!shape) return;
      var spot = shape.kind === "unverified" && unverifiedSpot();
      marker = markers[id] = build(id, shape);
      redrawn++;
      if (spot) {
        marker.setLatLng(spot).addTo(map);
      } else {
        adds[shape.kind].push(marker);
      }
    });
    if (whole) {
      Object.keys(markers).forEach(function (id) { if (!seen[id]) drop(id); });
    }
    Object.keys(groups).forEach(function (kind) {
      if (removes[kind].length) groups[kind].removeLayers(removes[kind]);
      if (adds[kind].length) groups[kind].addLayers(adds[kind]);
    });
    element.setAttribute("data-markers", String(Object.keys(markers).length));
    // For bench/map_page.py and the tests: what following the board's last change took.
    element.setAttribute("data-redrawn", String(redrawn));
    element.setAttribute("data-sync-ms", (performance.now() - started).toFixed(1));
  }

  function followBoard(event) {
    // A row update (its answer names the board's new cursor) was followed row by row as it
    // was swapped in: walking every row again would cost each live event the whole board.
    var xhr = event && event.detail && event.detail.xhr;
    if (xhr && xhr.getResponseHeader("X-Board-Cursor")) return;
    follow(Array.prototype.slice.call(document.querySelectorAll(ROWS)), true);
  }

  /* A row (or a part of the board holding rows) swapped in on its own. htmx names every element
     swapped so far with each out-of-band swap of a response: the rows are gathered and followed
     once, when the response's swaps are done. */
  var swapped = new Set();
  function followSwapped(event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (!swapped.size) Promise.resolve().then(followGathered);
    swapped.add(target);
  }

  function followGathered() {
    var rows = new Set();
    swapped.forEach(function (target) {
      if (!target.isConnected) return;
      if (target.matches(ROWS)) rows.add(target);
      target.querySelectorAll(ROWS).forEach(function (row) { rows.add(row); });
    });
    swapped.clear();
    if (rows.size) follow(Array.from(rows), false);
  }

  // Unplaced calls side by side in the middle of the map, so each can be picked up.
  function unverifiedSpot() {
    var n = Object.keys(markers).filter(function (id) { return markers[id].heartShape.kind === "unverified"; }).length;
    return map.containerPointToLatLng(map.latLngToContainerPoint(map.getCenter()).add([n * 28, 0]));
  }

  // The age of each drawn team's last position, kept current between changes.
  function refreshAges() {
    Object.keys(markers).forEach(function (id) {
      var marker = markers[id];
      if (marker.heartShape.kind !== "team") return;
      var label = teamLabel(marker.heartShape);
      if (label !== marker.label) {
        marker.label = label;
        marker.setTooltipContent(textNode(label));
      }
    });
  }

  // A marker's row on the board, scrolled to and focused.
  function showRow(id) {
    var row = document.getElementById(id);
    if (!row) return;
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.scrollIntoView({ block: "nearest" });
    row.focus({ preventScroll: true });
  }

  // Drop an unverified call: the board's own form does the rest (CSRF, htmx, errors).
  function place(id, latlng) {
    var row = document.getElementById(id);
    var form = row && row.querySelector("form.place");
    if (!form) return;
    form.querySelector("input[name='lat']").value = latlng.lat.toFixed(6);
    form.querySelector("input[name='lon']").value = latlng.lng.toFixed(6);
    var address = form.querySelector("input[name='address']");
    if (address) address.value = "";
    form.requestSubmit();
  }

  // A click on the map puts the new call there and asks for the verdict.
  var pick = null;
  var intakeId = element.getAttribute("data-intake");
  var intake = intakeId && document.getElementById(intakeId);
  if (intake) {
    element.classList.add("map-pickable");
    map.on("click", function (event) {
      var lat = intake.querySelector("input[name='lat']");
      var lon = intake.querySelector("input[name='lon']");
      if (!lat || !lon) return;
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      if (!pick) {
        pick = L.circleMarker(event.latlng, { className: "map-pick", radius: 7, interactive: false }).addTo(map);
      } else {
        pick.setLatLng(event.latlng);
      }
      lon.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  // The boundary first (its fetch was started by the page's preload link, in parallel with
  // the scripts), then the markers over it. A slow boundary does not hold the markers back.
  function drawBoundary(feature) {
    L.geoJSON(feature, { className: "map-boundary", interactive: false }).addTo(map).bringToBack();
    element.setAttribute("data-boundary-drawn", "");
    performance.mark("map-boundary");
  }
  var boundary = fetch(element.getAttribute("data-boundary"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("city limits: " + response.status);
      return response.json();
    });
  var boundaryDrawn = boundary.then(drawBoundary).catch(function () {
    element.setAttribute("data-boundary-drawn", "failed");
  });
  var late = new Promise(function (resolve) { setTimeout(resolve, 1000); });

  Promise.race([boundaryDrawn, late]).then(function () {
    followBoard();
    performance.mark("map-markers");
    document.addEventListener("htmx:oobAfterSwap", followSwapped);
    document.addEventListener("htmx:afterSettle", followBoard);
    setInterval(refreshAges, 30000);
  });

  /* For tests and other scripts: show(rowId) zooms to a marker, opening its group. */
  window.heartMap = {
    map: map,
    markers: markers,
    groups: groups,
    show: function (id) {
      var marker = markers[id];
      if (!marker) return;
      var group = groups[marker.heartShape.kind];
      if (!group) { map.panTo(marker.getLatLng()); return; }
      // Closest zoom, at once (the groups are redrawn before setView returns). Markers at the
      // very same place stay grouped even there: open their group, as a click on it does.
      // (zoomToShowLayer waits for a group's icon, which a circle marker never has.)
      map.setView(marker.getLatLng(), map.getMaxZoom(), { animate: false });
      var parent = group.getVisibleParent(marker);
      if (parent && parent !== marker) parent.spiderfy();
    }
  };
})();
