"""Geofence and geocoding for HEART Field (steps 2-3 of "the life of a call").

Pure domain code: nothing here knows about Flask, requests or the database.

* :class:`CityLimits` answers "is this point inside Durham city limits?" against
  the bundled (or a configured) GeoJSON polygon. The geometry is prepared once,
  so each :meth:`CityLimits.contains` call is a few microseconds. Points in an
  unincorporated enclave (a hole) are outside; a point exactly on the boundary
  counts as inside.
* :func:`load_city_limits` loads and caches a :class:`CityLimits` per path
  (``None`` means the bundled Durham polygon; the app passes ``HEART_CITY_LIMITS``).
* :class:`GazetteerGeocoder` is an offline geopy geocoder over the bundled demo
  gazetteer (``address,lat,lon``) with forgiving address matching.
* :func:`make_geocoder` builds an :class:`AddressLocator` (the one object the
  app needs: ``locator.geocode(address) -> (lat, lon) | None``) for the offline
  gazetteer or any geopy service (``HEART_GEOCODER`` / ``HEART_GEOCODER_DOMAIN``).
  Network geocoders are rate limited (1 request/second) and cached; any failure
  yields ``None`` so geocoding never blocks intake.
* :func:`distance_km` is the geodesic distance used for "nearest team".
* Address normalisation for matching lives in :mod:`.addresses`.

A "Durham, NC" mailing address is not proof of being inside the city: geocode
first, then test the point with :meth:`CityLimits.contains`.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import math
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from geopy.distance import geodesic
from geopy.exc import GeocoderNotFound
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from shapely.geometry import MultiPolygon, Polygon, shape

from . import addresses
from .addresses import normalize_address

__all__ = [
    "DATA_DIR",
    "DEFAULT_CITY_LIMITS_PATH",
    "DEFAULT_GAZETTEER_PATH",
    "AddressLocator",
    "CityLimits",
    "GazetteerGeocoder",
    "distance_km",
    "load_city_limits",
    "make_geocoder",
    "normalize_address",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent.parent / "data"
DEFAULT_CITY_LIMITS_PATH = DATA_DIR / "durham_city_limits.geojson"
DEFAULT_GAZETTEER_PATH = DATA_DIR / "durham_gazetteer.csv"

LatLon = tuple[float, float]


def _check_lat_lon(lat: float, lon: float) -> tuple[float, float]:
    lat, lon = float(lat), float(lon)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"latitude and longitude must be finite numbers, got {lat!r}, {lon!r}")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(
            f"latitude must be in [-90, 90] and longitude in [-180, 180], got {lat}, {lon}"
        )
    return lat, lon


# --------------------------------------------------------------------------- city limits


class CityLimits:
    """A city-limits polygon with a fast point-in-polygon test.

    ``contains(lat, lon)`` uses *intersects* semantics on a prepared geometry:
    a point on the boundary (outer ring or enclave ring) is inside, a point in a
    hole is outside. Coordinates are WGS84 degrees; GeoJSON is lon/lat order.
    """

    def __init__(self, geometry: Polygon | MultiPolygon, *, name: str | None = None) -> None:
        if not isinstance(geometry, (Polygon, MultiPolygon)):
            raise TypeError(
                f"city limits must be a Polygon or MultiPolygon, got {geometry.geom_type}"
            )
        if geometry.is_empty:
            raise ValueError("city limits geometry is empty")
        self.geometry = geometry
        self.name = name
        shapely.prepare(self.geometry)  # builds the spatial index once; in place

    @classmethod
    def from_geojson(cls, data: dict[str, Any]) -> CityLimits:
        """Build from a parsed GeoJSON FeatureCollection, Feature or bare geometry."""
        kind = data.get("type")
        name = None
        if kind == "FeatureCollection":
            features = data.get("features") or []
            geoms = [shape(f["geometry"]) for f in features if f.get("geometry")]
            if not geoms:
                raise ValueError("GeoJSON FeatureCollection has no geometries")
            geometry = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
            if len(features) == 1:
                name = (features[0].get("properties") or {}).get("name")
        elif kind == "Feature":
            if not data.get("geometry"):
                raise ValueError("GeoJSON Feature has no geometry")
            geometry = shape(data["geometry"])
            name = (data.get("properties") or {}).get("name")
        elif kind in ("Polygon", "MultiPolygon"):
            geometry = shape(data)
        else:
            raise ValueError(f"unsupported GeoJSON type for city limits: {kind!r}")
        return cls(geometry, name=name)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> CityLimits:
        """Load a GeoJSON file (FeatureCollection, Feature or geometry)."""
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid GeoJSON: {exc}") from exc
        return cls.from_geojson(data)

    def contains(self, lat: float, lon: float) -> bool:
        """True when (lat, lon) is inside the city limits or on their boundary."""
        lat, lon = _check_lat_lon(lat, lon)
        return bool(shapely.intersects_xy(self.geometry, lon, lat))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat), e.g. to frame a map."""
        return tuple(self.geometry.bounds)  # type: ignore[return-value]

    def boundary_geojson(self) -> dict[str, Any]:
        """The geometry as a GeoJSON mapping (for a map layer)."""
        return shapely.geometry.mapping(self.geometry)

    def __repr__(self) -> str:
        return f"CityLimits(name={self.name!r}, bounds={self.bounds!r})"


@functools.lru_cache(maxsize=8)
def _load_city_limits_cached(resolved: str) -> CityLimits:
    return CityLimits.from_file(resolved)


@functools.lru_cache(maxsize=16)
def load_city_limits(path: str | os.PathLike[str] | None = None) -> CityLimits:
    """The city limits from ``path`` (``None``: the bundled Durham polygon).

    Loaded once per file (spellings of the same path share one instance) and then
    served from memory, so the app may call this on every request.
    """
    resolved = Path(path) if path else DEFAULT_CITY_LIMITS_PATH
    return _load_city_limits_cached(str(resolved.resolve()))


# --------------------------------------------------------------------------- distance


def distance_km(a: LatLon, b: LatLon) -> float:
    """Geodesic (WGS84 ellipsoid) distance in kilometres between two (lat, lon) points."""
    return _geodesic_km(float(a[0]), float(a[1]), float(b[0]), float(b[1]))


@functools.lru_cache(maxsize=16_384)
def _geodesic_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Kept by the points: one geodesic costs about 0.2 ms, and the board works out the same
    team-to-call distances on every refresh (80 of them at 100x: 17 ms a board)."""
    return geodesic((lat_a, lon_a), (lat_b, lon_b)).km


@dataclass(frozen=True)
class _Entry:
    address: str
    lat: float
    lon: float
    city: str  # normalized, e.g. "durham", "chapel hill"; "" for landmarks without one
    zip: str
    order: int


@dataclass(frozen=True)
class _ParsedQuery:
    # candidate street lines (house number first) and landmark names, best first
    streets: tuple[tuple[str, ...], ...]
    names: tuple[tuple[str, ...], ...]
    city: str
    zip: str


class GazetteerGeocoder(Geocoder):
    """Offline geopy geocoder over a CSV gazetteer with columns ``address,lat,lon``.

    Rows look like ``"1 Old Trail Drive, Durham, NC 27712"`` (street, city, state
    ZIP) or, for landmarks, ``"Duke University Chapel, 401 Chapel Dr, Durham, NC
    27708"`` (name first). Matching ignores case, punctuation, whitespace, unit
    numbers, state and ZIP; normalizes street suffixes (St/Street, Rd/Road, ...)
    and directionals (N/North, ...). Lookup tiers, first hit wins:

    1. exact normalized street line (house number + street);
    2. loose street key: the same without the street suffix or a trailing
       business name ('1000 W Main' = '1000 W Main St');
    3. landmark name: the whole name, or a unique landmark whose name contains
       every query word ('Duke Chapel' -> Duke University Chapel).

    City and ZIP never reject a match; when several rows match (same street in
    two cities, or two ZIPs) rows agreeing with the query's ZIP, then its city,
    come first. A bare city ('Durham, NC') matches nothing: a mailing city is not
    a location.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(path) if path else DEFAULT_GAZETTEER_PATH
        self._exact: dict[tuple[str, ...], list[_Entry]] = {}
        self._loose: dict[tuple[str, ...], list[_Entry]] = {}
        self._landmarks: dict[tuple[str, ...], list[_Entry]] = {}
        self._cities: set[tuple[str, ...]] = set()
        self._load()

    # -- index -------------------------------------------------------------------------

    def _load(self) -> None:
        with open(self.path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"address", "lat", "lon"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{self.path}: gazetteer is missing column(s) {sorted(missing)}")
            rows = [(r["address"], float(r["lat"]), float(r["lon"])) for r in reader]
        parsed = [self._split_row(address) for address, _, _ in rows]
        self._cities = {tuple(city.split()) for _, _, city, _ in parsed if city}
        for order, ((address, lat, lon), (name, street, city, zip_)) in enumerate(
            zip(rows, parsed, strict=True)
        ):
            entry = _Entry(address, lat, lon, city, zip_, order)
            if street:
                self._exact.setdefault(street, []).append(entry)
                self._loose.setdefault(addresses.core(list(street)), []).append(entry)
            if name:
                # "Durham Performing Arts Center (DPAC)": the whole name, the name
                # without the parenthesis, and the acronym alone
                label = address.split(",")[0]
                keys = {
                    name,
                    tuple(addresses.canon(addresses.tokens(re.sub(r"\([^)]*\)", " ", label)))),
                }
                keys.update(
                    tuple(addresses.canon(addresses.tokens(a)))
                    for a in re.findall(r"\(([^)]*)\)", label)
                )
                for key in keys:
                    if key:
                        self._landmarks.setdefault(key, []).append(entry)

    @staticmethod
    def _split_row(address: str) -> tuple[tuple[str, ...], tuple[str, ...], str, str]:
        """-> (landmark name tokens, street tokens, city, zip) for a gazetteer row."""
        parts = [p.strip() for p in address.split(",") if p.strip()]
        name: tuple[str, ...] = ()
        street: tuple[str, ...] = ()
        if parts and not parts[0][:1].isdigit():
            name = tuple(addresses.canon(addresses.tokens(parts[0])))
            parts = parts[1:]
        if parts and parts[0][:1].isdigit():
            street = tuple(addresses.canon(addresses.strip_units(addresses.tokens(parts[0]))))
            parts = parts[1:]
        city, zip_ = "", ""
        for part in parts:
            toks = addresses.tokens(part)
            zips = [t for t in toks if addresses.ZIP_RE.match(t)]
            rest = [
                t for t in toks if t not in addresses.STATE_WORDS and not addresses.ZIP_RE.match(t)
            ]
            zip_ = zips[-1] if zips else zip_
            if rest and not city:
                city = " ".join(rest)
        return name, street, city, zip_

    # -- query parsing -----------------------------------------------------------------

    def _parse_query(self, query: str) -> _ParsedQuery:
        raw = addresses.strip_units(addresses.tokens(query))
        zip_ = ""
        while raw and (
            addresses.ZIP_RE.match(raw[-1])
            or raw[-1] in addresses.STATE_WORDS
            or raw[-1] in ("us", "usa")
        ):
            if addresses.ZIP_RE.match(raw[-1]) and not zip_:
                zip_ = raw[-1]
            raw = raw[:-1]
        tokens = addresses.canon(raw)
        city = ""
        without_city = tokens
        # A trailing known city ("... dr durham", "... chapel hill"), keeping at least two street tokens.
        for n in sorted({len(c) for c in self._cities}, reverse=True):
            if len(tokens) - n >= 2 and tuple(tokens[-n:]) in self._cities:
                city = " ".join(tokens[-n:])
                without_city = tokens[:-n]
                break
        parts = [
            tuple(addresses.canon(addresses.strip_units(addresses.tokens(p))))
            for p in query.split(",")
        ]
        parts = [p for p in parts if p]
        streets: list[tuple[str, ...]] = []
        names: list[tuple[str, ...]] = []
        for alt in (tuple(without_city), tuple(tokens), *parts):
            target = streets if alt[:1] and alt[0][:1].isdigit() else names
            if alt and alt not in target and (target is names or len(alt) >= 2):
                target.append(alt)
        return _ParsedQuery(streets=tuple(streets), names=tuple(names), city=city, zip=zip_)

    # -- lookup ------------------------------------------------------------------------

    def _candidates(self, q: _ParsedQuery) -> list[_Entry]:
        for street in q.streets:
            if street in self._exact:
                return self._exact[street]
        for street in q.streets:
            hits = self._loose.get(addresses.core(list(street)))
            if hits:
                return hits
        for name in q.names:
            if name in self._landmarks:
                return self._landmarks[name]
        for name in q.names:
            # a unique landmark whose name has every query word: "duke chapel"
            if name in self._cities or name in {("nc",)}:
                continue  # a bare mailing city is not a location
            wanted = set(name)
            matches = [e for key, e in self._landmarks.items() if wanted <= set(key)]
            if len({(e[0].lat, e[0].lon) for e in matches}) == 1:
                return matches[0]
        return []

    @staticmethod
    def _rank(entries: list[_Entry], q: _ParsedQuery) -> list[_Entry]:
        def key(e: _Entry) -> tuple[int, int, int]:
            return (
                0 if q.zip and e.zip == q.zip else 1,
                0 if q.city and e.city == q.city else 1,
                e.order,
            )

        ranked = sorted(entries, key=key)
        seen: set[tuple[float, float]] = set()
        out = []
        for e in ranked:  # one result per distinct point
            if (e.lat, e.lon) not in seen:
                seen.add((e.lat, e.lon))
                out.append(e)
        return out

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        timeout: Any = DEFAULT_SENTINEL,  # accepted for geopy compatibility; no I/O here
    ) -> Location | list[Location] | None:
        """Look ``query`` up; a :class:`geopy.location.Location` (or a list), or None."""
        if not isinstance(query, str) or not query.strip():
            return None
        q = self._parse_query(query)
        ranked = self._rank(self._candidates(q), q)
        if not ranked:
            return None
        locations = [
            Location(
                e.address,
                (e.lat, e.lon),
                {"address": e.address, "lat": e.lat, "lon": e.lon},
            )
            for e in ranked
        ]
        return locations[0] if exactly_one else locations

    def reverse(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the offline gazetteer does not reverse-geocode")


# --------------------------------------------------------------------------- the app-facing wrapper


class AddressLocator:
    """``geocode(address) -> (lat, lon) | None``: what the app calls at intake.

    Wraps any geopy geocoder (or its rate-limited ``geocode``). Results, including
    "not found", are kept in a small thread-safe LRU cache keyed by the
    whitespace- and case-normalized query; failures (network errors, timeouts,
    quota, bad answers) are logged, return None and are not cached.
    """

    def __init__(self, geocode_func: Any, *, name: str, cache_size: int = 1024) -> None:
        self._geocode = geocode_func
        self.name = name
        self._cache: OrderedDict[str, LatLon | None] = OrderedDict()
        self._cache_size = max(0, int(cache_size))
        self._lock = threading.Lock()

    @staticmethod
    def _key(address: str) -> str:
        return " ".join(address.split()).casefold()

    def geocode(self, address: str | None) -> LatLon | None:
        if not isinstance(address, str) or not address.strip():
            return None
        key = self._key(address)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            location = self._geocode(address.strip())
        except Exception as exc:  # noqa: BLE001 - geocoding must never block intake
            log.warning(
                "geocoder %s failed for an address: %s: %s",
                self.name,
                type(exc).__name__,
                exc,
            )
            return None
        if isinstance(location, list):
            location = location[0] if location else None
        result: LatLon | None = None
        if location is not None:
            try:
                result = _check_lat_lon(location.latitude, location.longitude)
            except (AttributeError, TypeError, ValueError) as exc:
                log.warning("geocoder %s returned an unusable location: %s", self.name, exc)
                return None
        if self._cache_size:
            with self._lock:
                self._cache[key] = result
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return result

    def __repr__(self) -> str:
        return f"AddressLocator(name={self.name!r})"


def make_geocoder(
    name: str = "gazetteer",
    domain: str | None = None,
    user_agent: str = "heart-field",
    *,
    timeout: float = 3.0,
    min_delay_seconds: float = 1.0,
    cache_size: int = 1024,
    gazetteer_path: str | os.PathLike[str] | None = None,
    **options: Any,
) -> AddressLocator:
    """An :class:`AddressLocator` for ``HEART_GEOCODER`` (``name``) and ``HEART_GEOCODER_DOMAIN``.

    ``"gazetteer"`` (default) is the offline :class:`GazetteerGeocoder`. Any other
    name is a geopy service (``nominatim``, ``arcgis``, ``photon``, ...), built with
    ``user_agent``, ``timeout`` and ``domain`` (only when given) plus ``options``
    (e.g. ``api_key``), and rate limited to one request per ``min_delay_seconds``
    with no retries. Raises ValueError for an unknown name or a service that
    cannot be built from these settings. Nothing here touches the network.
    """
    key = (name or "gazetteer").strip().lower()
    if key == "gazetteer":
        offline = GazetteerGeocoder(gazetteer_path, user_agent=user_agent)
        return AddressLocator(offline.geocode, name="gazetteer", cache_size=cache_size)
    try:
        cls = get_geocoder_for_service(key)
    except GeocoderNotFound as exc:
        raise ValueError(
            f"unknown geocoder {name!r}: use 'gazetteer' or a geopy service name such as "
            "'nominatim', 'arcgis' or 'photon'"
        ) from exc
    kwargs: dict[str, Any] = {"user_agent": user_agent, "timeout": timeout, **options}
    if domain:
        kwargs["domain"] = domain
    try:
        service = cls(**kwargs)
    except TypeError as exc:
        hint = " (it does not take a domain)" if domain else ""
        raise ValueError(
            f"cannot build geocoder {name!r} from these settings{hint}: {exc}"
        ) from exc
    limited = RateLimiter(
        service.geocode,
        min_delay_seconds=min_delay_seconds,
        max_retries=0,
        swallow_exceptions=False,
    )
    return AddressLocator(limited, name=key, cache_size=cache_size)
