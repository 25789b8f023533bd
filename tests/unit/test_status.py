"""The team status machine: every legal transition, every illegal one, stale versions, UUIDs."""

import uuid
from datetime import UTC
from itertools import product

import pytest
from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.status import TRANSITIONS, Action, OutcomeInput, Tap, TransitionRefused
from heart_field.extensions import db
from heart_field.models import Assignment, IncidentStatus, Outcome, StatusEvent, TeamStatus
from tests.conftest import make_incident, reload

S = TeamStatus
LEGAL = {
    (Action.ASSIGN, S.AVAILABLE): S.ASSIGNED,
    (Action.ACCEPT, S.ASSIGNED): S.ASSIGNED,
    (Action.DECLINE, S.ASSIGNED): S.AVAILABLE,
    (Action.CANCEL, S.ASSIGNED): S.AVAILABLE,
    (Action.EN_ROUTE, S.ASSIGNED): S.EN_ROUTE,
    (Action.ON_SCENE, S.EN_ROUTE): S.ON_SCENE,
    (Action.CLEAR, S.ON_SCENE): S.AVAILABLE,
    (Action.OUT_OF_SERVICE, S.AVAILABLE): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.ASSIGNED): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.EN_ROUTE): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.ON_SCENE): S.OUT_OF_SERVICE,
    (Action.BACK_IN_SERVICE, S.OUT_OF_SERVICE): S.AVAILABLE,
    (Action.LOG_ON, S.OFF_DUTY): S.AVAILABLE,
    (Action.LOG_OFF, S.AVAILABLE): S.OFF_DUTY,
}
# How to bring a fresh team into each status, through the machine itself.
PATH = {
    S.AVAILABLE: [],
    S.ASSIGNED: [Action.ASSIGN],
    S.EN_ROUTE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE],
    S.ON_SCENE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE],
    S.OUT_OF_SERVICE: [Action.OUT_OF_SERVICE],
    S.OFF_DUTY: [Action.LOG_OFF],
}
OUTCOME = OutcomeInput(disposition="resolved_on_scene", people_served=1)


def tap(action, incident=None, **kw):
    extra = {}
    if action == Action.ASSIGN:
        extra["incident_id"] = incident.id
    if action == Action.CLEAR:
        extra["outcome"] = OUTCOME
    return Tap(action=action, client_uuid=str(uuid.uuid4()), **extra, **kw)


def bring_to(team, wanted, incident):
    for action in PATH[wanted]:
        status.apply(db.session, team, tap(action, incident), actor=None)
    assert team.status == wanted


def test_the_table_is_exactly_the_design():
    """TRANSITIONS holds the transitions DESIGN.md lists and nothing else."""
    table = {(a, f): t for a, moves in TRANSITIONS.items() for f, t in moves.items()}
    assert table == LEGAL


@pytest.mark.parametrize(("action", "start"), list(LEGAL), ids=lambda v: str(v))
def test_legal_transition_applies_and_logs_one_event(team, action, start):
    incident = make_incident()
    bring_to(team, start, incident)
    version = team.version
    result = status.apply(db.session, team, tap(action, incident, expected_version=version), None)
    assert result.applied
    assert team.status == LEGAL[(action, start)]
    assert team.version == version + 1
    event = result.event
    assert (event.action, event.from_status, event.to_status) == (action, start, team.status)
    assert event.team_version == team.version


ILLEGAL = [(a, s) for a, s in product(Action, S) if (a, s) not in LEGAL]


@pytest.mark.parametrize(("action", "start"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_transition_is_refused_and_changes_nothing(team, action, start):
    incident = make_incident()
    bring_to(team, start, incident)
    version = team.version
    events = db.session.scalar(select(func.count()).select_from(StatusEvent))
    with pytest.raises(TransitionRefused) as refused:
        status.apply(db.session, team, tap(action, incident), None)
    assert refused.value.code in ("illegal_transition", "invalid")
    assert refused.value.team.status == start
    team = reload(team)
    assert (team.status, team.version) == (start, version)
    assert db.session.scalar(select(func.count()).select_from(StatusEvent)) == events


def test_stale_version_is_refused_with_current_state(team, incident):
    status.apply(db.session, team, tap(Action.ASSIGN, incident), None)
    stale = team.version - 1
    with pytest.raises(TransitionRefused) as refused:
        status.apply(db.session, team, tap(Action.ACCEPT, expected_version=stale), None)
    assert refused.value.code == "stale_version"
    assert refused.value.team.status == S.ASSIGNED
    assert "Assigned" in refused.value.message


def test_repeated_uuid_is_applied_once(team, incident):
    status.apply(db.session, team, tap(Action.ASSIGN, incident), None)
    first = tap(Action.ACCEPT)
    en_route = Tap(action=Action.EN_ROUTE, client_uuid=str(uuid.uuid4()))
    one = status.apply(db.session, team, first, None)
    status.apply(db.session, team, en_route, None)
    again = status.apply(db.session, team, first, None)
    assert one.applied and not again.applied
    assert again.event.id == one.event.id
    assert team.status == S.EN_ROUTE
    count = db.session.scalar(
        select(func.count())
        .select_from(StatusEvent)
        .where(StatusEvent.client_uuid == first.client_uuid)
    )
    assert count == 1


def test_full_call_moves_incident_and_records_outcome(team, incident):
    for action in (Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR):
        status.apply(db.session, team, tap(action, incident), None)
    incident = reload(incident)
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_at is not None
    assert team.status == S.AVAILABLE
    outcome = db.session.scalar(select(Outcome).where(Outcome.incident_id == incident.id))
    assert outcome.disposition == "resolved_on_scene"
    assignment = db.session.scalar(select(Assignment))
    assert assignment.end_reason == "cleared" and assignment.accepted_at is not None


def test_clear_without_disposition_changes_nothing(team, incident):
    bring_to(team, S.ON_SCENE, incident)
    version = team.version
    with pytest.raises(TransitionRefused):
        status.apply(
            db.session,
            team,
            Tap(
                action=Action.CLEAR,
                client_uuid=str(uuid.uuid4()),
                outcome=OutcomeInput(disposition=""),
            ),
            None,
        )
    team = reload(team)
    assert (team.status, team.version) == (S.ON_SCENE, version)
    assert db.session.scalar(select(func.count()).select_from(Outcome)) == 0


def test_decline_returns_call_to_the_queue_with_reason(team, incident):
    status.apply(db.session, team, tap(Action.ASSIGN, incident), None)
    status.apply(db.session, team, tap(Action.DECLINE, reason="unsafe"), None)
    assignment = db.session.scalar(select(Assignment))
    assert (assignment.end_reason, assignment.decline_reason) == ("declined", "unsafe")
    assert reload(incident).status == IncidentStatus.OPEN


def test_assign_refuses_a_call_already_taken(team, other_team, incident):
    status.apply(db.session, team, tap(Action.ASSIGN, incident), None)
    with pytest.raises(TransitionRefused):
        status.apply(db.session, other_team, tap(Action.ASSIGN, incident), None)
    assert reload(other_team).status == S.AVAILABLE


def test_position_and_device_time_are_kept(team, incident):
    from datetime import datetime, timedelta

    device_time = datetime.now(UTC) - timedelta(minutes=3)
    result = status.apply(
        db.session,
        team,
        tap(Action.ASSIGN, incident, occurred_at=device_time, lat=36.0, lon=-78.9),
        None,
    )
    assert result.event.occurred_at == device_time
    assert result.event.received_at > device_time
    assert (reload(team).last_lat, reload(team).last_lon) == (36.0, -78.9)


def test_allowed_actions_follow_acceptance(team, incident):
    assert status.allowed_actions("available") == []
    status.apply(db.session, team, tap(Action.ASSIGN, incident), None)
    assignment = status.current_assignment(db.session, team.id)
    assert status.allowed_actions("assigned", assignment) == [Action.ACCEPT, Action.DECLINE]
    status.apply(db.session, team, tap(Action.ACCEPT), None)
    assert status.allowed_actions("assigned", assignment) == [Action.EN_ROUTE]
    assert status.allowed_actions("on_scene") == [Action.CLEAR]


def test_an_off_duty_unit_refuses_every_tap_but_log_on_and_says_why(team, incident):
    """A tap for a unit gone off duty (a queued offline tap, say) is refused with the reason."""
    status.apply(db.session, team, tap(Action.LOG_OFF), actor=None)
    with pytest.raises(TransitionRefused) as refused:
        status.apply(db.session, team, tap(Action.EN_ROUTE), actor=None)
    assert refused.value.code == "illegal_transition"
    assert "CR-1 is off duty" in refused.value.message
    with pytest.raises(TransitionRefused):
        status.apply(db.session, team, tap(Action.ASSIGN, incident), actor=None)
    assert reload(incident).status == IncidentStatus.OPEN
    assert status.apply(db.session, team, tap(Action.LOG_ON), actor=None).applied
    assert team.status == S.AVAILABLE
