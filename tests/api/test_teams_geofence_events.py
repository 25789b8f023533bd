"""Contract tests for /api/v1/teams, /geofence and the /events feed."""

import uuid
from datetime import datetime

import pytest

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import StatusEvent, TeamStatus
from tests.conftest import make_incident, make_team

NINTH_STREET = (36.009004, -78.922177)  # inside Durham city limits
RALEIGH = (35.7796, -78.6382)  # well outside


def test_teams_with_unit_type_status_and_since(api, team):
    make_team("CO-1", unit="co_response")
    status.apply(db.session, team, Tap(Action.OUT_OF_SERVICE, "tap-1"), None)
    body = api.get("/api/v1/teams").json
    assert [(t["call_sign"], t["unit_type"], t["status"]) for t in body["teams"]] == [
        ("CO-1", "co_response", "available"),
        ("CR-1", "community_response", "out_of_service"),
    ]
    since = datetime.fromisoformat(body["teams"][1]["since"])
    assert since == team.status_since


@pytest.mark.parametrize(("point", "inside"), [(NINTH_STREET, True), (RALEIGH, False)])
def test_geofence_by_coordinates(api, point, inside):
    response = api.post("/api/v1/geofence", {"lat": point[0], "lon": point[1]})
    assert response.status_code == 200, response.text
    assert response.json == {"inside": inside, "lat": point[0], "lon": point[1]}


def test_geofence_by_address_geocodes_it(api):
    response = api.post("/api/v1/geofence", {"address": "737 Ninth St, Durham, NC 27705"})
    assert response.status_code == 200, response.text
    assert response.json["inside"] is True
    assert (response.json["lat"], response.json["lon"]) == pytest.approx(NINTH_STREET, abs=1e-3)


def test_geofence_coordinates_win_over_the_address(api):
    body = {"address": "737 Ninth St, Durham, NC 27705", "lat": RALEIGH[0], "lon": RALEIGH[1]}
    assert api.post("/api/v1/geofence", body).json["inside"] is False


def test_geofence_unknown_address_is_404(api):
    response = api.post("/api/v1/geofence", {"address": "1 Nowhere Lane, Atlantis"})
    assert response.status_code == 404
    assert response.json["error"] == "address_not_found"


@pytest.mark.parametrize("body", [{}, {"lat": 36.0}, {"lat": 36.0, "lon": 200.0}, {"address": 5}])
def test_geofence_needs_a_place(api, body):
    response = api.post("/api/v1/geofence", body)
    assert response.status_code == 422
    assert response.json["error"] == "invalid"


def _tap(team, action, incident=None):
    status.apply(
        db.session,
        team,
        Tap(action, str(uuid.uuid4()), incident_id=incident.id if incident else None),
        None,
    )


def _make_events(count_per_team=2):
    teams = [make_team(f"CR-{n}") for n in range(1, 4)]
    for n, team in enumerate(teams):
        incident = make_incident(f"E-{n}")
        _tap(team, Action.ASSIGN, incident)
        _tap(team, Action.ACCEPT)
    return teams


def test_events_come_once_each_in_order_across_pages(api):
    _make_events()
    seen, cursor = [], 0
    for _ in range(10):
        page = api.get(f"/api/v1/events?after={cursor}&limit=4").json
        if not page["events"]:
            assert page["next"] == cursor  # an empty page keeps the cursor
            break
        seen += page["events"]
        cursor = page["next"]
        assert cursor == page["events"][-1]["id"]
    ids = [e["id"] for e in seen]
    all_ids = sorted(db.session.scalars(db.select(StatusEvent.id)))
    assert ids == all_ids and len(ids) == 6
    first = seen[0]
    assert (first["team"], first["action"], first["from_status"], first["to_status"]) == (
        "CR-1",
        "assign",
        "available",
        "assigned",
    )
    assert first["incident_id"] is not None


def test_the_cursor_is_stable_and_new_events_follow_it(api, team):
    _tap(team, Action.OUT_OF_SERVICE)
    cursor = api.get("/api/v1/events").json["next"]
    assert api.get(f"/api/v1/events?after={cursor}").json == {"events": [], "next": cursor}
    assert api.get(f"/api/v1/events?after={cursor}").json["next"] == cursor

    _tap(team, Action.BACK_IN_SERVICE)
    page = api.get(f"/api/v1/events?after={cursor}").json
    assert [(e["action"], e["to_status"]) for e in page["events"]] == [
        ("back_in_service", TeamStatus.AVAILABLE)
    ]
    assert page["next"] > cursor


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=501"])
def test_bad_event_queries_are_422(api, query):
    response = api.get(f"/api/v1/events?{query}")
    assert response.status_code == 422
    assert response.json["error"] == "invalid"


def test_an_unexpected_failure_is_still_json(app, api, monkeypatch):
    """Never an HTML page, even for a bug: a 500 answers in the API's shape, with no detail."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("heart_field.domain.feed.events_after", broken)
    response = api.get("/api/v1/events")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "message", "request_id"}  # the id finds the log line
    assert "secret internals" not in response.text
