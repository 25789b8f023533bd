"""The team status machine, with no app at all: a plain SQLAlchemy session on a real database.

Every legal transition and every illegal one, stale versions, UUIDs, the call's assignment
and incident, the next steps the card shows, the feed signal, and what one tap sends.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import Session

from heart_field.domain import feed, status
from heart_field.domain.status import (
    RULES,
    TRANSITIONS,
    Action,
    OutcomeInput,
    Tap,
    TransitionRefused,
)
from heart_field.extensions import db
from heart_field.models import (
    Assignment,
    Incident,
    IncidentStatus,
    Outcome,
    StatusEvent,
    Team,
    TeamStatus,
)

S = TeamStatus
# DESIGN.md, "Team status machine".
LEGAL = {
    (Action.LOG_ON, S.OFF_DUTY): S.AVAILABLE,
    (Action.LOG_OFF, S.AVAILABLE): S.OFF_DUTY,
    (Action.ASSIGN, S.AVAILABLE): S.ASSIGNED,
    (Action.ACCEPT, S.ASSIGNED): S.ASSIGNED,
    (Action.DECLINE, S.ASSIGNED): S.AVAILABLE,
    (Action.CANCEL, S.ASSIGNED): S.AVAILABLE,
    (Action.CANCEL, S.EN_ROUTE): S.AVAILABLE,
    (Action.EN_ROUTE, S.ASSIGNED): S.EN_ROUTE,
    (Action.ON_SCENE, S.EN_ROUTE): S.ON_SCENE,
    (Action.CLEAR, S.ON_SCENE): S.AVAILABLE,
    (Action.OUT_OF_SERVICE, S.AVAILABLE): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.ASSIGNED): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.EN_ROUTE): S.OUT_OF_SERVICE,
    (Action.OUT_OF_SERVICE, S.ON_SCENE): S.OUT_OF_SERVICE,
    (Action.BACK_IN_SERVICE, S.OUT_OF_SERVICE): S.AVAILABLE,
}
# How to bring a fresh (available) team into each status, through the machine itself.
PATH = {
    S.OFF_DUTY: [Action.LOG_OFF],
    S.AVAILABLE: [],
    S.ASSIGNED: [Action.ASSIGN],
    S.EN_ROUTE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE],
    S.ON_SCENE: [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE],
    S.OUT_OF_SERVICE: [Action.OUT_OF_SERVICE],
}
OUTCOME = OutcomeInput(disposition="resolved_on_scene", people_served=1)


@pytest.fixture
def engine(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'status.db'}"
    engine = create_engine(url)
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    yield engine
    db.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


def add(session, row):
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def team(session):
    return add(session, Team(call_sign="CR-1", unit_type="community_response"))


@pytest.fixture
def other_team(session):
    return add(session, Team(call_sign="CR-2", unit_type="community_response"))


def new_incident(session, cad="D1"):
    return add(
        session,
        Incident(cad_number=cad, call_type="welfare_check", priority=2, address="737 Ninth St"),
    )


@pytest.fixture
def incident(session):
    return new_incident(session)


def tap(action, incident=None, **kw):
    extra = {}
    if action == Action.ASSIGN:
        extra["incident_id"] = incident.id
    if action == Action.CLEAR:
        extra["outcome"] = OUTCOME
    return Tap(action=action, client_uuid=str(uuid.uuid4()), **extra, **kw)


def bring_to(session, team, wanted, incident):
    for action in PATH[wanted]:
        status.apply(session, team, tap(action, incident), actor=None)
    assert team.status == wanted


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_table_is_exactly_the_design():
    table = {(a, f): t for a, moves in TRANSITIONS.items() for f, t in moves.items()}
    assert table == LEGAL
    assert S.OFF_DUTY.label == "Off duty"
    assert all(rule.label for rule in RULES.values())


@pytest.mark.parametrize(("action", "start"), list(LEGAL), ids=lambda v: str(v))
def test_legal_transition_applies_and_logs_one_event(session, team, action, start):
    incident = new_incident(session)
    bring_to(session, team, start, incident)
    version = team.version
    result = status.apply(session, team, tap(action, incident, expected_version=version), None)
    assert result.applied
    assert (result.team.status, result.team.version) == (LEGAL[(action, start)], version + 1)
    session.expire_all()
    assert (team.status, team.version) == (result.team.status, result.team.version)
    event = result.event
    assert (event.action, event.from_status, event.to_status) == (action, start, team.status)
    assert event.team_version == team.version
    assert session.get(StatusEvent, event.id).client_uuid == event.client_uuid


ILLEGAL = [(a, s) for a, s in product(Action, S) if (a, s) not in LEGAL]


@pytest.mark.parametrize(("action", "start"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_transition_is_refused_and_changes_nothing(session, team, action, start):
    incident = new_incident(session)
    bring_to(session, team, start, incident)
    version = team.version
    events = count(session, StatusEvent)
    with pytest.raises(TransitionRefused) as refused:
        status.apply(session, team, tap(action, incident), None)
    assert refused.value.code in ("illegal_transition", "invalid")
    assert refused.value.team.status == start
    session.expire_all()
    assert (team.status, team.version) == (start, version)
    assert count(session, StatusEvent) == events


def test_stale_version_is_refused_with_current_state(session, team, incident):
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    stale = team.version - 1
    with pytest.raises(TransitionRefused) as refused:
        status.apply(session, team, tap(Action.ACCEPT, expected_version=stale), None)
    assert refused.value.code == "stale_version"
    assert refused.value.team.status == S.ASSIGNED
    assert refused.value.team.version == stale + 1
    assert "Assigned" in refused.value.message


def test_a_version_newer_than_the_loaded_team_is_read_again(session, team, incident):
    """A tap naming a version the caller's copy of the team has not seen yet still applies."""
    loaded = session.get(Team, team.id)
    with Session(session.get_bind()) as elsewhere:
        status.apply(elsewhere, elsewhere.get(Team, team.id), tap(Action.ASSIGN, incident), None)
    result = status.apply(session, loaded, tap(Action.ACCEPT, expected_version=2), None)
    assert result.applied and result.team.version == 3


def test_repeated_uuid_is_applied_once(session, team, incident):
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    first = tap(Action.ACCEPT)
    one = status.apply(session, team, first, None)
    status.apply(session, team, Tap(action=Action.EN_ROUTE, client_uuid=str(uuid.uuid4())), None)
    again = status.apply(session, team, first, None)
    assert one.applied and not again.applied
    assert again.event == one.event
    assert again.team.status == S.EN_ROUTE
    assert count(session, StatusEvent, StatusEvent.client_uuid == first.client_uuid) == 1


def test_a_repeated_uuid_with_no_version_is_caught_by_the_insert(session, team, incident):
    """A tap naming no version passes the compare-and-swap; the unique UUID stops it."""
    first = tap(Action.OUT_OF_SERVICE)
    status.apply(session, team, first, None)
    status.apply(session, team, tap(Action.BACK_IN_SERVICE), None)
    again = status.apply(session, team, first, None)
    assert not again.applied
    session.expire_all()
    assert (team.status, team.version) == (S.AVAILABLE, 3)


def test_a_uuid_used_by_another_team_is_refused(session, team, other_team):
    first = tap(Action.OUT_OF_SERVICE)
    status.apply(session, team, first, None)
    with pytest.raises(TransitionRefused) as refused:
        status.apply(session, other_team, first, None)
    assert refused.value.code == "invalid"
    session.expire_all()
    assert other_team.status == S.AVAILABLE


def test_full_call_moves_incident_and_records_outcome(session, team, incident):
    seen = []
    for action in (Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR):
        result = status.apply(session, team, tap(action, incident), None)
        session.expire_all()
        seen.append((incident.status, result.event.incident_id, result.team.incident_id))
    assert seen == [
        (IncidentStatus.ASSIGNED, incident.id, incident.id),
        (IncidentStatus.ASSIGNED, incident.id, incident.id),
        (IncidentStatus.EN_ROUTE, incident.id, incident.id),
        (IncidentStatus.ON_SCENE, incident.id, incident.id),
        (IncidentStatus.CLOSED, incident.id, None),
    ]
    assert incident.closed_at is not None
    assert team.status == S.AVAILABLE
    outcome = session.scalar(select(Outcome).where(Outcome.incident_id == incident.id))
    assert outcome.disposition == "resolved_on_scene" and outcome.people_served == 1
    assignment = session.scalar(select(Assignment))
    assert assignment.end_reason == "cleared" and assignment.accepted_at is not None


def test_clear_without_disposition_changes_nothing(session, team, incident):
    bring_to(session, team, S.ON_SCENE, incident)
    version = team.version
    bad = Tap(Action.CLEAR, str(uuid.uuid4()), outcome=OutcomeInput(disposition=""))
    with pytest.raises(TransitionRefused) as refused:
        status.apply(session, team, bad, None)
    assert refused.value.code == "invalid"
    session.expire_all()
    assert (team.status, team.version) == (S.ON_SCENE, version)
    assert count(session, Outcome) == 0


def test_decline_returns_call_to_the_queue_with_reason(session, team, incident):
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    result = status.apply(session, team, tap(Action.DECLINE, reason="unsafe"), None)
    assert result.event.detail == "unsafe"
    assignment = session.scalar(select(Assignment))
    assert (assignment.end_reason, assignment.decline_reason) == ("declined", "unsafe")
    session.expire_all()
    assert incident.status == IncidentStatus.OPEN


@pytest.mark.parametrize("start", [S.ASSIGNED, S.EN_ROUTE])
def test_cancel_takes_the_team_off_and_the_call_back_to_waiting(session, team, incident, start):
    bring_to(session, team, start, incident)
    result = status.apply(session, team, tap(Action.CANCEL, reason="caller called back"), None)
    assert result.team.status == S.AVAILABLE and result.team.assignment_id is None
    assert result.event.incident_id == incident.id
    session.expire_all()
    assert incident.status == IncidentStatus.OPEN
    assert session.scalar(select(Assignment.end_reason)) == "cancelled"


def test_out_of_service_on_a_call_hands_the_call_back(session, team, incident):
    bring_to(session, team, S.EN_ROUTE, incident)
    status.apply(session, team, tap(Action.OUT_OF_SERVICE), None)
    session.expire_all()
    assert incident.status == IncidentStatus.OPEN
    assert session.scalar(select(Assignment.end_reason)) == "out_of_service"


def test_log_off_and_on(session, team):
    off = status.apply(session, team, tap(Action.LOG_OFF), None)
    assert off.team.status == S.OFF_DUTY
    on = status.apply(session, team, tap(Action.LOG_ON, expected_version=off.team.version), None)
    assert on.team.status == S.AVAILABLE and on.event.from_status == S.OFF_DUTY


def test_assign_refuses_a_call_already_taken(session, team, other_team, incident):
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    with pytest.raises(TransitionRefused) as refused:
        status.apply(session, other_team, tap(Action.ASSIGN, incident), None)
    assert refused.value.message == "Call D1 is Assigned, not waiting for a team."
    session.expire_all()
    assert other_team.status == S.AVAILABLE
    assert count(session, Assignment) == 1


def test_position_and_device_time_are_kept(session, team, incident):
    device_time = datetime.now(UTC) - timedelta(minutes=3)
    result = status.apply(
        session,
        team,
        tap(Action.ASSIGN, incident, occurred_at=device_time, lat=36.0, lon=-78.9),
        None,
    )
    assert result.event.occurred_at == device_time
    assert result.event.received_at > device_time
    session.expire_all()
    assert (team.last_lat, team.last_lon, team.position_at) == (36.0, -78.9, device_time)


def test_allowed_actions_follow_acceptance():
    assert status.allowed_actions("available") == []
    assert status.allowed_actions("assigned") == [Action.ACCEPT, Action.DECLINE]
    assert status.allowed_actions("assigned", accepted=True) == [Action.EN_ROUTE]
    assert status.allowed_actions("on_scene") == [Action.CLEAR]
    assert status.allowed_actions("out_of_service") == [Action.BACK_IN_SERVICE]


def test_next_steps_walk_the_call_offline_each_expecting_the_version_before_it():
    steps = status.next_steps("assigned", 7)
    assert [(s.version, s.actions) for s in steps] == [
        (7, (Action.ACCEPT, Action.DECLINE)),
        (8, (Action.EN_ROUTE,)),
        (9, (Action.ON_SCENE,)),
        (10, (Action.CLEAR,)),
    ]
    chain = [(b.action, b.status_after, b.then) for s in steps for b in s.buttons]
    assert chain == [
        (Action.ACCEPT, S.ASSIGNED, 1),
        (Action.DECLINE, S.AVAILABLE, None),
        (Action.EN_ROUTE, S.EN_ROUTE, 2),
        (Action.ON_SCENE, S.ON_SCENE, 3),
        (Action.CLEAR, S.AVAILABLE, None),
    ]
    assert [s.actions for s in status.next_steps("assigned", 8, accepted=True)][0] == (
        Action.EN_ROUTE,
    )
    assert [(s.version, s.actions) for s in status.next_steps("out_of_service", 3)] == [
        (3, (Action.BACK_IN_SERVICE,))
    ]
    assert status.next_steps("available", 1) == []


def test_the_answer_is_what_was_written_and_the_feed_hears_it_after_commit(session, team, incident):
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    heard = []

    def listen(_sender, events):
        with Session(session.get_bind()) as other:  # committed: another session sees it
            heard.extend((e.id, other.get(StatusEvent, e.id) is not None) for e in events)

    feed.written.connect(listen)
    try:
        result = status.apply(session, team, tap(Action.ACCEPT, expected_version=2), None)
        with pytest.raises(TransitionRefused):
            status.apply(session, team, tap(Action.ACCEPT, expected_version=2), None)
    finally:
        feed.written.disconnect(listen)
    assert heard == [(result.event.id, True)]
    assert result.team.accepted and result.team.steps[0].actions == (Action.EN_ROUTE,)


def test_a_tap_sends_four_statements(session, team, incident):
    """Accept, en route, on scene: the turn on the feed, the swap, the event, the call."""
    status.apply(session, team, tap(Action.ASSIGN, incident), None)
    engine, sent = session.get_bind(), []
    listen = lambda *args: sent.append(args[2].split()[0])  # noqa: E731
    counts = {}
    for action in (Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
        loaded = session.get(Team, team.id)
        version = loaded.version
        sent.clear()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            status.apply(session, loaded, tap(action, expected_version=version), None)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        counts[action] = list(sent)
    lock = "BEGIN" if engine.dialect.name == "sqlite" else "SELECT"
    assert counts == {
        Action.ACCEPT: [lock, "UPDATE", "INSERT", "UPDATE"],
        Action.EN_ROUTE: [lock, "UPDATE", "INSERT", "UPDATE"],
        Action.ON_SCENE: [lock, "UPDATE", "INSERT", "UPDATE"],
    }


def test_a_second_call_is_tied_to_its_own_assignment(session, team):
    """Earlier, ended assignments of the team never stand in for the open one."""
    for cad in ("D1", "D2"):
        incident = new_incident(session, cad)
        for action in (Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
            result = status.apply(session, team, tap(action, incident), None)
            assert result.event.incident_id == incident.id == result.team.incident_id
        status.apply(session, team, tap(Action.CLEAR), None)
        session.expire_all()
        assert incident.status == IncidentStatus.CLOSED
    assert count(session, Outcome) == 2
