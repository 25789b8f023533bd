"""Contract tests for cancelling a call and adding notes: /api/v1/incidents/{id}/cancel and
/notes, and the notes in GET /incidents/{id}."""

import logging
import uuid

import pytest
from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import CallNote, CallResolution, StatusEvent, TeamStatus
from tests.api.test_incidents import assert_error
from tests.conftest import reload


def move(team, *actions, incident=None):
    for action in actions:
        tap = Tap(
            action=action,
            client_uuid=str(uuid.uuid4()),
            incident_id=incident.id if incident else None,
        )
        status.apply(db.session, team, tap, None)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Cancel ------------------------------------------------------------------------------------


def test_cancel_en_route_releases_the_team(api, team, incident):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=incident)
    response = api.post(f"/api/v1/incidents/{incident.id}/cancel", {"reason": "Caller rang back"})
    assert response.status_code == 200, response.text
    body = response.json
    assert (body["status"], body["team"]) == ("cancelled", None)
    assert body["resolution"]["code"] == "cancelled"
    assert body["resolution"]["reason"] == "Caller rang back"
    assert reload(team).status == TeamStatus.AVAILABLE
    last = db.session.scalars(select(StatusEvent).order_by(StatusEvent.id.desc())).first()
    assert (last.action, last.team_id) == ("cancel_call", team.id)


def test_cancel_a_waiting_call_without_a_reason(api, incident):
    response = api.post(f"/api/v1/incidents/{incident.id}/cancel", {})
    assert response.status_code == 200, response.text
    assert response.json["status"] == "cancelled"
    assert response.json["resolution"]["reason"] is None


def test_cancel_on_scene_is_409_with_the_current_state(api, team, incident):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, incident=incident)
    response = api.post(f"/api/v1/incidents/{incident.id}/cancel", {"reason": "x"})
    assert_error(response, 409, "conflict")
    assert response.json["current"] == {
        "incident_status": "on_scene",
        "team": "CR-1",
        "team_status": "on_scene",
    }
    assert reload(team).status == TeamStatus.ON_SCENE
    assert count(CallResolution) == 0


def test_cancel_twice_is_409_and_keeps_the_first(api, incident):
    assert (
        api.post(f"/api/v1/incidents/{incident.id}/cancel", {"reason": "first"}).status_code == 200
    )
    response = api.post(f"/api/v1/incidents/{incident.id}/cancel", {"reason": "second"})
    assert_error(response, 409)
    assert response.json["current"] == {"incident_status": "cancelled"}
    assert db.session.scalar(select(CallResolution.reason)) == "first"


@pytest.mark.parametrize(
    "body",
    [{"reason": "x" * 201}, {"reason": 5}, {"reason": "a\x00b"}, {"why": "x"}],
    ids=["too-long", "not-text", "nul", "unknown-field"],
)
def test_cancel_with_a_bad_body_is_422_and_changes_nothing(api, incident, body):
    assert_error(api.post(f"/api/v1/incidents/{incident.id}/cancel", body), 422, "invalid")
    assert reload(incident).status == "open"


def test_cancel_or_note_for_an_unknown_call_is_404(api, app):
    assert_error(api.post("/api/v1/incidents/999/cancel", {}), 404, "not_found")
    assert_error(api.post("/api/v1/incidents/999/notes", {"text": "hello"}), 404, "not_found")
    assert count(CallNote) == 0


# Notes -------------------------------------------------------------------------------------


def test_note_is_201_and_listed_oldest_first(api, team, incident):
    move(team, Action.ASSIGN, incident=incident)
    first = api.post(f"/api/v1/incidents/{incident.id}/notes", {"text": "Gate code 4471"})
    assert first.status_code == 201, first.text
    assert isinstance(first.json["id"], int)
    second = api.post(
        f"/api/v1/incidents/{incident.id}/notes",
        {"text": "Caller now reports a weapon", "urgent": True},
    )
    assert second.status_code == 201
    notes = api.get(f"/api/v1/incidents/{incident.id}").json["notes"]
    assert [(n["id"], n["text"], n["urgent"]) for n in notes] == [
        (first.json["id"], "Gate code 4471", False),
        (second.json["id"], "Caller now reports a weapon", True),
    ]
    assert set(notes[0]) == {"id", "text", "urgent", "created_at", "acknowledged_at"}
    assert notes[1]["acknowledged_at"] is None
    listed = api.get("/api/v1/incidents").json["incidents"][0]["notes"]
    assert [n["id"] for n in listed] == [n["id"] for n in notes]


def test_note_writes_a_feed_entry_without_its_text(api, team, incident, caplog):
    move(team, Action.ASSIGN, incident=incident)
    caplog.set_level(logging.DEBUG)
    api.post(f"/api/v1/incidents/{incident.id}/notes", {"text": "Secret gate 4471", "urgent": True})
    events = api.get("/api/v1/events").json["events"]
    assert events[-1]["action"] == "note"
    assert "4471" not in str(events)
    assert "4471" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 2001},
        {"text": 42},
        {"text": ["a"]},
        {"text": "ok", "urgent": "yes"},
        {"urgent": True},
        {"text": "a\x00b"},
    ],
    ids=["empty", "blank", "too-long", "number", "list", "urgent-not-bool", "missing", "nul"],
)
def test_bad_note_is_422_and_nothing_is_written(api, incident, body):
    assert_error(api.post(f"/api/v1/incidents/{incident.id}/notes", body), 422, "invalid")
    assert count(CallNote) == 0


def test_a_note_of_2000_characters_is_kept_whole(api, incident):
    text = "é" * 2000
    response = api.post(f"/api/v1/incidents/{incident.id}/notes", {"text": text})
    assert response.status_code == 201
    assert db.session.get(CallNote, response.json["id"]).text == text
