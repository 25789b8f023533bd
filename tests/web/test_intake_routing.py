"""Intake over HTTP: geofence verdict, geocoding, routing and fallback reasons, placing an
unverified call, recording who went instead, and the board that shows all of it."""

import csv
import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.domain import status
from heart_field.domain.routing import ServiceHours
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Assignment, Incident, StatusEvent, TeamStatus, utcnow
from tests.conftest import make_team, reload

with open(Path(__file__).parents[1] / "data" / "geofence_points.csv", newline="") as _file:
    POINTS = list(csv.DictReader(_file))
INSIDE = (35.996401, -78.903104)  # 353 W. Main St, downtown
OUTSIDE = (36.050492, -78.870207)  # 1101 Hamlin Rd: a Durham mailing address outside the city


@pytest.fixture
def dispatch(sign_in, dispatcher):
    return sign_in(dispatcher)


def call(cad="D100", **fields):
    data = {"cad_number": cad, "call_type": "welfare_check", "priority": "2"}
    data.update(
        {k: str(v) if v is not None and not isinstance(v, bool) else v for k, v in fields.items()}
    )
    return {k: ("y" if v is True else v) for k, v in data.items() if v not in (None, False)}


def enter(dispatch, cad="D100", **fields):
    response = dispatch.post("/dispatch/incidents", call(cad, **fields))
    assert response.status_code == 303, response.text
    return db.session.scalar(select(Incident).where(Incident.cad_number == cad))


def row(page, incident):
    return page.text.split(f'id="incident-{incident.id}"')[1].split("</article>")[0]


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Incident, Assignment, StatusEvent)
    )


@pytest.mark.parametrize("point", POINTS, ids=[p["label"] for p in POINTS])
def test_every_labelled_point_gets_its_verdict_through_intake(dispatch, point):
    """All 40 labelled points, entered by coordinates, are classified as labelled and shown so."""
    incident = enter(dispatch, lat=point["lat"], lon=point["lon"])
    expected = point["expected_inside"] == "true"
    assert incident.within_city_limits is expected
    words = "Inside city limits" if expected else "Outside city limits"
    assert words in row(dispatch.get("/dispatch/"), incident)


def test_coordinates_are_used_as_given_even_with_an_address(dispatch, team):
    """The address is geocoded only when coordinates are missing."""
    incident = enter(
        dispatch, address="353 W. Main St, Durham, NC 27701", lat=OUTSIDE[0], lon=OUTSIDE[1]
    )
    assert (incident.lat, incident.lon) == OUTSIDE
    assert incident.within_city_limits is False
    assert incident.fallback_reason == "outside_city_limits"


def test_address_is_geocoded_when_coordinates_are_missing(dispatch, team):
    incident = enter(dispatch, address="353 west main street durham")
    assert (incident.lat, incident.lon) == INSIDE
    assert incident.within_city_limits is True
    assert incident.fallback_reason is None
    assert incident.recommended_team_id == team.id


def test_durham_mailing_address_outside_the_city_falls_back(dispatch, team):
    incident = enter(dispatch, address="1101 Hamlin Rd, Durham, NC 27704")
    assert incident.within_city_limits is False
    assert (incident.status, incident.fallback_reason) == (
        "routed_elsewhere",
        "outside_city_limits",
    )


def test_failed_geocode_saves_the_call_unverified_and_unrouted(dispatch, team):
    """An unknown location is not routed: no fallback reason is recorded for it."""
    incident = enter(dispatch, address="42 Nowhere Lane, Atlantis")
    assert incident.within_city_limits is None
    assert (incident.lat, incident.lon) == (None, None)
    assert incident.status == "open"
    assert (
        incident.fallback_reason,
        incident.recommended_team_id,
        incident.recommended_unit_type,
    ) == (None, None, None)
    shown = row(dispatch.get("/dispatch/"), incident)
    assert "Location unverified" in shown and "Place call" in shown
    assert "Assign CR-1" not in shown


def test_placing_an_unverified_call_by_coordinates_routes_it(dispatch, team):
    incident = enter(dispatch, address="42 Nowhere Lane")
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/place", {"lat": INSIDE[0], "lon": INSIDE[1]}, htmx=True
    )
    assert response.status_code == 200
    assert "Call D100 placed inside city limits." in response.text
    incident = reload(incident)
    assert (incident.lat, incident.lon, incident.within_city_limits) == (*INSIDE, True)
    assert incident.recommended_team_id == team.id
    assert "Assign CR-1" in row(response, incident)


def test_placing_by_a_gazetteer_match_outside_the_city_sends_it_elsewhere(dispatch, team):
    incident = enter(dispatch, address="somewhere off Hamlin")
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/place", {"address": "1101 hamlin road"}, htmx=True
    )
    assert response.status_code == 200
    incident = reload(incident)
    assert (incident.within_city_limits, incident.status, incident.fallback_reason) == (
        False,
        "routed_elsewhere",
        "outside_city_limits",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"address": "42 Nowhere Lane"}, "No match for that address"),
        ({"lat": "36.0"}, "Give both latitude and longitude"),
        ({"lat": "95", "lon": "-78.9"}, "Number must be between -90 and 90"),
        ({}, "Give an address, or both latitude and longitude."),
    ],
)
def test_placing_with_bad_input_is_422_and_changes_nothing(dispatch, team, data, message):
    incident = enter(dispatch, address="42 Nowhere Lane")
    response = dispatch.post(f"/dispatch/incidents/{incident.id}/place", data, htmx=True)
    assert response.status_code == 422
    assert message in response.text
    assert reload(incident).within_city_limits is None


def test_nearest_available_team_is_recommended_and_one_click_assigns_it(dispatch, team, other_team):
    """CR-2 sits on Ninth Street; a call there goes to CR-2, not downtown CR-1."""
    incident = enter(dispatch, address="737 Ninth St, Durham, NC 27705")
    assert incident.recommended_team_id == other_team.id
    page = dispatch.get("/dispatch/")
    shown = row(page, incident)
    assert "Recommended: <strong>CR-2</strong> (Community Response)" in shown
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/assign",
        {"team": "CR-2", "version": reload(other_team).version},
        htmx=True,
    )
    assert response.status_code == 200
    assert reload(other_team).status == TeamStatus.ASSIGNED


def test_violence_is_recommended_to_co_response(dispatch, team):
    co = make_team("CO-1", unit="co_response", lat=36.0277, lon=-78.8898)
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1], violence=True)
    assert (incident.recommended_unit_type, incident.recommended_team_id) == ("co_response", co.id)


def test_phone_call_types_go_to_crisis_call_diversion(dispatch, team):
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1], call_type="crisis_line")
    assert (
        incident.recommended_unit_type,
        incident.recommended_team_id,
        incident.fallback_reason,
    ) == ("crisis_call_diversion", None, None)
    assert "Crisis Call Diversion" in row(dispatch.get("/dispatch/"), incident)


def test_safety_risk_falls_back_and_the_board_says_why(dispatch, team):
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1], weapons=True)
    assert (incident.status, incident.fallback_reason) == ("routed_elsewhere", "safety_risk")
    shown = row(dispatch.get("/dispatch/"), incident)
    assert "Why: Safety risk (weapons or medical emergency)" in shown
    assert "Record who went" in shown


def test_outside_service_hours_falls_back(app, dispatch, team):
    local = utcnow().astimezone(app.extensions["heart_geo"].zone)
    later = (local + timedelta(hours=2)).strftime("%H:00")
    end = (local + timedelta(hours=3)).strftime("%H:00")
    geo = app.extensions["heart_geo"]
    app.extensions["heart_geo"] = dataclasses.replace(
        geo, service_hours=ServiceHours.parse(f"{later}-{end}")
    )
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1])
    assert (incident.status, incident.fallback_reason) == (
        "routed_elsewhere",
        "outside_service_hours",
    )


def test_no_team_available_keeps_the_call_in_heart_queue(dispatch, team):
    team.status = TeamStatus.OUT_OF_SERVICE  # arranged directly: no team is free
    db.session.commit()
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1])
    assert (incident.status, incident.fallback_reason) == ("open", "no_team_available")
    assert incident.recommended_unit_type == "community_response"
    shown = row(dispatch.get("/dispatch/"), incident)
    assert "Fallback: No team available" in shown and "Route again" in shown


def test_recording_who_went_instead(dispatch, team):
    team.status = TeamStatus.OUT_OF_SERVICE
    db.session.commit()
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1])
    missing = dispatch.post(
        f"/dispatch/incidents/{incident.id}/elsewhere", {"responder": ""}, htmx=True
    )
    assert missing.status_code == 422 and "Choose who went instead." in missing.text
    assert reload(incident).status == "open"
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/elsewhere", {"responder": "ems"}, htmx=True
    )
    assert response.status_code == 200
    incident = reload(incident)
    assert (incident.status, incident.routed_to, incident.fallback_reason) == (
        "routed_elsewhere",
        "ems",
        "no_team_available",
    )
    assert "EMS went" in row(response, incident)


def test_a_call_heart_can_take_cannot_be_sent_elsewhere(dispatch, team):
    incident = enter(dispatch, lat=INSIDE[0], lon=INSIDE[1])
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/elsewhere", {"responder": "police"}, htmx=True
    )
    assert response.status_code == 409
    assert (reload(incident).status, reload(incident).routed_to) == ("open", None)


def test_unmet_need_is_queryable_by_reason(dispatch, team):
    """Reports count routed_elsewhere calls by fallback reason; an unverified call counts nowhere."""
    enter(dispatch, "A", lat=OUTSIDE[0], lon=OUTSIDE[1])
    enter(dispatch, "B", lat=INSIDE[0], lon=INSIDE[1], medical_emergency=True)
    enter(dispatch, "C", address="42 Nowhere Lane")
    enter(dispatch, "D", lat=INSIDE[0], lon=INSIDE[1])
    rows = db.session.execute(
        select(Incident.fallback_reason, func.count())
        .where(Incident.status == "routed_elsewhere")
        .group_by(Incident.fallback_reason)
    ).all()
    assert dict(rows) == {"outside_city_limits": 1, "safety_risk": 1}


def test_declined_call_returns_to_the_queue_with_the_reason_and_routes_again(
    dispatch, team, other_team
):
    incident = enter(dispatch, address="737 Ninth St, Durham, NC 27705")
    assert incident.recommended_team_id == other_team.id
    dispatch.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-2"}, htmx=True)
    status.apply(
        db.session,
        reload(other_team),
        Tap(Action.DECLINE, str(uuid.uuid4()), reason="equipment"),
        None,
    )
    page = dispatch.get("/dispatch/")
    shown = row(page, reload(incident))
    assert "CR-2 declined: Vehicle or equipment problem" in shown
    assert reload(incident).status == "open"
    # CR-2 is free again and still nearest; take it out of service so routing picks CR-1.
    status.apply(
        db.session, reload(other_team), Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None
    )
    assert "CR-2 is now out of service" in row(dispatch.get("/dispatch/"), reload(incident))
    again = dispatch.post(f"/dispatch/incidents/{incident.id}/reroute", htmx=True)
    assert again.status_code == 200
    assert reload(incident).recommended_team_id == team.id
    assert "Assign CR-1" in row(again, reload(incident))


def test_preview_shows_verdict_and_recommendation_and_saves_nothing(dispatch, team):
    before = counts()
    preview = dispatch.post("/dispatch/preview", call(address="353 W Main St"), htmx=True)
    assert preview.status_code == 200
    assert (
        "Inside city limits" in preview.text
        and "Recommended: <strong>CR-1</strong>" in preview.text
    )
    outside = dispatch.post("/dispatch/preview", call(address="1101 Hamlin Rd"), htmx=True)
    assert "Outside city limits" in outside.text and "Fallback: Outside city limits" in outside.text
    unknown = dispatch.post("/dispatch/preview", call(address="42 Nowhere Lane"), htmx=True)
    assert "Address not found" in unknown.text
    assert counts() == before


def test_bad_service_hours_stop_the_app_at_start_up():
    class BadHours(TestConfig):
        HEART_SERVICE_HOURS = "7am till late"

    with pytest.raises(ValueError, match="HEART_SERVICE_HOURS"):
        create_app(BadHours)


def test_unknown_geocoder_stops_the_app_at_start_up():
    class BadGeocoder(TestConfig):
        HEART_GEOCODER = "no-such-geocoder"

    with pytest.raises(ValueError, match="HEART_GEOCODER"):
        create_app(BadGeocoder)


def test_remote_geocoder_is_built_through_geopy_once_per_app(app):
    """A named service is built (no network in tests) and kept on the app."""

    class Nominatim(TestConfig):
        HEART_GEOCODER = "nominatim"
        HEART_GEOCODER_DOMAIN = "geocoder.example.org"

    other = create_app(Nominatim)
    assert other.extensions["heart_geo"].geocoder.name == "nominatim"
    assert app.extensions["heart_geo"].geocoder.name == "gazetteer"
