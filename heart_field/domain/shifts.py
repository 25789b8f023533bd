"""Shifts and crews: who works which unit now, and logging units on and off duty.

A unit is off duty until it is logged on: by the dispatcher, the CAD (API), or the first
crew member who starts a shift on it. It goes off duty when logged off, never while it
holds a call; logging a unit off ends its crew's shifts. The last crew member to end their
shift logs the unit off. A responder whose home unit is on duty joins its crew on sign-in.

Status changes go through heart_field.domain.status (log_on, log_off). A crew change on a
unit that stays on duty writes no feed entry (the feed is status changes and signals the
API's readers act on): the board shows it at its next refresh (20 s at most).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    REQUIRED_ROLES,
    CrewRole,
    Role,
    Shift,
    Team,
    TeamStatus,
    UnitType,
    User,
    utcnow,
)
from ..models.shifts import ROLE_OF_DISCIPLINE
from . import status
from .routing import ServiceHours
from .status import Action, Tap, TransitionRefused

ON_A_CALL = (TeamStatus.ASSIGNED, TeamStatus.EN_ROUTE, TeamStatus.ON_SCENE)


class ShiftRefused(Exception):
    """The shift change cannot be made; nothing was changed. `code` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ShiftEnded:
    team: Team
    logged_off: bool  # the person was the last of the crew, and the unit went off duty


def crew(session: Session, team: Team) -> list[Shift]:
    """The unit's crew now, in role order."""
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.team_id == team.id, Shift.ended_at.is_(None))
            .order_by(Shift.role, Shift.started_at)
        )
    )


def crews(session: Session, team_ids=None) -> dict[int, list[Shift]]:
    """Every unit's crew now (or these units'), by team id (one query, for the board)."""
    found: dict[int, list[Shift]] = {}
    query = select(Shift).where(Shift.ended_at.is_(None)).order_by(Shift.role, Shift.started_at)
    if team_ids is not None:
        query = query.where(Shift.team_id.in_(list(team_ids)))
    rows = session.scalars(query)
    for shift in rows:
        found.setdefault(shift.team_id, []).append(shift)
    return found


def missing(team: Team, shifts: list[Shift]) -> list[CrewRole]:
    """The roles the unit's kind needs that nobody on the crew fills."""
    have = {s.role for s in shifts}
    return [r for r in REQUIRED_ROLES.get(team.unit_type, ()) if r not in have]


def role_of(user: User) -> CrewRole | None:
    return ROLE_OF_DISCIPLINE.get(user.discipline) if user.discipline else None


def _unit_kind_refusal(user: User, team: Team, role: CrewRole) -> str | None:
    needed = REQUIRED_ROLES.get(team.unit_type, ())
    if role in needed:
        return None
    crew_words = ", ".join(r.label for r in needed)
    who = user.discipline_label or role.label
    return (
        f"{team.call_sign} is a {UnitType(team.unit_type).label} unit (crew: {crew_words}): "
        f"there is no place on it for a {who}."
    )


def start_shift(session: Session, user: User, team: Team, role: str | None = None) -> Shift:
    """Start the person's shift on the unit in the role (their discipline's by default),
    logging the unit on if it was off duty. Commits; raises ShiftRefused changing nothing."""
    if user.role != Role.RESPONDER:
        raise ShiftRefused("not_a_responder", "Only responders work a shift on a unit.")
    if team.retired_at is not None:
        raise ShiftRefused("retired", f"{team.call_sign} is retired.")
    own = role_of(user)
    try:
        chosen = CrewRole(role) if role else own
    except ValueError:
        raise ShiftRefused("invalid", "Choose your role on the crew.") from None
    if chosen is None:
        # No discipline on record and no role chosen: the first place the crew lacks.
        lacking = missing(team, crew(session, team)) or list(REQUIRED_ROLES[team.unit_type])
        chosen = lacking[0]
    if own is not None and chosen != own:
        raise ShiftRefused(
            "wrong_role",
            f"Your discipline ({user.discipline_label}) takes the {own.label} place on a crew.",
        )
    refusal = _unit_kind_refusal(user, team, chosen)
    if refusal:
        raise ShiftRefused("wrong_unit", refusal)
    current = user.open_shift
    if current is not None:
        if current.team_id == team.id:
            return current
        raise ShiftRefused(
            "on_shift",
            f"You are on a shift on {current.team.call_sign}. End it before starting another.",
        )
    shift = Shift(user_id=user.id, team_id=team.id, role=chosen.value, started_at=utcnow())
    session.add(shift)
    session.commit()
    if team.status == TeamStatus.OFF_DUTY:
        _log_on(session, team, user, undo=shift)
    session.refresh(user)
    return shift


def join_home_unit(session: Session, user: User) -> Shift | None:
    """On sign-in: a responder whose home unit is on duty joins its crew (no tap needed).
    Nothing happens when they are on a shift already or their home unit is off duty."""
    team = user.team
    if (
        user.role != Role.RESPONDER
        or team is None
        or team.retired_at is not None
        or team.status == TeamStatus.OFF_DUTY
        or user.open_shift is not None
    ):
        return None
    try:
        return start_shift(session, user, team)
    except ShiftRefused:
        return None  # e.g. no discipline, or a discipline the unit has no place for


def end_shift(session: Session, user: User) -> ShiftEnded:
    """End the person's shift. The last of the crew logs the unit off; while the unit holds
    a call the last shift cannot end (the call needs its crew). Commits."""
    shift = user.open_shift
    if shift is None:
        raise ShiftRefused("not_on_shift", "You are not on a shift.")
    team = shift.team
    others = [s for s in crew(session, team) if s.id != shift.id]
    if not others:
        _refuse_while_on_a_call(session, team, "end the last shift on it")
    shift.ended_at = utcnow()
    session.commit()
    logged_off = False
    if not others and team.status == TeamStatus.AVAILABLE:
        logged_off = _apply(session, team, Action.LOG_OFF, user)
    session.refresh(user)
    return ShiftEnded(team, logged_off)


def log_on(session: Session, team: Team, actor: User | None) -> bool:
    """Put the unit on duty (dispatcher or CAD). A unit already on duty is left as it is:
    answers whether anything changed."""
    if team.retired_at is not None:
        raise ShiftRefused("retired", f"{team.call_sign} is retired.")
    if team.status != TeamStatus.OFF_DUTY:
        return False
    return _apply(session, team, Action.LOG_ON, actor)


def log_off(session: Session, team: Team, actor: User | None) -> bool:
    """Take the unit off duty and end its crew's shifts; refused while it holds a call.
    A unit already off duty is left as it is: answers whether anything changed."""
    if team.status == TeamStatus.OFF_DUTY:
        return False
    _refuse_while_on_a_call(session, team, "log off")
    if team.status != TeamStatus.AVAILABLE:
        raise ShiftRefused(
            "illegal_transition",
            f"{team.call_sign} is {team.status_label}: put it back in service to log it off.",
        )
    changed = _apply(session, team, Action.LOG_OFF, actor)
    now = utcnow()
    for shift in crew(session, team):
        shift.ended_at = now
    session.commit()
    return changed


def _refuse_while_on_a_call(session: Session, team: Team, what: str) -> None:
    assignment = status.current_assignment(session, team.id)
    if assignment is not None or team.status in ON_A_CALL:
        call = f"call {assignment.incident.cad_number}" if assignment else "a call"
        raise ShiftRefused(
            "holds_call",
            f"{team.call_sign} holds {call}: it cannot {what} until the call is cleared "
            "or cancelled.",
        )


def _apply(session: Session, team: Team, action: Action, actor: User | None) -> bool:
    try:
        result = status.apply(
            session, team, Tap(action=action, client_uuid=str(uuid.uuid4())), actor
        )
    except TransitionRefused as refused:
        raise ShiftRefused(refused.code, refused.message) from None
    return result.applied


def _log_on(session: Session, team: Team, user: User, undo: Shift) -> None:
    """Log the unit on for the shift just started; if that fails, the shift is taken back."""
    try:
        _apply(session, team, Action.LOG_ON, user)
    except ShiftRefused:
        session.refresh(team)
        if team.status == TeamStatus.OFF_DUTY:
            session.delete(session.merge(undo))
            session.commit()
            raise  # otherwise someone else logged it on meanwhile: the shift stands


def open_units(session: Session) -> list[Team]:
    """Units not retired, by call sign."""
    return list(
        session.scalars(select(Team).where(Team.retired_at.is_(None)).order_by(Team.call_sign))
    )


def an_hour_past_service_hours(hours: ServiceHours, zone: tzinfo, now: datetime) -> bool:
    """Now is at least an hour past the end of service hours (and before they start again):
    a unit still on duty then is flagged on the board."""
    return not hours.contains(now, zone) and not hours.contains(now - timedelta(hours=1), zone)
