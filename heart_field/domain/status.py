"""The team status machine: the only code that changes a team's status.

    off_duty -> available (log on), available -> off_duty (log off)
    available -> assigned -> en_route -> on_scene -> available (clear)
    assigned -> available (decline, or the dispatcher cancels)
    any on-duty status -> out_of_service -> available

`accept` acknowledges an assignment: it is an event of its own and the team stays
`assigned`. Every applied action appends one StatusEvent. A client UUID seen before is
answered with its first event and changes nothing (offline replays and double taps).
A stale row version or an illegal action raises TransitionRefused, carrying the team's
current state, which the web and API layers answer with 409.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from .. import live
from ..models import (
    DISPOSITIONS,
    Assignment,
    Incident,
    IncidentStatus,
    Outcome,
    StatusEvent,
    Team,
    TeamStatus,
    User,
    utcnow,
)


class Action(StrEnum):
    ASSIGN = "assign"
    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLEAR = "clear"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    LOG_ON = "log_on"
    LOG_OFF = "log_off"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ASSIGN: "Assign",
    Action.ACCEPT: "Accept",
    Action.DECLINE: "Decline",
    Action.CANCEL: "Cancel assignment",
    Action.EN_ROUTE: "En route",
    Action.ON_SCENE: "On scene",
    Action.CLEAR: "Clear",
    Action.OUT_OF_SERVICE: "Out of service",
    Action.BACK_IN_SERVICE: "Back in service",
    Action.LOG_ON: "Log on",
    Action.LOG_OFF: "Log off",
}

S = TeamStatus
_IN_SERVICE = (S.AVAILABLE, S.ASSIGNED, S.EN_ROUTE, S.ON_SCENE)

# action -> {from status: to status}
TRANSITIONS: dict[Action, dict[TeamStatus, TeamStatus]] = {
    Action.ASSIGN: {S.AVAILABLE: S.ASSIGNED},
    Action.ACCEPT: {S.ASSIGNED: S.ASSIGNED},
    Action.DECLINE: {S.ASSIGNED: S.AVAILABLE},
    Action.CANCEL: {S.ASSIGNED: S.AVAILABLE},
    Action.EN_ROUTE: {S.ASSIGNED: S.EN_ROUTE},
    Action.ON_SCENE: {S.EN_ROUTE: S.ON_SCENE},
    Action.CLEAR: {S.ON_SCENE: S.AVAILABLE},
    Action.OUT_OF_SERVICE: {s: S.OUT_OF_SERVICE for s in _IN_SERVICE},
    Action.BACK_IN_SERVICE: {S.OUT_OF_SERVICE: S.AVAILABLE},
    Action.LOG_ON: {S.OFF_DUTY: S.AVAILABLE},
    Action.LOG_OFF: {S.AVAILABLE: S.OFF_DUTY},
}

# Actions a team's own responders take from the field screen, in the order shown.
FIELD_ACTIONS = (Action.ACCEPT, Action.DECLINE, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR)

_ENDS_ASSIGNMENT = (Action.CLEAR, Action.DECLINE, Action.CANCEL, Action.OUT_OF_SERVICE)

_INCIDENT_STATUS_AFTER = {
    Action.ASSIGN: IncidentStatus.ASSIGNED,
    Action.EN_ROUTE: IncidentStatus.EN_ROUTE,
    Action.ON_SCENE: IncidentStatus.ON_SCENE,
    Action.CLEAR: IncidentStatus.CLOSED,
    Action.DECLINE: IncidentStatus.OPEN,
    Action.CANCEL: IncidentStatus.OPEN,
    Action.OUT_OF_SERVICE: IncidentStatus.OPEN,
}


class TransitionRefused(Exception):
    """The action cannot apply to the team as it is now."""

    def __init__(self, code: str, message: str, team: Team):
        super().__init__(message)
        self.code = code  # "stale_version", "illegal_transition", "invalid"
        self.message = message
        self.team = team


@dataclass(frozen=True)
class OutcomeInput:
    disposition: str
    people_served: int | None = None
    services: tuple[str, ...] = ()
    transport: bool = False
    police_requested: bool = False
    ems_requested: bool = False
    notes: str | None = None


@dataclass(frozen=True)
class Tap:
    """One request to change a team's status, as a device or the dispatcher sent it."""

    action: Action
    client_uuid: str
    expected_version: int | None = None  # None: whatever the version is now
    occurred_at: datetime | None = None  # device time; None means now
    lat: float | None = None
    lon: float | None = None
    incident_id: int | None = None  # required to assign
    reason: str | None = None  # decline or cancel reason
    outcome: OutcomeInput | None = None  # required to clear


@dataclass(frozen=True)
class TransitionResult:
    event: StatusEvent
    applied: bool  # False when the UUID was seen before and nothing changed
    # The team's open assignment after the action (None: it has none), when applied.
    assignment: Assignment | None = None


def allowed_actions(status: str, assignment: Assignment | None = None) -> list[Action]:
    """The field actions legal now. After Accept, Accept and Decline give way to En route."""
    actions = [a for a in FIELD_ACTIONS if TeamStatus(status) in TRANSITIONS[a]]
    if status == S.ASSIGNED and assignment is not None:
        if assignment.accepted_at is None:
            actions.remove(Action.EN_ROUTE)
        else:
            actions = [Action.EN_ROUTE]
    return actions


# A status that reached the server this long after the device recorded it was sent late
# (typically replayed from the offline outbox): the board says so.
LATE_AFTER = timedelta(minutes=1)


def late_statuses(session: Session) -> dict[int, StatusEvent]:
    """Each team's current status event, for the teams whose current status arrived late."""
    current = session.scalars(
        select(StatusEvent).join(
            Team, (StatusEvent.team_id == Team.id) & (StatusEvent.team_version == Team.version)
        )
    ).all()
    return {e.team_id: e for e in current if e.received_at - e.occurred_at > LATE_AFTER}


def current_assignment(session: Session, team_id: int) -> Assignment | None:
    """The team's open assignment, with its call (one query)."""
    return session.scalars(
        select(Assignment)
        .options(joinedload(Assignment.incident))
        .where(Assignment.team_id == team_id, Assignment.ended_at.is_(None))
        .order_by(Assignment.id.desc())
    ).first()


def apply(session: Session, team: Team, tap: Tap, actor: User | None) -> TransitionResult:
    """Apply one tap and commit, or raise TransitionRefused having changed nothing."""
    live.begin_feed_write(session)
    try:
        return _apply(session, team, tap, actor)
    finally:
        # End the write transaction however it went (after a commit this does nothing),
        # so no lock is held while the caller renders its answer.
        session.rollback()


def _apply(session: Session, team: Team, tap: Tap, actor: User | None) -> TransitionResult:
    earlier = session.scalar(select(StatusEvent).where(StatusEvent.client_uuid == tap.client_uuid))
    if earlier is not None:
        if earlier.team_id != team.id:
            raise TransitionRefused("invalid", "That request id was already used.", team)
        return TransitionResult(earlier, applied=False)

    from_status = TeamStatus(team.status)
    to_status = TRANSITIONS[tap.action].get(from_status)
    if tap.expected_version is not None and tap.expected_version != team.version:
        raise TransitionRefused(
            "stale_version",
            f"{team.call_sign} changed before this tap arrived: it is now {from_status.label}.",
            team,
        )
    if to_status is None and from_status == S.OFF_DUTY:
        raise TransitionRefused(
            "illegal_transition",
            f"{team.call_sign} is off duty (its shift has ended), so {tap.action.label} "
            "was not applied.",
            team,
        )
    if to_status is None:
        raise TransitionRefused(
            "illegal_transition",
            f"{tap.action.label} is not possible while {team.call_sign} is {from_status.label}.",
            team,
        )

    now = utcnow()
    assignment = current_assignment(session, team.id)
    incident, assignment = _apply_to_assignment(session, team, tap, actor, assignment, now)

    # Compare-and-swap on the row version, so two concurrent taps cannot both apply.
    swapped = session.execute(
        update(Team)
        .where(Team.id == team.id, Team.version == team.version, Team.status == from_status)
        .values(
            status=to_status.value,
            version=Team.version + 1,
            status_since=now if to_status != from_status else Team.status_since,
            **_position(tap, now),
        )
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:
        session.rollback()
        # The same tap sent twice at once (a replay racing its original): the winner is the answer.
        earlier = session.scalar(
            select(StatusEvent).where(StatusEvent.client_uuid == tap.client_uuid)
        )
        if earlier is not None and earlier.team_id == team.id:
            return TransitionResult(earlier, applied=False)
        session.refresh(team)
        raise TransitionRefused(
            "stale_version",
            f"{team.call_sign} changed before this tap arrived: it is now {team.status_label}.",
            team,
        )
    event = StatusEvent(
        team_id=team.id,
        incident_id=incident.id if incident else None,
        actor_id=actor.id if actor else None,
        action=tap.action.value,
        from_status=from_status.value,
        to_status=to_status.value,
        team_version=team.version + 1,
        occurred_at=tap.occurred_at or now,
        received_at=now,
        client_uuid=tap.client_uuid,
        lat=tap.lat,
        lon=tap.lon,
        detail=tap.reason,
    )
    session.add(event)
    try:
        _commit_keeping_state(session)
    except IntegrityError:
        # The same UUID raced in from another request: answer with the one that won.
        session.rollback()
        earlier = session.scalar(
            select(StatusEvent).where(StatusEvent.client_uuid == tap.client_uuid)
        )
        if earlier is None:
            raise
        return TransitionResult(earlier, applied=False)
    live.nudge()
    # The swap succeeded, so the row was exactly as read under the lock plus these values:
    # set them rather than reading the team again.
    for name, value in dict(
        status=to_status.value,
        version=team.version + 1,
        status_since=now if to_status != from_status else team.status_since,
        **_position(tap, now),
    ).items():
        set_committed_value(team, name, value)
    return TransitionResult(event, applied=True, assignment=assignment)


def _commit_keeping_state(session: Session) -> None:
    """Commit without expiring what this transaction read and wrote: the rows were read
    under the feed lock (live.begin_feed_write) and written here, so they are current as
    committed, and the answer can be rendered from them without reading them again."""
    target = session() if isinstance(session, scoped_session) else session
    keep = target.expire_on_commit
    target.expire_on_commit = False
    try:
        target.commit()
    finally:
        target.expire_on_commit = keep


def _position(tap: Tap, now: datetime) -> dict[str, Any]:
    if tap.lat is None or tap.lon is None:
        return {}
    return {"last_lat": tap.lat, "last_lon": tap.lon, "position_at": tap.occurred_at or now}


def _apply_to_assignment(
    session: Session,
    team: Team,
    tap: Tap,
    actor: User | None,
    assignment: Assignment | None,
    now: datetime,
) -> tuple[Incident | None, Assignment | None]:
    """Update the assignment, incident and outcome that go with the action; answer the call
    and the team's open assignment after it (None once it has ended)."""
    action = tap.action
    if action == Action.ASSIGN:
        incident = session.get(Incident, tap.incident_id) if tap.incident_id else None
        if incident is None:
            raise TransitionRefused("invalid", "Choose a call to assign.", team)
        if incident.status != IncidentStatus.OPEN:
            raise TransitionRefused(
                "illegal_transition",
                f"Call {incident.cad_number} is {incident.status_label}, not waiting for a team.",
                team,
            )
        assignment = Assignment(
            incident=incident,
            team_id=team.id,
            assigned_by_id=actor.id if actor else None,
            assigned_at=now,
        )
        session.add(assignment)
    elif assignment is None:
        return None, None
    incident = assignment.incident

    if action in (Action.ACCEPT, Action.EN_ROUTE) and assignment.accepted_at is None:
        assignment.accepted_at = tap.occurred_at or now
    if action == Action.CLEAR:
        if tap.outcome is None or tap.outcome.disposition not in DISPOSITIONS:
            raise TransitionRefused("invalid", "Choose a disposition to clear the call.", team)
        session.add(_outcome(tap.outcome, incident, team, actor, now))
        incident.closed_at = tap.occurred_at or now
    if action in _ENDS_ASSIGNMENT:
        assignment.ended_at = tap.occurred_at or now
        assignment.end_reason = {
            Action.CLEAR: "cleared",
            Action.DECLINE: "declined",
            Action.CANCEL: "cancelled",
            Action.OUT_OF_SERVICE: "out_of_service",
        }[action]
        if action == Action.DECLINE:
            assignment.decline_reason = tap.reason
    if action in _INCIDENT_STATUS_AFTER:
        incident.status = _INCIDENT_STATUS_AFTER[action].value
    return incident, (None if action in _ENDS_ASSIGNMENT else assignment)


def _outcome(data: OutcomeInput, incident: Incident, team: Team, actor, now) -> Outcome:
    return Outcome(
        incident_id=incident.id,
        team_id=team.id,
        disposition=data.disposition,
        people_served=data.people_served,
        services=list(data.services),
        transport=data.transport,
        police_requested=data.police_requested,
        ems_requested=data.ems_requested,
        notes=data.notes,
        recorded_by_id=actor.id if actor else None,
        recorded_at=now,
    )
