/* The dispatch map: the city limits, every team (coloured by status) and every open call, drawn
   from the board's own rows (data-lat, data-lon, data-status...). The board is refreshed by the
   live feed (live.js); after each refresh the markers follow it, so the map needs no stream of
   its own and shows nothing the board's text does not. Clicking the map puts the new call there
   (the intake form's coordinates, and its verdict preview); dragging an unverified call's marker
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
  // Teams above calls above the boundary: a team on scene is not hidden under its call.
  map.createPane("calls").style.zIndex = 410;
  map.createPane("teams").style.zIndex = 420;
  var markers = {};  // row id -> { marker, key, label }
  var board = null;
  // Framed on the city limits at once (their bounds come with the page), before anything loads.
  var box = (element.getAttribute("data-bounds") || "").split(",").map(Number);
  if (box.length === 4 && box.every(isFinite)) {
    map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [8, 8] });
  } else {
    map.setView([0, 0], 2);
  }

  // The boundary: a simplified copy of the geofence's polygon, fetched once.
  fetch(element.getAttribute("data-boundary"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("city limits: " + response.status);
      return response.json();
    })
    .then(function (feature) {
      var boundary = L.geoJSON(feature, { className: "map-boundary", interactive: false }).addTo(map);
      boundary.bringToBack();
      element.setAttribute("data-boundary-drawn", "");
      performance.mark("map-boundary");
    })
    .catch(function () {
      element.setAttribute("data-boundary-drawn", "failed");
    });

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

  // Tooltip content as a DOM text node, never an HTML string: call text (CAD number, address)
  // comes from the CAD or the intake form, and Leaflet would parse a string as markup.
  function textLabel(words) {
    var span = document.createElement("span");
    span.textContent = words;
    return span;
  }

  function text(row, selector) {
    var found = row.querySelector(selector);
    return found ? found.textContent.trim() : "";
  }

  // What each row looks like on the map: a key that changes when the marker must be rebuilt.
  function describe(row, kind) {
    var lat = number(row, "data-lat"), lon = number(row, "data-lon");
    if (kind === "team") {
      if (lat === null) return null;
      var callSign = row.getAttribute("data-call-sign");
      var status = row.getAttribute("data-status");
      return {
        kind: kind, lat: lat, lon: lon,
        key: "team " + status,
        className: "map-team status-" + status,
        radius: 9,
        label: callSign + " · " + age(row.getAttribute("data-position-at")),
        title: callSign + ": " + text(row, ".status")
      };
    }
    var priority = row.getAttribute("data-priority");
    var title = "P" + priority + " · " + row.getAttribute("data-cad") + " · " + text(row, ".call-address");
    if (row.hasAttribute("data-unverified")) {
      if (!element.hasAttribute("data-intake") || !row.querySelector("form.place")) return null;
      return { kind: "unverified", key: "unverified", title: title, cad: row.getAttribute("data-cad") };
    }
    if (lat === null) return null;
    return {
      kind: kind, lat: lat, lon: lon,
      key: kind + " " + priority,
      className: "map-call map-" + kind + " priority-" + priority,
      radius: priority === "1" ? 8 : priority === "2" ? 6.5 : 5,
      title: title
    };
  }

  function build(id, shape) {
    var marker;
    if (shape.kind === "unverified") {
      // Dropped in the middle of the map, to be dragged to where the call is.
      var centre = map.getCenter();
      marker = L.marker(centre, {
        draggable: true,
        keyboard: false,  // the board's "Place call" form is the keyboard path
        title: shape.title + " (drag onto its place)",
        icon: L.divIcon({ className: "map-unverified", html: "", iconSize: [22, 22] }),
        bubblingMouseEvents: false
      });
      marker.bindTooltip(textLabel(shape.cad + " · drag to place"), { permanent: true, direction: "right", className: "map-label map-label-unverified" });
      marker.on("dragend", function () { place(id, marker.getLatLng()); });
    } else {
      marker = L.circleMarker([shape.lat, shape.lon], {
        pane: shape.kind === "team" ? "teams" : "calls",
        className: shape.className,
        radius: shape.radius,
        bubblingMouseEvents: false
      });
      if (shape.kind === "team") {
        marker.bindTooltip(textLabel(shape.label), { permanent: true, direction: "right", offset: [8, 0], className: "map-label" });
      } else {
        marker.bindTooltip(textLabel(shape.title), { className: "map-label" });
      }
    }
    return marker;
  }

  function sync() {
    var current = document.getElementById("board");
    if (!current || current === board) return;
    var started = performance.now();
    board = current;
    var rows = [];
    board.querySelectorAll("#teams-table tr[data-call-sign]").forEach(function (row) { rows.push([row, "team"]); });
    board.querySelectorAll("#teams-off-duty tr[data-call-sign]").forEach(function (row) { rows.push([row, "team"]); });
    board.querySelectorAll("#calls-waiting article[data-priority]").forEach(function (row) { rows.push([row, "waiting"]); });
    board.querySelectorAll("#calls-active article[data-priority]").forEach(function (row) { rows.push([row, "active"]); });
    var seen = {};
    var unverified = 0;
    rows.forEach(function (pair) {
      var row = pair[0], id = row.id, shape = describe(row, pair[1]);
      if (!shape) return;
      seen[id] = true;
      var entry = markers[id];
      if (entry && entry.key !== shape.key) {
        map.removeLayer(entry.marker);
        entry = null;
      }
      if (!entry) {
        entry = markers[id] = { marker: build(id, shape).addTo(map), key: shape.key, label: shape.label };
        if (shape.kind === "unverified") {
          entry.marker.setLatLng(offset(map.getCenter(), unverified));
        }
      } else if (shape.kind !== "unverified") {
        var at = entry.marker.getLatLng();
        if (at.lat !== shape.lat || at.lng !== shape.lon) entry.marker.setLatLng([shape.lat, shape.lon]);
        if (shape.label && entry.label !== shape.label) {
          entry.marker.setTooltipContent(textLabel(shape.label));
          entry.label = shape.label;
        }
      }
      if (shape.kind === "unverified") unverified++;
      var path = entry.marker.getElement && entry.marker.getElement();
      if (path) {
        path.setAttribute("data-row", id);
        if (shape.title) {
          path.setAttribute("role", "img");  // a label needs a role that allows one (axe)
          path.setAttribute("aria-label", shape.title);
        }
      }
    });
    Object.keys(markers).forEach(function (id) {
      if (!seen[id]) {
        map.removeLayer(markers[id].marker);
        delete markers[id];
      }
    });
    element.setAttribute("data-markers", String(Object.keys(markers).length));
    // For bench/map_page.py: how long following one board refresh took.
    element.setAttribute("data-sync-ms", (performance.now() - started).toFixed(1));
    performance.mark("map-markers");
  }

  function offset(centre, n) {
    // Unplaced calls side by side, so each can be picked up.
    var point = map.latLngToContainerPoint(centre).add([n * 28, 0]);
    return map.containerPointToLatLng(point);
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

  document.addEventListener("htmx:afterSettle", sync);
  sync();
  window.heartMap = { map: map, markers: markers };
})();
