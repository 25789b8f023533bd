"""Maps without a map server: the city limits simplified for drawing, a small static map of a
call for the responder's phone (SVG, no tiles), and the link that opens the device's own maps
app at the call.

Pure domain code: nothing here knows about Flask. The geofence keeps the full polygon
(:class:`heart_field.domain.geo.CityLimits`); these shapes are only for the eye.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import shapely
from shapely.geometry import LineString, Polygon, mapping

from .geo import CityLimits

# About 11 m at Durham's latitude: invisible at street zoom, and the 1 MB polygon becomes a
# few dozen KB.
DRAWING_TOLERANCE_DEG = 0.0001
# The phone's static map: 2.4 km across (about half an hour's walk), 16:9.
STATIC_MAP_HALF_KM = 1.2
STATIC_MAP_WIDTH, STATIC_MAP_HEIGHT = 320, 180  # SVG user units
KM_PER_DEG_LAT = 111.32


@functools.lru_cache(maxsize=4)
def drawing_boundary(
    limits: CityLimits, tolerance: float = DRAWING_TOLERANCE_DEG
) -> dict[str, Any]:
    """The city limits as a GeoJSON Feature, simplified for drawing (computed once per process)."""
    simple = shapely.simplify(limits.geometry, tolerance, preserve_topology=True)
    geometry = mapping(shapely.set_precision(simple, 1e-5))  # about 1 m
    return {"type": "Feature", "properties": {"name": limits.name}, "geometry": geometry}


@dataclass(frozen=True)
class StaticMap:
    """An SVG picture of the city limits around one point; the point is in the middle."""

    width: int
    height: int
    inside_path: str  # the part of the city within the frame, to fill ("" when none of it is)
    boundary_path: str  # the city limits' line within the frame, to stroke
    x: float
    y: float
    km_across: float

    @property
    def scale_px(self) -> float:
        """The length of 500 m on the picture."""
        return 0.5 / self.km_across * self.width


def static_map(
    limits: CityLimits,
    lat: float,
    lon: float,
    half_km: float = STATIC_MAP_HALF_KM,
    width: int = STATIC_MAP_WIDTH,
    height: int = STATIC_MAP_HEIGHT,
) -> StaticMap:
    """The frame ``half_km`` either side of (lat, lon) across (less up and down, in proportion),
    with the city's area in it as an SVG path to fill and its boundary as one to stroke."""
    dlon = half_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    dlat = half_km * height / width / KM_PER_DEG_LAT
    west, south, east, north = lon - dlon, lat - dlat, lon + dlon, lat + dlat
    geometry = _drawing_geometry(limits)
    area = shapely.clip_by_rect(geometry, west, south, east, north)
    line = shapely.clip_by_rect(geometry.boundary, west, south, east, north)

    def point(x: float, y: float) -> str:
        return (
            f"{(x - west) / (east - west) * width:.1f},{(north - y) / (north - south) * height:.1f}"
        )

    def path(coords, close: bool) -> str:
        coords = list(coords)
        if len(coords) < 2:
            return ""
        return "M" + " L".join(point(x, y) for x, y in coords) + (" Z" if close else "")

    fills = [
        path(ring.coords, True)
        for polygon in _parts(area, Polygon)
        for ring in (polygon.exterior, *polygon.interiors)
    ]
    strokes = [path(part.coords, False) for part in _parts(line, LineString)]
    return StaticMap(
        width=width,
        height=height,
        inside_path=" ".join(p for p in fills if p),
        boundary_path=" ".join(p for p in strokes if p),
        x=width / 2,
        y=height / 2,
        km_across=2 * half_km,
    )


@functools.lru_cache(maxsize=4)
def _drawing_geometry(limits: CityLimits):
    geometry = shapely.simplify(limits.geometry, DRAWING_TOLERANCE_DEG / 2, preserve_topology=True)
    shapely.prepare(geometry)
    return geometry


def _parts(geometry, kind) -> list:
    """The non-empty pieces of ``kind`` (Polygon or LineString) in any geometry."""
    if geometry.is_empty:
        return []
    if isinstance(geometry, kind):
        return [geometry]
    found = []
    for part in getattr(geometry, "geoms", []):
        found.extend(_parts(part, kind))
    return found


def maps_app(user_agent: str) -> str:
    """Which maps app a phone opens: ``android`` (a geo: link), ``apple`` or ``google``."""
    agent = user_agent or ""
    if "Android" in agent:
        return "android"
    if any(word in agent for word in ("iPhone", "iPad", "iPod", "Macintosh")):
        return "apple"
    return "google"


def navigate_url(lat: float | None, lon: float | None, address: str | None, app: str) -> str | None:
    """A link that opens ``app`` with directions to the call; None when there is nowhere to go.

    Coordinates lead (the geocoded point is what the geofence judged); the address labels it.
    """
    has_point = lat is not None and lon is not None
    if not has_point and not address:
        return None
    where = f"{lat:.6f},{lon:.6f}" if has_point else address
    if app == "android":
        # geo: URI (RFC 5870) with Android's query form: a pin at the point, labelled.
        if has_point:
            label = f"({address})" if address else ""
            return f"geo:{where}?q={quote(where + label, safe=',()')}"
        return f"geo:0,0?q={quote(address)}"
    if app == "apple":
        params = {"daddr": where}
        if has_point and address:
            params["q"] = address
        return "https://maps.apple.com/?" + urlencode(params)
    params = {"api": "1", "destination": where}
    return "https://www.google.com/maps/dir/?" + urlencode(params)


def tile_host(url: str | None) -> str | None:
    """The CSP source for a tile URL template (``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    gives ``https://*.tile.example.org``); None when no tiles are configured."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "tiles-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"HEART_TILE_URL must be an http(s) URL template, got {url!r}")
    host = parts.netloc.replace("tiles-subdomain", "*")
    return f"{parts.scheme}://{host}"
