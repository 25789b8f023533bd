"""Geofence (city limits), offline gazetteer geocoder, geocoder factory, distance."""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

import pytest
import shapely
from geopy.exc import GeocoderTimedOut, GeocoderUnavailable
from geopy.location import Location

from heart_field.domain import geo

DATA = Path(__file__).resolve().parents[1] / "data"
with (DATA / "geofence_points.csv").open(encoding="utf-8", newline="") as _fh:
    POINTS = list(csv.DictReader(_fh))


@pytest.fixture(scope="module")
def limits() -> geo.CityLimits:
    return geo.load_city_limits()


@pytest.fixture(scope="module")
def gazetteer() -> geo.GazetteerGeocoder:
    return geo.GazetteerGeocoder()


# --------------------------------------------------------------------------- city limits


def test_labelled_points_file_has_forty_rows():
    assert len(POINTS) == 40


@pytest.mark.parametrize("row", POINTS, ids=[r["label"] for r in POINTS])
def test_labelled_point(limits, row):
    expected = row["expected_inside"].strip().lower() == "true"
    assert limits.contains(float(row["lat"]), float(row["lon"])) is expected


def test_point_exactly_on_outer_boundary_vertex_is_inside(limits):
    largest = max(limits.geometry.geoms, key=lambda p: p.area)
    lon, lat = largest.exterior.coords[17]
    assert limits.contains(lat, lon) is True


def test_point_exactly_on_enclave_boundary_vertex_is_inside(limits):
    polygon = next(p for p in limits.geometry.geoms if p.interiors)
    lon, lat = polygon.interiors[0].coords[3]
    assert limits.contains(lat, lon) is True


def test_point_inside_an_enclave_is_outside(limits):
    polygon = max(limits.geometry.geoms, key=lambda p: len(p.interiors))
    hole = shapely.Polygon(max(polygon.interiors, key=lambda r: shapely.Polygon(r).area))
    point = hole.representative_point()
    # sanity: the point is inside the outer ring, so only the hole makes it outside
    assert shapely.Polygon(polygon.exterior).contains(point)
    assert limits.contains(point.y, point.x) is False


SQUARE_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
        [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]],
    ],
}


@pytest.mark.parametrize(
    "wrapper",
    [
        lambda g: g,
        lambda g: {"type": "Feature", "properties": {"name": "sq"}, "geometry": g},
        lambda g: {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": g}],
        },
    ],
    ids=["geometry", "feature", "feature-collection"],
)
def test_from_file_accepts_geojson_shapes(tmp_path, wrapper):
    path = tmp_path / "limits.geojson"
    path.write_text(json.dumps(wrapper(SQUARE_WITH_HOLE)), encoding="utf-8")
    limits = geo.CityLimits.from_file(path)
    # (lat, lon) order: y first
    assert limits.contains(3, 3) is True  # interior
    assert limits.contains(1.5, 1.5) is False  # in the hole
    assert limits.contains(0, 2) is True  # on the outer edge (not a vertex)
    assert limits.contains(1.5, 1) is True  # on the hole's edge
    assert limits.contains(5, 5) is False  # outside


def test_from_file_rejects_non_polygons(tmp_path):
    path = tmp_path / "point.geojson"
    path.write_text(json.dumps({"type": "Point", "coordinates": [0, 0]}), encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported GeoJSON type"):
        geo.CityLimits.from_file(path)


@pytest.mark.parametrize(("lat", "lon"), [(math.nan, -78.9), (36.0, math.inf), (91, 0)])
def test_contains_rejects_bad_coordinates(limits, lat, lon):
    with pytest.raises(ValueError, match="latitude"):
        limits.contains(lat, lon)


def test_load_city_limits_is_cached_and_none_means_bundled(limits):
    assert geo.load_city_limits(None) is limits
    assert geo.load_city_limits(str(geo.DEFAULT_CITY_LIMITS_PATH)) is limits


def test_load_city_limits_custom_path(tmp_path):
    path = tmp_path / "sq.geojson"
    path.write_text(json.dumps(SQUARE_WITH_HOLE), encoding="utf-8")
    custom = geo.load_city_limits(path)
    assert custom is not geo.load_city_limits()
    assert custom.contains(3, 3)
    assert not custom.contains(35.99, -78.90)


def test_bounds_match_the_bundled_polygon(limits):
    min_lon, min_lat, max_lon, max_lat = limits.bounds
    assert min_lon < -78.90 < max_lon
    assert min_lat < 35.99 < max_lat
    assert limits.boundary_geojson()["type"] == "MultiPolygon"


def test_contains_is_fast(limits):
    n = 5000
    start = time.perf_counter()
    for i in range(n):
        limits.contains(35.95 + i * 1e-5, -78.9)
    per_call = (time.perf_counter() - start) / n
    assert per_call < 200e-6  # measured ~5 microseconds; generous for slow CI


# --------------------------------------------------------------------------- gazetteer

OLD_TRAIL = (36.066383, -78.934586)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1 Old Trail Drive, Durham, NC 27712", OLD_TRAIL),
        ("1 old trail dr", OLD_TRAIL),  # case, abbreviation, no city/ZIP
        ("1 OLD TRAIL DR.", OLD_TRAIL),  # punctuation
        ("  1   Old   Trail\tDrive  ", OLD_TRAIL),  # whitespace
        ("1 Old Trail Drive, Durham NC 27712", OLD_TRAIL),
        ("1 Old Trail Dr, Durham", OLD_TRAIL),  # ZIP missing
        ("1 Old Trail Dr, NC 27712", OLD_TRAIL),  # city missing
        ("1 Old Trail Dr Apt 4, Durham NC", OLD_TRAIL),  # unit numbers ignored
        ("1 Old Trail Dr Suite 200", OLD_TRAIL),
        ("1 Old Trail Dr, Unit B, Durham, NC", OLD_TRAIL),
        ("1 Old Trail Dr #3", OLD_TRAIL),
        ("1 Old Trail Dr, Durham, North Carolina 27712-1234", OLD_TRAIL),
        ("100 Woodcroft Parkway", (35.923359, -78.926876)),  # Pkwy
        ("1001 South Miami Boulevard", (35.965607, -78.846845)),  # S / Blvd
        ("1000 North Roxboro St", (36.000316, -78.893883)),  # "N." in the gazetteer
        ("100 Rose Garden Lane", (35.945738, -78.984740)),  # Ln
        ("1 Swiftstone Ct", (35.916236, -78.929518)),  # Court
        ("1 Becton Cir", (36.093491, -78.851573)),  # Circle
        ("1002 East Highway 54", (35.906564, -78.920947)),  # Hwy
        ("1000 W Main Street", (36.000623, -78.910221)),  # gazetteer row has no suffix
        ("100 Village Circle", (35.900679, -78.939338)),  # gazetteer row has "# 850"
        ("1 Alice Ingram Circle Chapel Hill NC", (35.944258, -79.012424)),
    ],
)
def test_gazetteer_forgiving_matching(gazetteer, query, expected):
    location = gazetteer.geocode(query)
    assert isinstance(location, Location)
    assert (location.latitude, location.longitude) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Duke University Chapel", (36.000997, -78.937217)),
        ("duke chapel", (36.000997, -78.937217)),
        ("DPAC", (35.99333, -78.90222)),
        ("Durham Bulls Athletic Park, Durham NC", (35.991689, -78.904186)),
        ("North Carolina Central University", (35.97417, -78.89861)),
        ("Bahama, NC", (36.16611, -78.87667)),
    ],
)
def test_gazetteer_landmarks(gazetteer, query, expected):
    location = gazetteer.geocode(query)
    assert location is not None
    assert location.point[:2] == pytest.approx(expected)


@pytest.mark.parametrize(
    "query",
    [
        "12345 Nowhere Road, Durham, NC 27701",
        "Durham, NC",
        "Durham",
        "",
        "   ",
        "Main St",
    ],
)
def test_gazetteer_no_match_is_none(gazetteer, query):
    assert gazetteer.geocode(query) is None


def test_gazetteer_prefers_the_zip_in_the_query(gazetteer):
    # "1720 Guess Rd" is in the gazetteer under two ZIPs with different points
    a = gazetteer.geocode("1720 Guess Road, Durham, NC 27705")
    b = gazetteer.geocode("1720 Guess Road, Durham, NC 27701")
    assert a.point[:2] == pytest.approx((36.020807, -78.915339))
    assert b.point[:2] == pytest.approx((36.018721, -78.912927))
    both = gazetteer.geocode("1720 Guess Rd", exactly_one=False)
    assert isinstance(both, list)
    assert len(both) == 2


def test_gazetteer_prefers_the_city_in_the_query(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "address,lat,lon\n"
        '"10 Main St, Durham, NC 27701",36.0,-78.9\n'
        '"10 Main Street, Chapel Hill, NC 27514",35.9,-79.05\n',
        encoding="utf-8",
    )
    g = geo.GazetteerGeocoder(path)
    assert g.geocode("10 Main St, Chapel Hill").point[:2] == (35.9, -79.05)
    assert g.geocode("10 main street chapel hill nc").point[:2] == (35.9, -79.05)
    assert g.geocode("10 Main St, Durham").point[:2] == (36.0, -78.9)
    assert g.geocode("10 Main St, NC 27514").point[:2] == (35.9, -79.05)
    assert len(g.geocode("10 Main St", exactly_one=False)) == 2


def test_gazetteer_rejects_a_csv_without_the_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("addr,y,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        geo.GazetteerGeocoder(path)


@pytest.mark.parametrize(
    "address",
    ["1101 Hamlin Rd, Durham, NC 27704", "253 Country Club Drive, Durham, NC 27712"],
)
def test_durham_mailing_address_outside_city_limits(gazetteer, limits, address):
    location = gazetteer.geocode(address)
    assert location is not None
    assert limits.contains(location.latitude, location.longitude) is False


def test_durham_mailing_address_inside_city_limits(gazetteer, limits):
    location = gazetteer.geocode("353 W. Main St, Durham, NC 27701")
    assert limits.contains(location.latitude, location.longitude) is True


def test_normalize_address():
    assert geo.normalize_address("1 Old Trail Drive, Apt. 4") == geo.normalize_address(
        "1 old trail dr"
    )
    assert geo.normalize_address("1 Old Trail Drive") != geo.normalize_address("1 Old Trail Rd")
    assert geo.normalize_address("100 North Main Street #3") == geo.normalize_address(
        "100 n main st"
    )


# --------------------------------------------------------------------------- factory


def test_make_geocoder_default_is_the_offline_gazetteer():
    locator = geo.make_geocoder()
    assert isinstance(locator, geo.AddressLocator)
    assert locator.geocode("1 old trail dr") == pytest.approx(OLD_TRAIL)
    assert locator.geocode("no such place at all") is None
    assert locator.geocode("") is None


def test_make_geocoder_unknown_name_raises():
    with pytest.raises(ValueError, match="unknown geocoder 'nosuchservice'"):
        geo.make_geocoder("nosuchservice")


def test_make_geocoder_service_that_needs_more_settings_raises():
    # Bing needs an api_key: a clear ValueError at construction, not later
    with pytest.raises(ValueError, match="cannot build geocoder 'bing'"):
        geo.make_geocoder("bing")


@pytest.mark.parametrize("name", ["nominatim", "photon", "arcgis"])
def test_make_geocoder_builds_network_services_without_calling_them(name):
    locator = geo.make_geocoder(name, "geocoder.invalid")
    assert isinstance(locator, geo.AddressLocator)
    assert locator.name == name


def test_network_geocoder_failure_yields_none_quickly():
    locator = geo.make_geocoder("nominatim", "127.0.0.1:9", timeout=2)
    start = time.perf_counter()
    assert locator.geocode("1 Old Trail Drive, Durham, NC") is None
    assert time.perf_counter() - start < 5


class _FakeLocation:
    def __init__(self, lat, lon):
        self.latitude, self.longitude = lat, lon


def test_locator_caches_answers_but_not_failures():
    calls = []
    fail = {"now": True}

    def fake(query):
        calls.append(query)
        if fail["now"]:
            raise GeocoderTimedOut("slow")
        return _FakeLocation(36.0, -78.9)

    locator = geo.AddressLocator(fake, name="fake", cache_size=2)
    assert locator.geocode("1 Main St") is None  # failure -> None, not cached
    fail["now"] = False
    assert locator.geocode("1 main  st") == (36.0, -78.9)
    assert locator.geocode("1 MAIN ST") == (36.0, -78.9)  # cached: same normalized key
    assert len(calls) == 2
    locator.geocode("2 Main St")
    locator.geocode("3 Main St")  # evicts "1 main st" (size 2)
    locator.geocode("1 Main St")
    assert len(calls) == 5


@pytest.mark.parametrize(
    "error", [GeocoderUnavailable("down"), OSError("reset"), RuntimeError("bug")]
)
def test_locator_any_exception_is_none(error):
    def boom(query):
        raise error

    assert geo.AddressLocator(boom, name="boom").geocode("1 Main St") is None


def test_locator_rejects_unusable_coordinates():
    locator = geo.AddressLocator(lambda q: _FakeLocation(float("nan"), 0), name="nan")
    assert locator.geocode("x") is None


# --------------------------------------------------------------------------- distance


def test_distance_km_is_geodesic():
    # downtown Durham (DBAP) to Duke Chapel: about 3.1 km
    d = geo.distance_km((35.9916889, -78.9041861), (36.000997, -78.937217))
    assert 2.9 < d < 3.3
    assert geo.distance_km((36.0, -78.9), (36.0, -78.9)) == 0
    assert geo.distance_km((36.0, -78.9), (37.0, -78.9)) == pytest.approx(110.95, abs=0.2)
