"""Maps without a map server: the city limits simplified for drawing, a small static map of a
call for the responder's phone (SVG, no tiles), and the link that opens the device's own maps
app at the call.

Pure domain code: nothing here knows about Flask. The geofence keeps the full polygon
(:class:`heart_field.geo.CityLimits`); these shapes are only for the eye.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import quote, urlencode, urlsplit

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from .geo import CityLimits

# About 11 m at Durham's latitude: invisible at street zoom, and the 1 MB polygon becomes a
# few dozen KB.
DRAWING_TOLERANCE_DEG = 0.0001
# Half the side of the phone's static map, in km (about 15 minutes' walk across).
STATIC_MAP_HALF_KM = 1.2
STATIC_MAP_SIZE = 320  # SVG user units, square
KM_PER_DEG_LAT = 111.32


@functools.lru_cache(maxsize=4)
def drawing_boundary(limits: CityLimits, tolerance: float = DRAWING_TOLERANCE_DEG) -> dict[str, Any]:
    """The city limits as a GeoJSON Feature, simplified for drawing (computed once per process)."""
    simple = shapely.simplify(limits.geometry, tolerance, preserve_topology=True)
    geometry = mapping(shapely.set_precision(simple, 1e-5))  # about 1 m
    return {"type": "Feature", "properties": {"name": limits.name}, "geometry": geometry}


@dataclass(frozen=True)
class StaticMap:
    """An SVG picture of the city limits around one point; the point is in the middle."""

    size: int
    inside_path: str  # the part of the city within the frame ("" when none of it is)
    x: float
    y: float
    half_km: float

    @property
    def scale_px(self) -> float:
        """The length of 500 m on the picture."""
        return 0.5 / (2 * self.half_km) * self.size


def static_map(limits: CityLimits, lat: float, lon: float, half_km: float = STATIC_MAP_HALF_KM,
               size: int = STATIC_MAP_SIZE) -> StaticMap:
    """The frame of ``half_km`` around (lat, lon), with the city's area inside it as an SVG path."""
    dlat = half_km / KM_PER_DEG_LAT
    dlon = half_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    west, south, east, north = lon - dlon, lat - dlat, lon + dlon, lat + dlat
    area = shapely.clip_by_rect(_drawing_geometry(limits), west, south, east, north)

    def point(x: float, y: float) -> str:
        return f"{(x - west) / (east - west) * size:.1f},{(north - y) / (north - south) * size:.1f}"

    parts = []
    for polygon in _polygons(area):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            if len(coords) >= 3:
                parts.append("M" + " L".join(point(x, y) for x, y in coords) + " Z")
    return StaticMap(size=size, inside_path=" ".join(parts), x=size / 2, y=size / 2, half_km=half_km)


@functools.lru_cache(maxsize=4)
def _drawing_geometry(limits: CityLimits):
    geometry = shapely.simplify(limits.geometry, DRAWING_TOLERANCE_DEG / 2, preserve_topology=True)
    shapely.prepare(geometry)
    return geometry


def _polygons(geometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]


def maps_app(user_agent: str) -> str:
    """Which maps app a phone opens: ``android`` (a geo: link), ``apple`` or ``google``."""
    agent = user_agent or ""
    if "Android" in agent:
        return "android"
    if any(word in agent for word in ("iPhone", "iPad", "iPod", "Macintosh")):
        return "apple"
    return "google"


def navigate_url(lat: Optional[float], lon: Optional[float], address: Optional[str],
                 app: str) -> Optional[str]:
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


def tile_host(url: Optional[str]) -> Optional[str]:
    """The CSP source for a tile URL template (``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    gives ``https://*.tile.example.org``); None when no tiles are configured."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "tiles-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"HEART_TILE_URL must be an http(s) URL template, got {url!r}")
    host = parts.netloc.replace("tiles-subdomain", "*")
    return f"{parts.scheme}://{host}"
