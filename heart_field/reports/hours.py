"""Hours on duty, per person (their shifts) and per unit (log on to log off), clipped to
the report's period and to now. An open shift or a unit still on duty counts up to now."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..models import Shift, StatusEvent, Team, User
from .queries import Scope
from .tables import Table


@dataclass
class HoursOnDuty:
    by_person: Table
    by_unit: Table


def _overlap_hours(start: datetime, end: datetime | None, scope: Scope, now: datetime) -> float:
    upto = min(end or now, scope.period.end, now)
    since = max(start, scope.period.start)
    return max(0.0, (upto - since).total_seconds() / 3600)


def hours_on_duty(session: Session, scope: Scope, now: datetime) -> HoursOnDuty:
    return HoursOnDuty(_by_person(session, scope, now), _by_unit(session, scope, now))


def _by_person(session: Session, scope: Scope, now: datetime) -> Table:
    query = (
        select(Shift)
        .join(Team, Team.id == Shift.team_id)
        .options(joinedload(Shift.user))
        .where(
            Shift.started_at < scope.period.end,
            or_(Shift.ended_at.is_(None), Shift.ended_at > scope.period.start),
        )
    )
    if scope.unit_type:
        query = query.where(Team.unit_type == scope.unit_type)
    totals: dict[int, list] = {}
    for shift in session.scalars(query):
        user: User = shift.user
        row = totals.setdefault(user.id, [user.username, user.display_name, set(), set(), 0, 0.0])
        row[2].add(shift.role_label)
        row[3].add(shift.team.call_sign)
        row[4] += 1
        row[5] += _overlap_hours(shift.started_at, shift.ended_at, scope, now)
    rows = [
        [name, shown, ", ".join(sorted(roles)), ", ".join(sorted(units)), n, round(hours, 1)]
        for name, shown, roles, units, n, hours in sorted(totals.values(), key=lambda r: r[0])
    ]
    return Table(
        key="hours-by-person",
        title="Hours on duty by person",
        columns=["Username", "Name", "Crew roles", "Units", "Shifts", "Hours"],
        rows=rows,
        chart_label=0,
        chart_value=5,
        chart_title="Hours on duty",
        note="Each shift from Start shift (or joining on sign-in) to End shift or log-off.",
    )


def _by_unit(session: Session, scope: Scope, now: datetime) -> Table:
    """A unit is on duty from each log_on event to the next log_off (or now). The status
    machine alternates them (log on only when off duty, log off only when available), so a
    unit's state at the period's start is its latest one of the two before it: the log-ons
    and log-offs read are each unit's latest two before the period and those inside it
    (ix_status_events_action_team_received), never the years before."""
    start, end = scope.period.start, scope.period.end

    def latest_before(action: str):
        return (
            select(func.max(StatusEvent.received_at))
            .where(
                StatusEvent.team_id == Team.id,
                StatusEvent.action == action,
                StatusEvent.received_at < start,
            )
            .scalar_subquery()
        )

    teams = session.execute(
        select(Team, latest_before("log_on"), latest_before("log_off")).order_by(Team.call_sign)
    ).all()
    periods: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for team, on, off in teams:
        if on is not None and (off is None or off < on):
            periods[team.id].append((on, None))  # on duty as the period starts
    query = (
        select(StatusEvent.team_id, StatusEvent.action, StatusEvent.received_at)
        .where(
            StatusEvent.action.in_(("log_on", "log_off")),
            # Unit by unit: each unit's log-ons and log-offs in the period are index ranges.
            StatusEvent.team_id.in_(select(Team.id)),
            StatusEvent.received_at >= start,
            StatusEvent.received_at < end,
        )
        .order_by(StatusEvent.team_id, StatusEvent.id)
    )
    for team_id, action, at in session.execute(query):
        if action == "log_on":
            periods[team_id].append((at, None))
        elif periods[team_id] and periods[team_id][-1][1] is None:
            periods[team_id][-1] = (periods[team_id][-1][0], at)
    rows = []
    for team, _, _ in teams:
        if scope.unit_type and team.unit_type != scope.unit_type:
            continue
        spans = [
            (began, ended) for began, ended in periods[team.id] if ended is None or ended > start
        ]
        hours = sum(_overlap_hours(began, ended, scope, now) for began, ended in spans)
        if spans:
            rows.append([team.call_sign, team.unit_label, len(spans), round(hours, 1)])
    return Table(
        key="hours-by-unit",
        title="Hours on duty by unit",
        columns=["Unit", "Kind", "Times on duty", "Hours"],
        rows=rows,
        chart_label=0,
        chart_value=3,
        chart_title="Hours on duty",
        note="From each log-on to the log-off after it (or now, while on duty).",
    )
