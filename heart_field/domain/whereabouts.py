"""Where a call is, in words a responder can use without a map server: the nearest landmark (or
address) from the gazetteer, and how far and which way it is from the team's last position.

The phone's small map has no street names (no tiles); this line carries what the picture cannot.
Pure domain code: nothing here knows about Flask.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

from .geo import DEFAULT_GAZETTEER_PATH, distance_km

# A landmark this close names the place; failing that, the nearest address this close does.
LANDMARK_WITHIN_M = 600
ADDRESS_WITHIN_M = 250
COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


@dataclass(frozen=True)
class Place:
    label: str  # "Durham City Hall" or "218 Morgan St"
    lat: float
    lon: float


@dataclass(frozen=True)
class Places:
    landmarks: tuple[Place, ...]
    addresses: tuple[Place, ...]


@functools.lru_cache(maxsize=4)
def load_places(path: str | os.PathLike[str] | None = None) -> Places:
    """The gazetteer's named landmarks (rows "Name, 101 Street, City...") and street addresses."""
    landmarks, addresses = [], []
    with open(Path(path) if path else DEFAULT_GAZETTEER_PATH, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            parts = [p.strip() for p in row["address"].split(",")]
            place = (float(row["lat"]), float(row["lon"]))
            if parts[0][:1].isdigit():
                addresses.append(Place(parts[0], *place))
            elif len(parts) > 1 and parts[1][:1].isdigit():  # a name with a street address
                landmarks.append(Place(parts[0], *place))
    return Places(tuple(landmarks), tuple(addresses))


@dataclass(frozen=True)
class Whereabouts:
    near: str | None  # "Durham City Hall" or "218 Morgan St"
    near_m: int | None
    from_team_km: float | None  # from the team's last known position
    direction: str | None  # "north-east": the way from the team to the call

    @property
    def from_team(self) -> str | None:
        if self.from_team_km is None:
            return None
        if self.from_team_km < 1:
            return f"{round(self.from_team_km * 1000, -1):.0f} m {self.direction}"
        return f"{self.from_team_km:.1f} km {self.direction}"


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: within a city, well under 1 % of the geodesic one."""
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def _nearest(point, places: tuple[Place, ...], within_m: float) -> tuple[Place, float] | None:
    best = min(places, key=lambda p: _metres(point, (p.lat, p.lon)), default=None)
    if best is None:
        return None
    metres = _metres(point, (best.lat, best.lon))
    return (best, metres) if metres <= within_m else None


def compass(origin: tuple[float, float], target: tuple[float, float]) -> str:
    """The eight-point compass direction from origin to target."""
    lat1, lat2 = math.radians(origin[0]), math.radians(target[0])
    dlon = math.radians(target[1] - origin[1])
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    degrees = (math.degrees(math.atan2(x, y)) + 360) % 360
    return COMPASS[round(degrees / 45) % 8]


def describe(
    lat: float,
    lon: float,
    places: Places,
    team_at: tuple[float, float] | None = None,
    has_address: bool = True,
) -> Whereabouts:
    """The nearest landmark; for a call given by coordinates only, else the nearest address."""
    point = (lat, lon)
    found = _nearest(point, places.landmarks, LANDMARK_WITHIN_M)
    if found is None and not has_address:
        found = _nearest(point, places.addresses, ADDRESS_WITHIN_M)
    near, near_m = (found[0].label, int(round(found[1], -1))) if found else (None, None)
    if team_at is None:
        return Whereabouts(near, near_m, None, None)
    return Whereabouts(near, near_m, distance_km(team_at, point), compass(team_at, point))


@dataclass(frozen=True)
class FramePoint:
    """Where a second point falls on the call's static map (the call in the middle)."""

    x: float
    y: float
    at_edge: bool  # beyond the frame: drawn on its edge, in its direction


def frame_point(
    call: tuple[float, float],
    other: tuple[float, float],
    km_across: float,
    width: float,
    height: float,
    margin: float = 10,
) -> FramePoint:
    """`other` on the picture of `call` (same scale both ways); clamped to the edge if outside."""
    px_per_km = width / km_across
    dx = (other[1] - call[1]) * 111.32 * math.cos(math.radians(call[0])) * px_per_km
    dy = -(other[0] - call[0]) * 111.32 * px_per_km
    room_x, room_y = width / 2 - margin, height / 2 - margin
    shrink = min(1.0, room_x / abs(dx) if dx else math.inf, room_y / abs(dy) if dy else math.inf)
    return FramePoint(width / 2 + dx * shrink, height / 2 + dy * shrink, shrink < 1.0)
