"""Steering a call after intake: updates to the team (notes and `Got it`), cancelling the
call, resolving a waiting call with a coded outcome, reassigning it, diverting an en-route
team to a more urgent call.

Each operation is one transaction under the feed's lock (feed.writing), so two
dispatchers acting at once take turns: the second reads the state the first left and is
refused (Refused, answered 409 with the current state) when its action no longer applies.
Nothing is half-written: every row of an operation commits together or not at all.

Team moves use the status machine's table (status.RULES) and append one feed entry per team
touched, so phones and boards follow live (and feed.written tells push notifications).
Diverting moves one team only, so it is status.apply() with the DIVERT rule. Notes write a feed entry `note` (detail
`urgent` for urgent ones) and `Got it` one `note_ack`: the entries never carry the text.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import (
    RESOLUTIONS,
    Assignment,
    CallNote,
    CallResolution,
    Incident,
    IncidentStatus,
    Team,
    TeamStatus,
    User,
    utcnow,
)
from ..models.steering import BY_PHONE, SENT_ELSEWHERE
from . import feed, status
from .routing import NO_TEAM_AVAILABLE
from .status import TRANSITIONS, Action, Tap, TransitionRefused

NOTE = "note"
NOTE_ACK = "note_ack"

C = IncidentStatus
# A call can be cancelled, or resolved, while it waits or its team is assigned or en route.
ENDABLE = (C.OPEN, C.ASSIGNED, C.EN_ROUTE)


class Refused(Exception):
    """The action does not apply to the call or team as they are now (HTTP 409)."""

    def __init__(self, message: str, incident: Incident | None = None, team: Team | None = None):
        super().__init__(message)
        self.message = message
        self.incident = incident
        self.team = team

    @property
    def current(self) -> dict:
        """The current state, for the answer: the call's status and its team's, if any."""
        state: dict = {}
        if self.incident is not None:
            state["incident_status"] = self.incident.status
            assignment = self.incident.current_assignment
            if assignment is not None:
                state["team"] = assignment.team.call_sign
                state["team_status"] = assignment.team.status
        if self.team is not None:
            state.setdefault("team", self.team.call_sign)
            state.setdefault("team_status", self.team.status)
        return state


@dataclass(frozen=True)
class Done:
    """What an operation changed: the feed entries it wrote, one per team touched."""

    events: list[feed.FeedEvent]


# Notes -----------------------------------------------------------------------------------


def add_note(
    session: Session, incident: Incident, text: str, urgent: bool, actor: User | None
) -> CallNote:
    """Add an update to the call; the team holding it (if any) hears of it on the feed."""
    with _writing(session) as write:
        note = write_note(write, incident, text, urgent, actor)
    return note


def write_note(
    write: feed.FeedWrite, incident: Incident, text: str, urgent: bool, actor: User | None
) -> CallNote:
    """add_note() inside the caller's feed transaction (e.g. an EIDO update with its notes)."""
    assignment = incident.current_assignment
    note = CallNote(
        incident_id=incident.id,
        text=text,
        urgent=urgent,
        created_at=utcnow(),
        created_by_id=actor.id if actor else None,
        team_id=assignment.team_id if assignment else None,
    )
    write.session.add(note)
    if assignment is not None:
        _signal(write, assignment.team, NOTE, actor, incident.id, "urgent" if urgent else None)
    return note


def acknowledge_note(session: Session, note: CallNote, actor: User) -> CallNote:
    """`Got it` on the phone: the first tap counts, a second changes nothing."""
    with _writing(session) as write:
        if note.acknowledged_at is not None:
            return note
        note.acknowledged_at = utcnow()
        note.acknowledged_by_id = actor.id
        team = actor.team
        if team is not None:
            _signal(write, team, NOTE_ACK, actor, note.incident_id, None)
    return note


def notes_of(session: Session, incident_ids, newest_first: bool = False) -> dict[int, list]:
    """incident id -> its notes, oldest first (or newest first)."""
    ids = list(incident_ids)
    if not ids:
        return {}
    order = CallNote.id.desc() if newest_first else CallNote.id
    found: dict[int, list] = {}
    for note in session.scalars(
        select(CallNote).where(CallNote.incident_id.in_(ids)).order_by(order)
    ):
        found.setdefault(note.incident_id, []).append(note)
    return found


# Ending a call ---------------------------------------------------------------------------


def end_call(
    session: Session,
    incident: Incident,
    code: str,
    actor: User | None,
    reason: str | None = None,
    expected_team: str | None = None,
) -> CallResolution:
    """Cancel the call, or resolve a waiting call with a coded outcome. Its team, if assigned
    or en route, is released to available (feed entry `cancel_call`). A team on scene clears
    instead; a call already ended stays as it is. `expected_team`: the call sign the
    dispatcher saw on the call ("" for none); if it changed meanwhile, refused."""
    if code not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {code!r}")
    with _writing(session) as write:
        status = C(incident.status)
        if status == C.ON_SCENE:
            raise Refused(
                f"Call {incident.cad_number} is on scene: the team clears it, it is not cancelled.",
                incident,
            )
        if status not in ENDABLE:
            raise Refused(
                f"Call {incident.cad_number} is already {status.label.lower()}.", incident
            )
        assignment = incident.current_assignment
        _check_team(incident, assignment, expected_team)
        now = utcnow()
        team = assignment.team if assignment else None
        if assignment is not None:
            _end_assignment(assignment, "call_cancelled", now)
            _move(write, assignment.team, Action.CANCEL_CALL, actor, incident.id, now, incident)
        resolution = CallResolution(
            incident_id=incident.id,
            code=code,
            reason=reason,
            from_status=status.value,
            team_id=team.id if team else None,
            resolved_at=now,
            resolved_by_id=actor.id if actor else None,
        )
        session.add(resolution)
        if code in SENT_ELSEWHERE:
            incident.status = C.ROUTED_ELSEWHERE.value
            incident.routed_to = SENT_ELSEWHERE[code]
            incident.fallback_reason = incident.fallback_reason or NO_TEAM_AVAILABLE
        elif code in BY_PHONE:
            incident.status = C.CLOSED.value
        else:
            incident.status = C.CANCELLED.value
        incident.closed_at = now
    return resolution


# Moving a call between teams ---------------------------------------------------------------


def reassign(
    session: Session,
    incident: Incident,
    team: Team,
    actor: User | None,
    expected_team: str | None = None,
    expected_version: int | None = None,
) -> Done:
    """Give a waiting or assigned call to `team` in one step. The team holding it (if any)
    is released (feed entry `reassign`); the new one is assigned (`assign`)."""
    with _writing(session) as write:
        status = C(incident.status)
        if status not in (C.OPEN, C.ASSIGNED):
            raise Refused(
                f"Call {incident.cad_number} is {status.label.lower()}: only a waiting or "
                "assigned call can be given to another team.",
                incident,
            )
        if incident.location_unverified:
            raise Refused(f"Place call {incident.cad_number} first.", incident)
        assignment = incident.current_assignment
        _check_team(incident, assignment, expected_team)
        if assignment is not None and assignment.team_id == team.id:
            raise Refused(f"{team.call_sign} already has call {incident.cad_number}.", incident)
        _check_version(team, expected_version, incident)
        now = utcnow()
        events = []
        if assignment is not None:
            _end_assignment(assignment, "reassigned", now)
            events.append(
                _move(write, assignment.team, Action.REASSIGN, actor, incident.id, now, incident)
            )
        session.add(
            Assignment(
                incident=incident,
                team_id=team.id,
                assigned_by_id=actor.id if actor else None,
                assigned_at=now,
            )
        )
        events.append(_move(write, team, Action.ASSIGN, actor, incident.id, now, incident))
        incident.status = C.ASSIGNED.value
    return Done(events)


def divert(
    session: Session,
    team: Team,
    incident: Incident,
    actor: User | None,
    expected_version: int | None = None,
) -> Done:
    """Send an en-route team to a waiting call. Its first call goes back to the queue; the
    team stays en route, now to the new call: one team, so one status.apply (RULES: divert)."""
    tap = Tap(
        action=Action.DIVERT,
        client_uuid=str(uuid.uuid4()),
        expected_version=expected_version,
        incident_id=incident.id,
    )
    try:
        result = status.apply(session, team, tap, actor)
    except TransitionRefused as refused:
        session.expire_all()
        raise Refused(refused.message, incident, team) from None
    return Done([result.event])


# Helpers -----------------------------------------------------------------------------------


def _check_team(incident: Incident, assignment: Assignment | None, expected: str | None) -> None:
    if expected is None:
        return
    now_on = assignment.team.call_sign if assignment else ""
    if now_on != expected:
        who = f"now with {now_on}" if now_on else "now waiting for a team"
        raise Refused(f"Call {incident.cad_number} changed meanwhile: it is {who}.", incident)


def _check_version(team: Team, expected: int | None, incident: Incident | None) -> None:
    if expected is not None and expected != team.version:
        raise Refused(
            f"{team.call_sign} changed meanwhile: it is now {team.status_label.lower()}.",
            incident,
            team,
        )


def _end_assignment(assignment: Assignment, why: str, now: datetime) -> None:
    assignment.ended_at = now
    assignment.end_reason = why


@contextmanager
def _writing(session: Session) -> Iterator[feed.FeedWrite]:
    """The feed's transaction, reading every row afresh under its lock."""
    session.commit()
    with feed.writing(session) as write:
        session.expire_all()
        yield write


def _move(
    write: feed.FeedWrite,
    team: Team,
    action: Action,
    actor: User | None,
    incident_id: int,
    now: datetime,
    incident: Incident | None = None,
) -> feed.FeedEvent:
    """Move the team by the table, compare-and-swap on its row version, and log the event."""
    from_status = TeamStatus(team.status)
    to_status = TRANSITIONS[action].get(from_status)
    if to_status is None:
        raise Refused(
            f"{team.call_sign} is {from_status.label.lower()}: "
            f"{action.label.lower()} is not possible.",
            incident,
            team,
        )
    version = team.version
    swapped = write.session.execute(
        update(Team)
        .where(Team.id == team.id, Team.version == version, Team.status == from_status)
        .values(
            status=to_status.value,
            version=version + 1,
            status_since=now if to_status != from_status else Team.status_since,
        )
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:
        raise Refused(f"{team.call_sign} changed meanwhile.", incident, team)
    return write.add(
        team_id=team.id,
        incident_id=incident_id,
        actor_id=actor.id if actor else None,
        action=action.value,
        from_status=from_status.value,
        to_status=to_status.value,
        team_version=version + 1,
        occurred_at=now,
        received_at=now,
        client_uuid=str(uuid.uuid4()),
    )


def _signal(
    write: feed.FeedWrite,
    team: Team,
    kind: str,
    actor: User | None,
    incident_id: int,
    detail: str | None,
) -> feed.FeedEvent:
    """A feed entry that changes no status, written in the caller's transaction."""
    now = utcnow()
    return write.add(
        team_id=team.id,
        incident_id=incident_id,
        actor_id=actor.id if actor else None,
        action=kind,
        from_status=team.status,
        to_status=team.status,
        team_version=team.version,
        occurred_at=now,
        received_at=now,
        client_uuid=str(uuid.uuid4()),
        detail=detail,
    )
