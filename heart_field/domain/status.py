"""The team status machine: the only code that changes a team's status.

    off_duty -> available (log on), available -> off_duty (log off)
    available -> assigned -> en_route -> on_scene -> available (clear)
    assigned -> available (decline); assigned | en_route -> available (cancel)
    any on-duty status -> out_of_service -> available (back in service)

`accept` acknowledges an assignment: it is an event of its own and the team stays `assigned`.

Each action is one row of ``RULES``: where it may start, where it leads, and what it does to
the team's call (its assignment and incident). To add an action, add it to ``Action`` and give
it a row; an effect the row's fields cannot say goes in ``also``, a function that gets the
:class:`Change` (the open transaction's connection and what the tap is doing) and writes with it.

:func:`apply` is the write, in one transaction (``feed.writing``): the compare-and-swap on
the team's row version first, then the event (a client UUID seen before makes the insert fail:
that is the idempotency check), then the assignment and incident. It takes a session and plain
values, returns plain values (:class:`TransitionResult`), and knows nothing of web requests.
A stale row version or an illegal action raises :class:`TransitionRefused` with the team's
current state, which the web and API layers answer with 409.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload

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
from . import feed
from .feed import FeedEvent

S = TeamStatus
ON_DUTY = (S.AVAILABLE, S.ASSIGNED, S.EN_ROUTE, S.ON_SCENE)
ON_A_CALL = (S.ASSIGNED, S.EN_ROUTE, S.ON_SCENE)

_teams = Team.__table__
_assignments = Assignment.__table__
_incidents = Incident.__table__
_outcomes = Outcome.__table__


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
    # The dispatcher or the CAD steering a call (heart_field.domain.steering).
    CANCEL_CALL = "cancel_call"  # the call is cancelled; its team is released
    REASSIGN = "reassign"  # the call goes to another team; this one is released
    DIVERT = "divert"  # an en-route team is sent to another call; its first call waits again

    @property
    def label(self) -> str:
        return RULES[self].label


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
    incident_id: int | None = None  # the call the tap names (assign)
    reason: str | None = None  # decline or cancel reason, kept as the event's detail
    outcome: OutcomeInput | None = None  # required to clear


@dataclass
class Change:
    """One tap being applied, inside its transaction: what a rule's ``also`` gets.
    ``assignment_id``/``incident_id`` are the team's open call (None: it has none); an
    effect that starts or moves a call sets them."""

    connection: Connection
    tap: Tap
    team_id: int
    actor_id: int | None
    now: datetime
    assignment_id: int | None
    incident_id: int | None
    accepted: bool

    @property
    def when(self) -> datetime:
        """When it happened: the device's time, or now."""
        return self.tap.occurred_at or self.now


@dataclass(frozen=True)
class Rule:
    """One action: the statuses it moves between and what it does to the team's call."""

    label: str  # the button's words
    moves: Mapping[TeamStatus, TeamStatus]  # from status -> to status
    call_becomes: IncidentStatus | None = None  # the call's status after (if the team has one)
    closes_call: bool = False  # stamps the call's closed_at
    accepts: bool = False  # the assignment counts as accepted from now (if it was not)
    ends_assignment: str | None = None  # the team is off its call, for this end_reason
    reason_is_decline_reason: bool = False  # the tap's reason goes on the assignment too
    check: Callable[[Tap], str | None] | None = None  # what the tap lacks, before any write
    also: Callable[[Change], None] | None = None  # any other write, run first


def _needs_call(tap: Tap) -> str | None:
    return None if tap.incident_id else "Choose a call to assign."


def _needs_disposition(tap: Tap) -> str | None:
    if tap.outcome is None or tap.outcome.disposition not in DISPOSITIONS:
        return "Choose a disposition to clear the call."
    return None


def _assign(change: Change) -> None:
    """The call must be waiting: it becomes assigned, with a new assignment for the team."""
    conn, incident_id = change.connection, change.tap.incident_id
    taken = conn.execute(
        update(_incidents)
        .where(_incidents.c.id == incident_id, _incidents.c.status == IncidentStatus.OPEN)
        .values(status=IncidentStatus.ASSIGNED.value)
        .returning(_incidents.c.id)
    ).first()
    if taken is None:
        call = conn.execute(
            select(_incidents.c.cad_number, _incidents.c.status).where(
                _incidents.c.id == incident_id
            )
        ).first()
        if call is None:
            raise _Refused("invalid", "Choose a call to assign.")
        raise _Refused(
            "illegal_transition",
            f"Call {call.cad_number} is {IncidentStatus(call.status).label}, "
            "not waiting for a team.",
        )
    _take_call(change, incident_id, accepted=False)


def _take_call(change: Change, incident_id: int, accepted: bool) -> None:
    """The team's new assignment to the call (accepted at once when it is already on the road)."""
    change.assignment_id = change.connection.execute(
        insert(_assignments)
        .values(
            incident_id=incident_id,
            team_id=change.team_id,
            assigned_by_id=change.actor_id,
            assigned_at=change.now,
            accepted_at=change.now if accepted else None,
        )
        .returning(_assignments.c.id)
    ).scalar_one()
    change.incident_id = incident_id
    change.accepted = accepted


def _record_outcome(change: Change) -> None:
    data = change.tap.outcome
    if change.incident_id is None or data is None:
        return
    change.connection.execute(
        insert(_outcomes).values(
            incident_id=change.incident_id,
            team_id=change.team_id,
            disposition=data.disposition,
            people_served=data.people_served,
            services=list(data.services),
            transport=data.transport,
            police_requested=data.police_requested,
            ems_requested=data.ems_requested,
            notes=data.notes,
            recorded_by_id=change.actor_id,
            recorded_at=change.now,
        )
    )


def _divert(change: Change) -> None:
    """The team's call waits again; the team takes the waiting call tap.incident_id, already
    on the road (accepted), so the call becomes en route."""
    conn, incident_id = change.connection, change.tap.incident_id
    taken = conn.execute(
        update(_incidents)
        .where(_incidents.c.id == incident_id, _incidents.c.status == IncidentStatus.OPEN)
        .values(status=IncidentStatus.EN_ROUTE.value)
        .returning(_incidents.c.id)
    ).first()
    if taken is None or incident_id == change.incident_id:
        raise _Refused("illegal_transition", "That call is not waiting for a team.")
    if change.assignment_id is not None:
        conn.execute(
            update(_assignments)
            .where(_assignments.c.id == change.assignment_id)
            .values(ended_at=change.when, end_reason="diverted")
        )
        conn.execute(
            update(_incidents)
            .where(_incidents.c.id == change.incident_id)
            .values(status=IncidentStatus.OPEN.value)
        )
    _take_call(change, incident_id, accepted=True)


# One row per action. Adding one: an Action member, a row here, a test in test_status.py.
RULES: dict[Action, Rule] = {
    Action.ASSIGN: Rule("Assign", {S.AVAILABLE: S.ASSIGNED}, check=_needs_call, also=_assign),
    Action.ACCEPT: Rule("Accept", {S.ASSIGNED: S.ASSIGNED}, accepts=True),
    Action.DECLINE: Rule(
        "Decline",
        {S.ASSIGNED: S.AVAILABLE},
        call_becomes=IncidentStatus.OPEN,
        ends_assignment="declined",
        reason_is_decline_reason=True,
    ),
    Action.CANCEL: Rule(
        "Cancel assignment",
        {S.ASSIGNED: S.AVAILABLE, S.EN_ROUTE: S.AVAILABLE},
        call_becomes=IncidentStatus.OPEN,  # back to waiting for a team
        ends_assignment="cancelled",
    ),
    Action.EN_ROUTE: Rule(
        "En route", {S.ASSIGNED: S.EN_ROUTE}, call_becomes=IncidentStatus.EN_ROUTE, accepts=True
    ),
    Action.ON_SCENE: Rule(
        "On scene", {S.EN_ROUTE: S.ON_SCENE}, call_becomes=IncidentStatus.ON_SCENE
    ),
    Action.CLEAR: Rule(
        "Clear",
        {S.ON_SCENE: S.AVAILABLE},
        call_becomes=IncidentStatus.CLOSED,
        closes_call=True,
        ends_assignment="cleared",
        check=_needs_disposition,
        also=_record_outcome,
    ),
    Action.OUT_OF_SERVICE: Rule(
        "Out of service",
        {s: S.OUT_OF_SERVICE for s in ON_DUTY},
        call_becomes=IncidentStatus.OPEN,
        ends_assignment="out_of_service",
    ),
    Action.BACK_IN_SERVICE: Rule("Back in service", {S.OUT_OF_SERVICE: S.AVAILABLE}),
    Action.LOG_ON: Rule("Log on", {S.OFF_DUTY: S.AVAILABLE}),
    Action.LOG_OFF: Rule("Log off", {S.AVAILABLE: S.OFF_DUTY}),
    # Steering (heart_field.domain.steering): cancel_call and reassign are applied there with
    # the rows they write alongside (the resolution; the new team); alone, they do this.
    Action.CANCEL_CALL: Rule(
        "Cancel call",
        {S.ASSIGNED: S.AVAILABLE, S.EN_ROUTE: S.AVAILABLE},
        call_becomes=IncidentStatus.CANCELLED,
        closes_call=True,
        ends_assignment="call_cancelled",
    ),
    Action.REASSIGN: Rule(
        "Reassign",
        {S.ASSIGNED: S.AVAILABLE},
        call_becomes=IncidentStatus.OPEN,
        ends_assignment="reassigned",
    ),
    Action.DIVERT: Rule(
        "Divert",
        {S.EN_ROUTE: S.EN_ROUTE},
        call_becomes=IncidentStatus.EN_ROUTE,
        check=_needs_call,
        also=_divert,
    ),
}

# action -> {from status: to status}, for readers that want the machine alone.
TRANSITIONS: dict[Action, Mapping[TeamStatus, TeamStatus]] = {a: r.moves for a, r in RULES.items()}


# ------------------------------------------------------------------------- the next steps

# Actions a team's own responders take from the field screen's step buttons, in the order shown.
FIELD_ACTIONS = (
    Action.ACCEPT,
    Action.DECLINE,
    Action.EN_ROUTE,
    Action.ON_SCENE,
    Action.CLEAR,
    Action.BACK_IN_SERVICE,
)
# The way a call usually goes. Offline, the screen walks along it without the server.
HAPPY_PATH = (Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR)


@dataclass(frozen=True)
class Button:
    action: Action
    status_after: TeamStatus
    then: int | None  # the step shown after this tap when it is queued offline; None: no more


@dataclass(frozen=True)
class Step:
    """The buttons shown together, and the row version the team will have when they are.

    Only the first step shows at first. Each applied tap raises the team's version by one, so
    the taps a responder makes in a row without the network expect version + 1, + 2, ...: the
    server applies such a chain in order, and refuses the rest of it once one is refused.
    """

    version: int
    buttons: tuple[Button, ...]

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(b.action for b in self.buttons)

    def button(self, action: Action) -> Button | None:
        return next((b for b in self.buttons if b.action == action), None)


def allowed_actions(status: str, accepted: bool = False) -> list[Action]:
    """The field actions legal now. After Accept, Accept and Decline give way to En route."""
    actions = [a for a in FIELD_ACTIONS if TeamStatus(status) in RULES[a].moves]
    if status == S.ASSIGNED:
        actions = [Action.EN_ROUTE] if accepted else [a for a in actions if a != Action.EN_ROUTE]
    return actions


def next_steps(status: str, version: int, accepted: bool = False) -> list[Step]:
    """The buttons now, then (on a call) the rest of the usual way, one step per tap, each
    expecting the version the tap before it will produce."""
    first = allowed_actions(status, accepted)
    if not first:
        return []
    groups = [tuple(first)]
    if first[0] in HAPPY_PATH:
        groups += [(a,) for a in HAPPY_PATH[HAPPY_PATH.index(first[0]) + 1 :]]
    steps, current = [], TeamStatus(status)
    for n, group in enumerate(groups):
        later = n + 1 if n + 1 < len(groups) else None
        buttons = tuple(
            Button(a, RULES[a].moves[current], later if a in HAPPY_PATH else None) for a in group
        )
        steps.append(Step(version + n, buttons))
        onward = next((b for b in buttons if b.action in HAPPY_PATH), None)
        if onward is not None:
            current = onward.status_after
    return steps


# ---------------------------------------------------------------------------- the write


@dataclass(frozen=True)
class TeamState:
    """A team's status row and its open call, as plain values."""

    id: int
    call_sign: str
    status: str
    version: int
    status_since: datetime
    assignment_id: int | None = None
    incident_id: int | None = None
    accepted: bool = False  # the open assignment was accepted

    @property
    def status_label(self) -> str:
        return TeamStatus(self.status).label

    @property
    def steps(self) -> list[Step]:
        return next_steps(self.status, self.version, self.accepted)


@dataclass(frozen=True)
class TransitionResult:
    event: FeedEvent
    applied: bool  # False when the UUID was seen before and nothing changed
    team: TeamState  # the team after the tap (as it is now, when not applied)


class TransitionRefused(Exception):
    """The action cannot apply to the team as it is now."""

    def __init__(self, code: str, message: str, team: TeamState):
        super().__init__(message)
        self.code = code  # "stale_version", "illegal_transition", "invalid"
        self.message = message
        self.team = team


class _Refused(Exception):
    """Inside the transaction: roll back, then answer TransitionRefused."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(code)
        self.code, self.message = code, message


def _state_columns(team_id: int) -> tuple:
    """status_since and the team's open assignment (id, call, accepted_at) as scalar
    subqueries, to read with the team's row or return from its update."""

    def open_call(column):
        return (
            select(column)
            .where(_assignments.c.team_id == team_id, _assignments.c.ended_at.is_(None))
            .order_by(_assignments.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    return (
        _teams.c.status_since,
        open_call(_assignments.c.id).label("assignment_id"),
        open_call(_assignments.c.incident_id).label("incident_id"),
        open_call(_assignments.c.accepted_at).label("accepted_at"),
    )


def team_state(session: Session | Connection, team_id: int) -> TeamState:
    """The team as it is now, with its open call: one query."""
    row = session.execute(
        select(
            _teams.c.id,
            _teams.c.call_sign,
            _teams.c.status,
            _teams.c.version,
            *_state_columns(team_id),
        ).where(_teams.c.id == team_id)
    ).one()
    return TeamState(
        row.id,
        row.call_sign,
        row.status,
        row.version,
        row.status_since,
        row.assignment_id,
        row.incident_id,
        row.accepted_at is not None,
    )


def apply(session: Session, team: Team, tap: Tap, actor: User | None) -> TransitionResult:
    """Apply one tap in one transaction and commit, or raise TransitionRefused having changed
    nothing. `team` is read for its id, call sign, status and version (as the caller loaded
    it: a tap naming that version skips reading the team again); `actor` for its id only."""
    rule = RULES[tap.action]
    team_id, call_sign, loaded = team.id, team.call_sign, (team.status, team.version)
    actor_id = inspect(actor).identity[0] if actor is not None else None
    missing = rule.check(tap) if rule.check else None
    if missing:
        raise TransitionRefused("invalid", missing, team_state(session, team_id))
    now = utcnow()
    try:
        swap = None
        if tap.expected_version is not None and tap.expected_version == loaded[1]:
            # The version the caller loaded: the statement is ready before the lock is taken.
            swap = _prepare(rule, tap, team_id, call_sign, *loaded, now, actor_id)
        with feed.writing(session) as write:
            return _write(write, rule, tap, team_id, call_sign, swap, actor_id, now)
    except (_Refused, IntegrityError) as failed:
        # Rolled back. A UUID seen before is a replay or a double tap: answer with its event.
        earlier = feed.event_by_uuid(session, tap.client_uuid)
        current = team_state(session, team_id)
        if earlier is not None:
            if earlier.team_id != team_id:
                raise TransitionRefused(
                    "invalid", "That request id was already used.", current
                ) from None
            return TransitionResult(earlier, applied=False, team=current)
        if isinstance(failed, IntegrityError):
            raise
        message = failed.message or (
            f"{call_sign} changed before this tap arrived: it is now {current.status_label}."
        )
        raise TransitionRefused(failed.code, message, current) from None


@dataclass(frozen=True)
class _Swap:
    """The compare-and-swap for one tap: the team's row as it must still be, and the values."""

    from_status: str
    version: int
    to_status: TeamStatus
    statement: Any
    event: dict[str, Any]  # the event's columns but its call (known once the swap is made)


def _prepare(rule, tap, team_id, call_sign, from_status, version, now, actor_id) -> _Swap:
    to_status = rule.moves.get(TeamStatus(from_status))
    if to_status is None:
        raise _Refused(
            "illegal_transition",
            f"{rule.label} is not possible while {call_sign} is {TeamStatus(from_status).label}.",
        )
    values: dict[str, Any] = {"status": to_status.value, "version": version + 1}
    if to_status != from_status:
        values["status_since"] = now
    if tap.lat is not None and tap.lon is not None:
        values.update(last_lat=tap.lat, last_lon=tap.lon, position_at=tap.occurred_at or now)
    statement = (
        update(_teams)
        .where(_teams.c.id == team_id, _teams.c.version == version, _teams.c.status == from_status)
        .values(**values)
        .returning(*_state_columns(team_id))
    )
    event = dict(
        team_id=team_id,
        actor_id=actor_id,
        action=tap.action.value,
        from_status=from_status,
        to_status=to_status.value,
        team_version=version + 1,
        occurred_at=tap.occurred_at or now,
        received_at=now,
        client_uuid=tap.client_uuid,
        lat=tap.lat,
        lon=tap.lon,
        detail=tap.reason,
    )
    return _Swap(from_status, version, to_status, statement, event)


def _write(write, rule, tap, team_id, call_sign, swap, actor_id, now) -> TransitionResult:
    conn = write.connection
    if swap is None:
        # Not the version the caller loaded: read the row as it is, under the feed's lock.
        from_status, version = conn.execute(
            select(_teams.c.status, _teams.c.version).where(_teams.c.id == team_id)
        ).one()
        if tap.expected_version is not None and tap.expected_version != version:
            raise _Refused("stale_version")
        swap = _prepare(rule, tap, team_id, call_sign, from_status, version, now, actor_id)
    from_status, version, to_status = swap.from_status, swap.version, swap.to_status

    # 1. Compare-and-swap on the row version, so two concurrent taps cannot both apply.
    row = conn.execute(swap.statement).first()
    if row is None:
        raise _Refused("stale_version")
    change = Change(
        conn,
        tap,
        team_id,
        actor_id,
        now,
        row.assignment_id,
        row.incident_id,
        row.accepted_at is not None,
    )

    # 2. The event. A client UUID seen before fails here (IntegrityError), undoing step 1.
    event = write.add(**swap.event, incident_id=tap.incident_id or change.incident_id)

    # 3. The call: assignment and incident.
    _change_call(rule, change)
    return TransitionResult(
        event,
        applied=True,
        team=TeamState(
            team_id,
            call_sign,
            to_status.value,
            version + 1,
            row.status_since,
            change.assignment_id,
            change.incident_id,
            change.accepted,
        ),
    )


def _change_call(rule: Rule, change: Change) -> None:
    if rule.also is not None:
        rule.also(change)
    conn = change.connection
    if change.assignment_id is not None:
        values: dict[str, Any] = {}
        if rule.accepts and not change.accepted:
            values["accepted_at"] = change.when
            change.accepted = True
        if rule.ends_assignment:
            values.update(ended_at=change.when, end_reason=rule.ends_assignment)
            if rule.reason_is_decline_reason:
                values["decline_reason"] = change.tap.reason
        if values:
            conn.execute(
                update(_assignments)
                .where(_assignments.c.id == change.assignment_id)
                .values(**values)
            )
    if rule.call_becomes is not None and change.incident_id is not None:
        values = {"status": rule.call_becomes.value}
        if rule.closes_call:
            values["closed_at"] = change.when
        conn.execute(
            update(_incidents).where(_incidents.c.id == change.incident_id).values(**values)
        )
    if rule.ends_assignment:
        change.assignment_id = change.incident_id = None
        change.accepted = False


# ------------------------------------------------------------------------------ reading

# A status that reached the server this long after the device recorded it was sent late
# (typically replayed from the offline outbox): the board says so.
LATE_AFTER = timedelta(minutes=1)


def late_statuses(session: Session, team_ids=None) -> dict[int, StatusEvent]:
    """Each team's current status event, for the teams (all, or these) whose current status
    arrived late. That event is the first entry at the team's current version (a backup
    request sent at the same version comes after it, and says it was late itself): one
    look-up per team on (team_id, team_version), the teams walked one by one."""
    entry = aliased(StatusEvent)
    first_at_version = (
        select(func.min(entry.id))
        .where(entry.team_id == Team.id, entry.team_version == Team.version)
        .correlate(Team)
        .scalar_subquery()
    )
    teams = select(first_at_version).select_from(Team)
    if team_ids is not None:
        teams = teams.where(Team.id.in_(list(team_ids)))
    changes = {a.value for a in Action}
    events = session.scalars(select(StatusEvent).where(StatusEvent.id.in_(teams)))
    return {
        e.team_id: e
        for e in events
        if e.action in changes and e.received_at - e.occurred_at > LATE_AFTER
    }


def current_assignment(session: Session, team_id: int) -> Assignment | None:
    """The team's open assignment, with its call (one query)."""
    return session.scalars(
        select(Assignment)
        .options(joinedload(Assignment.incident))
        .where(Assignment.team_id == team_id, Assignment.ended_at.is_(None))
        .order_by(Assignment.id.desc())
    ).first()
