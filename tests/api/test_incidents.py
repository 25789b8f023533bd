"""Contract tests for /api/v1/incidents: create (idempotent by CAD number), get, list, assign."""

import json

import pytest
from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.routing import FALLBACK_REASONS, UNIT_TYPES
from heart_field.domain.status import Action, OutcomeInput, Tap
from heart_field.extensions import db
from heart_field.models import Assignment, Incident, StatusEvent, TeamStatus
from tests.api.conftest import call
from tests.conftest import reload


def incident_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Incident))


def assert_error(response, status_code, code=None):
    assert response.status_code == status_code, response.text
    assert response.mimetype == "application/json"
    assert set(response.json) >= {"error", "message"} and response.json["message"]
    if code:
        assert response.json["error"] == code


def assert_incident_shape(body):
    assert set(body) >= {"id", "cad_number", "within_city_limits", "lat", "lon", "routing"}
    assert isinstance(body["id"], int)
    assert body["within_city_limits"] in (True, False, None)
    routing = body["routing"]
    assert set(routing) == {"unit_type", "team", "fallback"}
    assert routing["unit_type"] in (None, *UNIT_TYPES)
    assert routing["team"] is None or isinstance(routing["team"], str)
    assert routing["fallback"] in (None, *FALLBACK_REASONS)


# Create ------------------------------------------------------------------------------------


def test_create_answers_201_and_keeps_coordinates_as_given(api):
    response = api.post("/api/v1/incidents", call(lat=36.0123456, lon=-78.9012345))
    assert response.status_code == 201, response.text
    body = response.json
    assert_incident_shape(body)
    assert body["cad_number"] == "2026-0001"
    assert (body["lat"], body["lon"]) == (36.0123456, -78.9012345)
    stored = db.session.get(Incident, body["id"])
    assert (stored.lat, stored.lon, stored.priority) == (36.0123456, -78.9012345, 2)
    assert stored.narrative == "Man sitting outside for hours."


def test_create_keeps_the_safety_screen(api):
    screen = {"weapons": True, "violence": False, "medical_emergency": True}
    incident_id = api.post("/api/v1/incidents", call(safety=screen)).json["id"]
    stored = db.session.get(Incident, incident_id)
    assert (stored.weapons, stored.violence, stored.medical_emergency) == (True, False, True)


def test_create_with_an_address_only(api):
    response = api.post("/api/v1/incidents", call(lat=..., lon=...))
    assert response.status_code == 201, response.text
    assert_incident_shape(response.json)
    assert db.session.get(Incident, response.json["id"]).address == "737 Ninth St, Durham, NC 27705"


def test_same_cad_number_and_body_answers_200_with_the_same_incident(api):
    first = api.post("/api/v1/incidents", call())
    # Key order and spacing do not make a different call.
    again = api.post(
        "/api/v1/incidents",
        data=json.dumps(call(), indent=2, sort_keys=True),
        content_type="application/json",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert incident_count() == 1


def test_same_cad_number_with_a_different_body_is_409_and_changes_nothing(api):
    first = api.post("/api/v1/incidents", call(priority=2)).json
    response = api.post("/api/v1/incidents", call(priority=1))
    assert_error(response, 409, "cad_number_conflict")
    assert incident_count() == 1
    assert db.session.get(Incident, first["id"]).priority == 2


def test_a_call_typed_in_by_dispatch_is_not_overwritten(api, incident):
    response = api.post("/api/v1/incidents", call(cad=incident.cad_number, priority=1))
    assert_error(response, 409, "cad_number_conflict")
    assert reload(incident).priority == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (call(safety={"weapons": False, "violence": False}), "safety.medical_emergency"),
        (call(priority=4), "priority"),
        (call(priority="1"), "priority"),
        (call(call_type="noise_complaint"), "call_type"),
        (call(lat=91.0), "lat"),
        (call(cad=""), "cad_number"),
        (call(cad="has space"), "cad_number"),
        (call(narrative="bad\x00byte"), "narrative"),
        (call(callback_phone="919\n555"), "callback_phone"),
        (call(extra="x"), "extra"),
        (call(address=..., lon=...), "body"),
        (call(address=..., lat=..., lon=...), "body"),
        (call(address=None), "address"),
    ],
    ids=[
        "safety-answer-missing",
        "priority-4",
        "priority-as-text",
        "unknown-call-type",
        "lat-91",
        "empty-cad",
        "cad-with-space",
        "nul-in-narrative",
        "newline-in-phone",
        "unknown-field",
        "lat-without-lon",
        "no-location",
        "null-address",
    ],
)
def test_invalid_fields_answer_422_naming_the_field_and_write_nothing(api, body, field):
    response = api.post("/api/v1/incidents", body)
    assert_error(response, 422, "invalid")
    assert field in [f["field"] for f in response.json["fields"]]
    assert incident_count() == 0


def test_malformed_json_is_400(api):
    response = api.post(
        "/api/v1/incidents", data='{"cad_number": ', content_type="application/json"
    )
    assert_error(response, 400, "malformed_json")


def test_wrong_content_type_is_415(api):
    response = api.post("/api/v1/incidents", data=json.dumps(call()), content_type="text/plain")
    assert_error(response, 415)
    assert incident_count() == 0


def test_body_over_1_mb_is_413(api):
    response = api.post("/api/v1/incidents", call(narrative="x" * (1024 * 1024)))
    assert_error(response, 413)
    assert incident_count() == 0


def test_csrf_never_applies_to_the_api(app, api, dispatcher, sign_in):
    """Even with a signed-in session cookie and no CSRF token, the bearer token decides."""
    session = sign_in(dispatcher)
    response = session.client.post(
        "/api/v1/incidents",
        data=json.dumps(call()),
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 201, response.text


# Get and list ------------------------------------------------------------------------------


def test_get_one_incident_with_status_team_and_disposition(api, team):
    incident_id = api.post("/api/v1/incidents", call()).json["id"]
    body = api.get(f"/api/v1/incidents/{incident_id}").json
    assert_incident_shape(body)
    assert (body["status"], body["team"], body["disposition"]) == ("open", None, None)
    assert (body["call_type"], body["priority"]) == ("welfare_check", 2)

    for action in (Action.ASSIGN, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR):
        status.apply(
            db.session,
            team,
            Tap(
                action,
                f"tap-{action}",
                incident_id=incident_id,
                outcome=OutcomeInput("resolved_on_scene"),
            ),
            None,
        )
        if action == Action.ON_SCENE:
            body = api.get(f"/api/v1/incidents/{incident_id}").json
            assert (body["status"], body["team"]) == ("on_scene", "CR-1")
    body = api.get(f"/api/v1/incidents/{incident_id}").json
    assert (body["status"], body["team"], body["disposition"]) == (
        "closed",
        None,
        "resolved_on_scene",
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/incidents/999", "/api/v1/incidents/99999999999", "/api/v1/incidents/abc"]
)
def test_unknown_incident_is_404_json(api, path):
    assert_error(api.get(path), 404)


def test_list_by_status(api, team):
    first = api.post("/api/v1/incidents", call("C-1")).json["id"]
    second = api.post("/api/v1/incidents", call("C-2")).json["id"]
    status.apply(db.session, team, Tap(Action.ASSIGN, "tap-1", incident_id=second), None)

    every = api.get("/api/v1/incidents").json["incidents"]
    assert [i["id"] for i in every] == [first, second]
    assigned = api.get("/api/v1/incidents?status=assigned").json["incidents"]
    assert [(i["id"], i["team"]) for i in assigned] == [(second, "CR-1")]
    assert [i["id"] for i in api.get("/api/v1/incidents?status=open").json["incidents"]] == [first]
    assert [i["id"] for i in api.get("/api/v1/incidents?limit=1").json["incidents"]] == [first]


@pytest.mark.parametrize(
    "query", ["status=lost", "limit=0", "limit=501", "limit=1.0", "colour=red"]
)
def test_bad_list_queries_are_422(api, query):
    assert_error(api.get(f"/api/v1/incidents?{query}"), 422, "invalid")


# Assign ------------------------------------------------------------------------------------


def test_assign_an_available_team(api, team):
    incident_id = api.post("/api/v1/incidents", call()).json["id"]
    response = api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-1"})
    assert response.status_code == 200, response.text
    assert (response.json["status"], response.json["team"]) == ("assigned", "CR-1")
    assert reload(team).status == TeamStatus.ASSIGNED
    event = db.session.scalar(select(StatusEvent))
    assert (event.action, event.incident_id, event.team_id) == ("assign", incident_id, team.id)


def test_assigning_a_team_that_is_not_available_is_409(api, team):
    busy = api.post("/api/v1/incidents", call("C-1")).json["id"]
    waiting = api.post("/api/v1/incidents", call("C-2")).json["id"]
    assert api.post(f"/api/v1/incidents/{busy}/assign", {"team": "CR-1"}).status_code == 200

    response = api.post(f"/api/v1/incidents/{waiting}/assign", {"team": "CR-1"})
    assert_error(response, 409, "illegal_transition")
    assert "CR-1" in response.json["message"]
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    assert db.session.get(Incident, waiting).status == "open"


def test_assigning_a_call_already_assigned_is_409(api, team, other_team):
    incident_id = api.post("/api/v1/incidents", call()).json["id"]
    api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-1"})
    response = api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-2"})
    assert_error(response, 409)
    assert reload(other_team).status == TeamStatus.AVAILABLE


def test_assigning_an_unknown_team_is_404(api):
    incident_id = api.post("/api/v1/incidents", call()).json["id"]
    response = api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "NOPE-9"})
    assert_error(response, 404, "team_not_found")
    assert db.session.get(Incident, incident_id).status == "open"


def test_assigning_to_an_unknown_incident_is_404(api, team):
    assert_error(api.post("/api/v1/incidents/4242/assign", {"team": "CR-1"}), 404)
    assert reload(team).status == TeamStatus.AVAILABLE


def test_safe_defaults_are_never_assumed(api):
    """A body without the safety screen is refused: a missing answer is not a 'no'."""
    body = call()
    del body["safety"]
    assert_error(api.post("/api/v1/incidents", body), 422)
    assert incident_count() == 0


def test_wrong_method_is_405_json_with_allow(api):
    response = api.client.delete("/api/v1/incidents", headers=api.headers)
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_unknown_api_path_is_404_json(api):
    assert_error(api.get("/api/v1/nothing-here"), 404)


@pytest.mark.parametrize(("priority", "expected"), [(2, 200), (1, 409)])
def test_a_racing_duplicate_answers_like_a_replay(api, monkeypatch, priority, expected):
    """Two posts of one CAD number at once: the loser hits the unique constraint, not a 500."""
    first = api.post("/api/v1/incidents", call(priority=2)).json
    from heart_field.api import routes

    real_lookup = routes._incident_by_cad
    lookups = []

    def lookup_missing_the_first_time(cad_number):
        lookups.append(cad_number)
        return None if len(lookups) == 1 else real_lookup(cad_number)

    monkeypatch.setattr(routes, "_incident_by_cad", lookup_missing_the_first_time)
    response = api.post("/api/v1/incidents", call(priority=priority))
    assert response.status_code == expected, response.text
    assert len(lookups) == 2
    if expected == 200:
        assert response.json == first
    assert incident_count() == 1
