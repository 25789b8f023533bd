"""Maps without a map server: the boundary for drawing, the phone's static map, Navigate links."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import shapely
from shapely.geometry import shape

from heart_field.domain import mapping
from heart_field.domain.geo import load_city_limits

ADDRESS = "300 N Roxboro St, Durham, NC 27701"
LAT, LON = 35.998912, -78.897423
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"


@pytest.fixture(scope="module")
def limits():
    return load_city_limits()


def test_android_navigate_link_is_a_geo_uri_with_the_point_and_the_address():
    url = mapping.navigate_url(LAT, LON, ADDRESS, mapping.maps_app(ANDROID))
    assert url.startswith(f"geo:{LAT:.6f},{LON:.6f}?q=")
    assert unquote(url.split("?q=", 1)[1]) == f"{LAT:.6f},{LON:.6f}({ADDRESS})"


def test_iphone_navigate_link_is_apple_maps_with_the_point_and_the_address():
    url = mapping.navigate_url(LAT, LON, ADDRESS, mapping.maps_app(IPHONE))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "maps.apple.com")
    assert parse_qs(parts.query) == {"daddr": [f"{LAT:.6f},{LON:.6f}"], "q": [ADDRESS]}


def test_other_devices_get_google_maps_directions_to_the_point():
    url = mapping.navigate_url(LAT, LON, ADDRESS, mapping.maps_app(WINDOWS))
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("www.google.com", "/maps/dir/")
    assert parse_qs(parts.query)["destination"] == [f"{LAT:.6f},{LON:.6f}"]


def test_a_call_without_coordinates_navigates_by_its_address():
    assert unquote(mapping.navigate_url(None, None, ADDRESS, "android")) == f"geo:0,0?q={ADDRESS}"
    assert parse_qs(urlsplit(mapping.navigate_url(None, None, ADDRESS, "apple")).query) == {
        "daddr": [ADDRESS]
    }


def test_no_place_and_no_address_means_no_link():
    assert mapping.navigate_url(None, None, None, "android") is None
    assert mapping.navigate_url(None, None, "", "google") is None


def test_drawing_boundary_is_much_smaller_and_keeps_the_verdicts(limits):
    feature = mapping.drawing_boundary(limits)
    drawn = shape(feature["geometry"])
    assert shapely.get_num_coordinates(drawn) < shapely.get_num_coordinates(limits.geometry) / 4
    # Points well inside and well outside the city keep their side of the line.
    for lat, lon in [(35.9940, -78.8986), (36.0277, -78.8898), (35.80, -78.70), (36.20, -79.10)]:
        assert drawn.intersects(shapely.Point(lon, lat)) == limits.contains(lat, lon)


def test_static_map_of_a_point_deep_in_the_city_is_all_inside(limits):
    picture = mapping.static_map(limits, 35.9940, -78.8986)
    assert (picture.x, picture.y) == (picture.width / 2, picture.height / 2)
    assert picture.inside_path.startswith("M") and picture.inside_path.endswith("Z")
    assert picture.boundary_path == ""  # no city limit line within 1.2 km of downtown
    assert picture.scale_px == pytest.approx(picture.width * 0.5 / 2.4)


def test_static_map_of_a_point_far_outside_the_city_has_nothing_drawn(limits):
    picture = mapping.static_map(limits, 35.80, -78.70)
    assert (picture.inside_path, picture.boundary_path) == ("", "")


def test_static_map_near_the_edge_draws_the_city_limit_line_in_the_frame(limits):
    picture = mapping.static_map(limits, 35.9228, -78.9530, half_km=3)
    assert picture.inside_path and picture.boundary_path
    points = [
        tuple(map(float, p.lstrip("ML").split(",")))
        for p in picture.boundary_path.split()
        if "," in p
    ]
    assert all(0 <= x <= picture.width and 0 <= y <= picture.height for x, y in points)
    # The line is the boundary, not the frame: it is open (no Z) and crosses the picture.
    assert "Z" not in picture.boundary_path
    assert max(x for x, _ in points) - min(x for x, _ in points) > picture.width / 4


def test_tile_host_for_the_csp():
    assert (
        mapping.tile_host("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
        == "https://*.tile.openstreetmap.org"
    )
    assert (
        mapping.tile_host("https://tiles.example.org/{z}/{x}/{y}.png")
        == "https://tiles.example.org"
    )
    assert mapping.tile_host(None) is None
    with pytest.raises(ValueError, match="HEART_TILE_URL"):
        mapping.tile_host("javascript:alert(1)")
