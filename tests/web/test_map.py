"""The map over HTTP: the boundary for drawing, the map on the dispatch page, the verdict for a
point picked on it, tiles only from configuration, and the phone's static map and Navigate."""

import re
import uuid
from urllib.parse import unquote

import pytest
from shapely.geometry import shape

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from tests.conftest import make_incident, reload

PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


@pytest.fixture
def dispatch(sign_in, dispatcher):
    return sign_in(dispatcher)


@pytest.fixture
def on_call(team, incident):
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )
    return incident


def navigate_links(page):
    return re.findall(
        r'<a class="btn [^"]*btn-navigate" href="([^"]+)"[^>]*>Navigate</a>', page.text
    )


def test_city_limits_for_the_map_are_simplified_geojson(dispatch):
    response = dispatch.get("/dispatch/city-limits.json")
    assert response.status_code == 200
    feature = response.get_json()
    assert feature["type"] == "Feature"
    drawn = shape(feature["geometry"])
    assert drawn.geom_type in ("Polygon", "MultiPolygon") and not drawn.is_empty
    assert len(response.data) < 200_000  # the bundled file is about 1 MB
    assert "private" in response.headers["Cache-Control"]


def test_city_limits_are_for_dispatch_not_responders(sign_in, responder):
    assert sign_in(responder).get("/dispatch/city-limits.json").status_code == 403


def test_dispatch_page_has_the_map_without_tiles_by_default(dispatch, team):
    page = dispatch.get("/dispatch/")
    assert 'id="map"' in page.text
    assert 'data-boundary="/dispatch/city-limits.json"' in page.text
    assert "data-tile-url" not in page.text
    assert re.search(r'data-bounds="-79\.\d+,35\.\d+,-78\.\d+,36\.\d+"', page.text)
    assert "vendor/leaflet-1.9.4/leaflet.js" in page.text
    assert "img-src 'self';" in page.headers["Content-Security-Policy"]


def test_board_rows_carry_what_the_map_draws(dispatch, team, on_call):
    fragment = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    row = re.search(r'<tr id="team-CR-1"[^>]*>', fragment).group(0)
    assert 'data-status="assigned"' in row and 'data-call-sign="CR-1"' in row
    assert 'data-lat="35.994"' in row and "data-position-at" not in row  # no position time yet
    call = re.search(rf'<article [^>]*id="incident-{on_call.id}"[^>]*>', fragment).group(0)
    assert 'data-priority="2"' in call and 'data-team="CR-1"' in call


def test_unverified_call_is_marked_for_placing_on_the_map(dispatch, team):
    unplaced = make_incident(
        "D9", lat=None, lon=None, within_city_limits=None, address="somewhere odd"
    )
    fragment = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    call = re.search(rf'<article [^>]*id="incident-{unplaced.id}"[^>]*>', fragment).group(0)
    assert "data-unverified" in call


def test_tile_url_from_config_reaches_the_page_and_the_csp(tmp_path, dispatcher):
    config = type(
        "Config",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tiles.db'}",
            "HEART_TILE_URL": TILES,
            "HEART_TILE_ATTRIBUTION": "© Example contributors",
        },
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        page = app.test_client().get("/login")
        assert (
            "img-src 'self' https://*.tiles.example.org" in page.headers["Content-Security-Policy"]
        )
        db.drop_all()
        db.engine.dispose()


def test_a_bad_tile_url_stops_start_up(tmp_path):
    config = type("Config", (TestConfig,), {"HEART_TILE_URL": "tiles/{z}/{x}/{y}.png"})
    with pytest.raises(ValueError, match="HEART_TILE_URL"):
        create_app(config)


@pytest.mark.parametrize(
    ("lat", "lon", "verdict"),
    [
        ("35.994", "-78.8986", "Inside city limits"),
        ("35.80", "-78.70", "Outside city limits"),
    ],
)
def test_point_picked_on_the_map_gets_a_verdict_before_the_call_type(dispatch, lat, lon, verdict):
    answer = dispatch.post("/dispatch/preview", {"lat": lat, "lon": lon}, htmx=True)
    assert answer.status_code == 200
    assert verdict in answer.text
    assert "Choose a call type to see who should go." in answer.text


def test_phone_shows_the_static_map_and_navigate_with_the_calls_place(sign_in, responder, on_call):
    page = sign_in(responder).get("/field/", headers={"User-Agent": PIXEL})
    assert '<svg class="call-map"' in page.text and 'class="point"' in page.text
    [link] = navigate_links(page)
    link = unquote(link.replace("&amp;", "&"))
    assert link.startswith(f"geo:{on_call.lat:.6f},{on_call.lon:.6f}")
    assert on_call.address in link
    assert "User-Agent" in page.headers["Vary"]


def test_iphone_gets_an_apple_maps_link(sign_in, responder, on_call):
    page = sign_in(responder).get("/field/", headers={"User-Agent": IPHONE})
    [link] = navigate_links(page)
    assert link.startswith("https://maps.apple.com/?daddr=")
    assert 'target="_blank" rel="noopener"' in page.text


def test_en_route_puts_navigate_first_in_the_thumb_zone(sign_in, responder, team, on_call):
    phone = sign_in(responder)
    answer = phone.post(
        "/field/status",
        {"action": "en_route", "version": reload(team).version, "client_uuid": str(uuid.uuid4())},
        htmx=True,
        environ_overrides={"HTTP_USER_AGENT": PIXEL},
    )
    assert answer.status_code == 200
    actions = answer.text.split('aria-label="Status"', 1)[1]
    assert actions.index(">Navigate</a>") < actions.index(">On scene</button>")
    assert len(navigate_links(answer)) == 1


def test_call_without_coordinates_has_no_map_but_navigates_by_address(sign_in, responder, team):
    incident = make_incident("D10", lat=None, lon=None, within_city_limits=None)
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )
    page = sign_in(responder).get("/field/", headers={"User-Agent": PIXEL})
    assert "call-map" not in page.text
    [link] = navigate_links(page)
    assert unquote(link) == f"geo:0,0?q={incident.address}"


def test_no_call_no_navigate(sign_in, responder):
    page = sign_in(responder).get("/field/", headers={"User-Agent": PIXEL})
    assert navigate_links(page) == [] and "call-map" not in page.text
