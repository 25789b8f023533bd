"""Steering a call: cancel, resolve, reassign, divert, notes; one feed entry per team touched,
refusals that change nothing."""

import uuid

import pytest
from sqlalchemy import func, select

from heart_field.domain import status, steering
from heart_field.domain.status import Action, Tap
from heart_field.domain.steering import Refused
from heart_field.extensions import db
from heart_field.models import (
    Assignment,
    CallNote,
    CallResolution,
    IncidentStatus,
    Role,
    StatusEvent,
    TeamStatus,
)
from tests.conftest import make_incident, make_team, make_user, reload


def move(team, action, incident=None):
    status.apply(
        db.session,
        team,
        Tap(
            action=action,
            client_uuid=str(uuid.uuid4()),
            incident_id=incident.id if incident else None,
        ),
        None,
    )


def bring_to(team, wanted, incident):
    path = {
        TeamStatus.ASSIGNED: [Action.ASSIGN],
        TeamStatus.EN_ROUTE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE],
        TeamStatus.ON_SCENE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE],
    }[wanted]
    for action in path:
        move(team, action, incident)


def events():
    return db.session.scalars(select(StatusEvent).order_by(StatusEvent.id)).all()


def event_count():
    return db.session.scalar(select(func.count()).select_from(StatusEvent))


@pytest.mark.parametrize("start", [TeamStatus.ASSIGNED, TeamStatus.EN_ROUTE])
def test_cancel_releases_the_team_and_cancels_the_call(team, incident, start):
    bring_to(team, start, incident)
    before = event_count()
    steering.end_call(db.session, incident, "caller_cancelled", None, reason="Caller rang back")
    team, incident = reload(team), reload(incident)
    assert team.status == TeamStatus.AVAILABLE
    assert incident.status == IncidentStatus.CANCELLED
    assert incident.current_assignment is None
    assert incident.assignments[-1].end_reason == "call_cancelled"
    assert event_count() == before + 1
    last = events()[-1]
    assert (last.action, last.from_status, last.to_status) == ("cancel_call", start, "available")
    resolution = db.session.scalar(select(CallResolution))
    assert (resolution.code, resolution.reason, resolution.from_status, resolution.team_id) == (
        "caller_cancelled",
        "Caller rang back",
        start.value,
        team.id,
    )


def test_cancel_on_scene_or_closed_is_refused_and_changes_nothing(team, incident):
    bring_to(team, TeamStatus.ON_SCENE, incident)
    before = event_count()
    with pytest.raises(Refused) as refused:
        steering.end_call(db.session, incident, "cancelled", None)
    assert refused.value.current == {
        "incident_status": "on_scene",
        "team": "CR-1",
        "team_status": "on_scene",
    }
    assert reload(team).status == TeamStatus.ON_SCENE
    assert event_count() == before
    assert db.session.scalar(select(func.count()).select_from(CallResolution)) == 0

    waiting = make_incident("D2")
    steering.end_call(db.session, waiting, "duplicate", None)
    with pytest.raises(Refused, match="already cancelled"):
        steering.end_call(db.session, waiting, "cancelled", None)


@pytest.mark.parametrize(
    ("code", "after", "routed_to"),
    [
        ("handled_by_phone", "closed", None),
        ("callback_arranged", "closed", None),
        ("sent_to_police", "routed_elsewhere", "police"),
        ("sent_to_co_response", "routed_elsewhere", None),
        ("duplicate", "cancelled", None),
        ("no_one_found", "cancelled", None),
    ],
)
def test_a_waiting_call_is_resolved_with_a_code(incident, code, after, routed_to):
    steering.end_call(db.session, incident, code, None)
    incident = reload(incident)
    assert (incident.status, incident.routed_to) == (after, routed_to)
    assert incident.closed_at is not None
    if after == "routed_elsewhere":
        assert incident.fallback_reason == "no_team_available"
    assert db.session.scalar(select(CallResolution.code)) == code
    assert event_count() == 0  # no team touched


def test_reassign_moves_an_assigned_call_in_one_step(team, other_team, incident):
    move(team, Action.ASSIGN, incident)
    before = event_count()
    steering.reassign(db.session, incident, other_team, None, expected_team="CR-1")
    team, other_team, incident = reload(team), reload(other_team), reload(incident)
    assert team.status == TeamStatus.AVAILABLE
    assert other_team.status == TeamStatus.ASSIGNED
    assert incident.current_assignment.team_id == other_team.id
    assert incident.status == IncidentStatus.ASSIGNED
    new = events()[before:]
    assert [(e.team_id, e.action) for e in new] == [
        (team.id, "reassign"),
        (other_team.id, "assign"),
    ]


def test_reassign_to_an_unavailable_team_changes_nothing(team, other_team, incident):
    move(team, Action.ASSIGN, incident)
    move(other_team, Action.OUT_OF_SERVICE)
    before = event_count()
    with pytest.raises(Refused):
        steering.reassign(db.session, incident, other_team, None)
    assert reload(team).status == TeamStatus.ASSIGNED
    assert reload(incident).current_assignment.team_id == team.id
    assert event_count() == before
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_two_dispatchers_at_once_one_wins(team, other_team, incident):
    """Both saw the call with CR-1; the second's view is stale and is refused with the state."""
    third = make_team("CR-3")
    move(team, Action.ASSIGN, incident)
    steering.reassign(db.session, incident, other_team, None, expected_team="CR-1")
    with pytest.raises(Refused) as refused:
        steering.reassign(db.session, incident, third, None, expected_team="CR-1")
    assert refused.value.current["team"] == "CR-2"
    assert reload(third).status == TeamStatus.AVAILABLE
    with pytest.raises(Refused):
        steering.end_call(db.session, incident, "duplicate", None, expected_team="CR-1")
    assert reload(incident).status == IncidentStatus.ASSIGNED


def test_divert_sends_an_en_route_team_on_and_requeues_its_first_call(team, incident):
    urgent = make_incident("D9", priority=1)
    bring_to(team, TeamStatus.EN_ROUTE, incident)
    before = event_count()
    steering.divert(db.session, team, urgent, None, expected_version=team.version)
    team, incident, urgent = reload(team), reload(incident), reload(urgent)
    assert team.status == TeamStatus.EN_ROUTE
    assert incident.status == IncidentStatus.OPEN and incident.current_assignment is None
    assert incident.assignments[-1].end_reason == "diverted"
    assert urgent.status == IncidentStatus.EN_ROUTE
    assert urgent.current_assignment.team_id == team.id
    new = events()[before:]
    assert [(e.action, e.incident_id) for e in new] == [("divert", urgent.id)]


def test_divert_refuses_a_team_not_en_route(team, incident):
    urgent = make_incident("D9", priority=1)
    move(team, Action.ASSIGN, incident)
    with pytest.raises(Refused):
        steering.divert(db.session, team, urgent, None)
    assert reload(urgent).status == IncidentStatus.OPEN


def test_notes_write_feed_entries_without_text(team, incident):
    dispatcher = make_user("dispatcher", Role.DISPATCHER)
    responder = make_user("responder", Role.RESPONDER, team)
    waiting_note = steering.add_note(db.session, incident, "Gate code 4471", False, dispatcher)
    assert event_count() == 0  # no team yet: nobody to tell
    assert waiting_note.team_id is None
    move(team, Action.ASSIGN, incident)
    note = steering.add_note(db.session, incident, "Caller now reports a weapon", True, None)
    entry = events()[-1]
    assert (entry.action, entry.detail, entry.team_id) == ("note", "urgent", team.id)
    assert "weapon" not in (entry.detail or "")
    assert reload(team).version == 2  # a note is no status change
    steering.acknowledge_note(db.session, note, responder)
    steering.acknowledge_note(db.session, note, responder)  # a second tap changes nothing
    acks = [e for e in events() if e.action == "note_ack"]
    assert len(acks) == 1
    note = db.session.get(CallNote, note.id)
    assert note.acknowledged_by_id == responder.id and note.acknowledged_at is not None
    notes = steering.notes_of(db.session, [incident.id])[incident.id]
    assert [n.text for n in notes] == ["Gate code 4471", "Caller now reports a weapon"]
