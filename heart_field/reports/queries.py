"""The supervisors' report numbers: queries over a session and a scope (date range, unit
type). Nothing here knows of Flask requests; the routes and the CSV export both call these.

Definitions (also shown on the page):

- The range is whole local days (HEART_TIMEZONE): from the first day's local midnight to the
  midnight after the last day, so a range over a daylight-saving change is 23 or 25 hours
  long. A call belongs to the day, hour and weekday, in local time, at which it was received.
- Response intervals use the time each tap was made on the device (StatusEvent.occurred_at),
  so a tap that synced late does not stretch them. Per call:
  received -> assigned: from the call's receipt to the first assignment of a team;
  assigned -> en route: from a team's (latest) assignment to that team's first En route tap;
  en route -> on scene: from a team's first En route to its first On scene tap;
  received -> on scene: from receipt to the first team on scene.
  The two middle intervals are measured per team sent; a call answered by a second team
  after a decline counts once in the first and last. An interval that ends before it
  starts (a device clock running behind) is left out. Intervals are whole seconds.
- With a unit type chosen, intervals count only that unit's teams (received -> assigned
  is then the wait for a team of that unit).
- Median and 90th percentile: linear interpolation between closest ranks, as PostgreSQL's
  percentile_cont, Excel's PERCENTILE.INC and NumPy's default. For sorted values
  x[0..n-1] and fraction p, h = (n - 1) * p and the percentile is
  x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
"""

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import groupby
from math import floor
from operator import itemgetter
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ..models import (
    DISPOSITIONS,
    Assignment,
    Incident,
    IncidentStatus,
    Outcome,
    StatusEvent,
    Team,
    UnitType,
)
from ..routing import CALL_TYPES, FALLBACK_REASONS
from .tables import Table

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_UNITS = "all"
# Rows streamed from the database at a time: memory stays flat however long the range.
STREAM_BATCH = 2000


# Time ------------------------------------------------------------------------------------

class epoch_seconds(FunctionElement):
    """Seconds since 1970-01-01 UTC of a stored UTC datetime, as a float, in SQL: the
    database does the date arithmetic and Python receives plain numbers."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@dataclass(frozen=True)
class Period:
    """Whole local days, first_day to last_day inclusive."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        after = self.last_day + timedelta(days=1)
        return datetime.combine(after, time(0), self.zone).astimezone(timezone.utc)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Scope:
    period: Period
    unit_type: Optional[str] = None  # None: every unit type

    @property
    def unit_label(self) -> str:
        return UnitType(self.unit_type).label if self.unit_type else "All units"


class LocalClock:
    """Local hour of day and weekday for epoch seconds. Every zone offset in use is a
    multiple of 15 minutes, so the answer is cached per quarter hour."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self._cache: dict[int, tuple[int, int]] = {}

    def hour_and_weekday(self, epoch: float) -> tuple[int, int]:
        # SQLite keeps times to the millisecond; its julianday arithmetic is off by ~1e-5 s,
        # which must not move 09:00:00 back into 08:59.
        quarter = int(round(epoch, 3) // 900)
        found = self._cache.get(quarter)
        if found is None:
            local = datetime.fromtimestamp(quarter * 900, self.zone)
            found = self._cache[quarter] = (local.hour, local.weekday())
        return found


def local_text(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _in_period(scope: Scope):
    return and_(Incident.received_at >= scope.period.start, Incident.received_at < scope.period.end)


# Percentiles -----------------------------------------------------------------------------

def percentile(sorted_values: Sequence[float], p: float) -> Optional[float]:
    """Linear interpolation between closest ranks (see the module docstring); None when empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    h = (n - 1) * p
    low = floor(h)
    if low + 1 >= n:
        return float(sorted_values[low])
    return sorted_values[low] + (h - low) * (sorted_values[low + 1] - sorted_values[low])


def _minutes(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds / 60, 1)


def _interval(start: Optional[float], end: Optional[float]) -> Optional[int]:
    if start is None or end is None or end < start:
        return None
    return round(end - start)


def _share(part: int, whole: int) -> Optional[float]:
    return round(100 * part / whole, 1) if whole else None


# 1. Response times -----------------------------------------------------------------------

INTERVALS = (
    ("received_assigned", "Received → assigned"),
    ("assigned_en_route", "Assigned → en route"),
    ("en_route_on_scene", "En route → on scene"),
    ("received_on_scene", "Received → on scene"),
)
RECEIVED_ASSIGNED, ASSIGNED_EN_ROUTE, EN_ROUTE_ON_SCENE, RECEIVED_ON_SCENE = range(4)


def _team_times(session: Session, scope: Scope):
    """One row per (call, team sent): receipt and the team's tap times as epoch seconds,
    ordered by call."""
    ev = StatusEvent
    tap = epoch_seconds(ev.occurred_at)
    stmt = (
        select(
            ev.incident_id,
            epoch_seconds(Incident.received_at),
            Team.unit_type,
            func.min(case((ev.action == "assign", tap))),
            func.max(case((ev.action == "assign", tap))),
            func.min(case((ev.action == "en_route", tap))),
            func.min(case((ev.action == "on_scene", tap))),
        )
        .join(Incident, Incident.id == ev.incident_id)
        .join(Team, Team.id == ev.team_id)
        .where(_in_period(scope), ev.action.in_(("assign", "en_route", "on_scene")))
        .group_by(ev.incident_id, ev.team_id, Incident.received_at, Team.unit_type)
        .order_by(ev.incident_id)
    )
    if scope.unit_type:
        stmt = stmt.where(Team.unit_type == scope.unit_type)
    return session.execute(stmt.execution_options(yield_per=STREAM_BATCH))


@dataclass
class ResponseTimes:
    by_unit: Table
    by_hour: Table
    by_weekday: Table


def _response_columns(first: str) -> list[str]:
    columns = [first, "Calls"]
    for _, label in INTERVALS:
        columns += [f"{label}: median (min)", f"{label}: 90th percentile (min)"]
    return columns


def response_times(session: Session, scope: Scope) -> ResponseTimes:
    clock = LocalClock(scope.period.zone)
    # (dimension, key) -> one array of seconds per interval, and the number of calls.
    samples: dict[tuple[str, object], list[array]] = defaultdict(
        lambda: [array("l") for _ in INTERVALS])
    calls: Counter = Counter()

    def add(keys, which: int, value: Optional[int]) -> None:
        if value is not None:
            for key in keys:
                samples[key][which].append(value)

    for _, rows in groupby(_team_times(session, scope), key=itemgetter(0)):
        rows = list(rows)
        hour, weekday = clock.hour_and_weekday(rows[0][1])
        every = (("unit", ALL_UNITS), ("hour", hour), ("weekday", weekday))
        calls.update(every)
        received = rows[0][1]
        for unit in {r[2] for r in rows}:
            mine = [r for r in rows if r[2] == unit]
            calls[("unit", unit)] += 1
            add([("unit", unit)], RECEIVED_ASSIGNED,
                _interval(received, min(r[3] for r in mine)))
            add([("unit", unit)], RECEIVED_ON_SCENE,
                _interval(received, _first(r[6] for r in mine)))
        add(every, RECEIVED_ASSIGNED, _interval(received, min(r[3] for r in rows)))
        add(every, RECEIVED_ON_SCENE, _interval(received, _first(r[6] for r in rows)))
        for _, _, unit, _, assigned, en_route, on_scene in rows:
            keys = (("unit", unit), *every)
            add(keys, ASSIGNED_EN_ROUTE, _interval(assigned, en_route))
            add(keys, EN_ROUTE_ON_SCENE, _interval(en_route, on_scene))

    def row(label: str, key) -> list:
        cells: list = [label, calls[key]]
        for values in samples[key] if key in samples else [array("l") for _ in INTERVALS]:
            ordered = sorted(values)
            cells += [_minutes(percentile(ordered, 0.5)), _minutes(percentile(ordered, 0.9))]
        return cells

    units = [UnitType(scope.unit_type)] if scope.unit_type else list(UnitType)
    unit_rows = [row(u.label, ("unit", u.value)) for u in units]
    if not scope.unit_type:
        unit_rows.append(row("All units", ("unit", ALL_UNITS)))
    chart = dict(chart_value=2 + 2 * RECEIVED_ON_SCENE,
                 chart_title="Median minutes from call received to a team on scene")
    return ResponseTimes(
        by_unit=Table("response-by-unit", "Response times by unit type",
                      _response_columns("Unit type"), unit_rows, **chart),
        by_hour=Table("response-by-hour", "Response times by hour of day (local time)",
                      _response_columns("Hour received"),
                      [row(f"{h:02d}:00", ("hour", h)) for h in range(24)],
                      chart_kind="columns", **chart),
        by_weekday=Table("response-by-weekday", "Response times by day of week",
                         _response_columns("Day received"),
                         [row(name, ("weekday", d)) for d, name in enumerate(WEEKDAYS)],
                         chart_kind="columns", **chart),
    )


def _first(values) -> Optional[float]:
    present = [v for v in values if v is not None]
    return min(present) if present else None


# 2. Outcomes -----------------------------------------------------------------------------

# A team was sent and the call has not been cancelled, reopened or sent elsewhere.
_EXPECTS_OUTCOME = (
    IncidentStatus.ASSIGNED, IncidentStatus.EN_ROUTE, IncidentStatus.ON_SCENE, IncidentStatus.CLOSED,
)


def _attended(scope: Scope):
    """Calls in scope that a team was sent to, joined to the team of their latest
    assignment (the one that kept the call) and to their outcome, if any."""
    latest = (
        select(Assignment.incident_id, func.max(Assignment.id).label("assignment_id"))
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(_in_period(scope))
        .group_by(Assignment.incident_id)
        .subquery()
    )
    stmt = (
        select()
        .select_from(Incident)
        .join(latest, latest.c.incident_id == Incident.id)
        .join(Assignment, Assignment.id == latest.c.assignment_id)
        .join(Team, Team.id == Assignment.team_id)
        .outerjoin(Outcome, Outcome.incident_id == Incident.id)
    )
    if scope.unit_type:
        stmt = stmt.where(Team.unit_type == scope.unit_type)
    return stmt


_MISSING = and_(
    Incident.status.in_([s.value for s in _EXPECTS_OUTCOME]),
    or_(Outcome.id.is_(None), Outcome.people_served.is_(None)),
)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Outcomes:
    summary: Table
    dispositions: Table
    missing: Table


def outcomes(session: Session, scope: Scope) -> Outcomes:
    base = _attended(scope)
    totals = session.execute(base.add_columns(
        func.count(Incident.id),
        func.count(Outcome.id),
        func.coalesce(func.sum(Outcome.people_served), 0),
        _count_if(Outcome.transport.is_(True)),
        _count_if(Outcome.police_requested.is_(True)),
        _count_if(Outcome.ems_requested.is_(True)),
        _count_if(_MISSING),
    )).one()
    labels = ("Calls a team was sent to", "Calls with an outcome", "People served",
              "Transports", "Police requested", "EMS requested", "Still missing an outcome")
    summary = Table("outcome-summary", "Outcomes", ["Measure", "Count"],
                    [[label, int(value)] for label, value in zip(labels, totals)],
                    chart_value=1, chart_title="Calls and people, in this range")

    counts = dict(session.execute(
        base.add_columns(Outcome.disposition, func.count(Outcome.id))
        .where(Outcome.id.is_not(None))
        .group_by(Outcome.disposition)
    ).all())
    recorded = sum(counts.values())
    order = sorted(DISPOSITIONS, key=lambda code: -counts.get(code, 0))
    rows = [[DISPOSITIONS[c].label, DISPOSITIONS[c].nemsis_code, counts.get(c, 0),
             _share(counts.get(c, 0), recorded)] for c in order]
    rows += [[code, "", n, _share(n, recorded)] for code, n in counts.items() if code not in DISPOSITIONS]
    dispositions = Table("dispositions", "Dispositions",
                         ["Disposition", "NEMSIS eDisposition.27", "Calls", "Share (%)"], rows,
                         chart_value=2, chart_title="Calls by disposition")
    missing = missing_outcomes(session, scope)
    missing.rows = list(missing.rows)
    return Outcomes(summary, dispositions, missing)


def missing_outcomes(session: Session, scope: Scope) -> Table:
    """One row per call; its rows stream from the database as they are read."""
    return Table("missing-outcomes", "Calls still missing an outcome",
                 ["CAD number", "Received", "Call type", "Team", "Status", "Missing"],
                 _missing_outcome_rows(session, scope),
                 note="A team was sent and the call is not cancelled, but no outcome, "
                      "or no count of people served, is recorded yet.")


def _missing_outcome_rows(session: Session, scope: Scope) -> Iterator[list]:
    stmt = (
        _attended(scope)
        .add_columns(Incident.cad_number, Incident.received_at, Incident.call_type,
                     Team.call_sign, Incident.status, Outcome.id)
        .where(_MISSING)
        .order_by(Incident.received_at, Incident.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    zone = scope.period.zone
    for cad, received, call_type, call_sign, status, outcome_id in session.execute(stmt):
        yield [cad, local_text(received, zone), CALL_TYPES.get(call_type, call_type), call_sign,
               IncidentStatus(status).label, "Outcome" if outcome_id is None else "People served"]


# 3. Unmet need ---------------------------------------------------------------------------

@dataclass
class UnmetNeed:
    summary: Table
    by_reason: Table
    by_hour: Table
    by_weekday: Table


NOT_RECORDED = "Reason not recorded"


def unmet_need(session: Session, scope: Scope) -> UnmetNeed:
    """Calls HEART could not take (routed to police, EMS, fire or county) and why."""
    stmt = select(epoch_seconds(Incident.received_at), Incident.fallback_reason, Incident.status) \
        .where(_in_period(scope))
    if scope.unit_type:
        stmt = stmt.where(Incident.recommended_unit_type == scope.unit_type)
    clock = LocalClock(scope.period.zone)
    received = {"hour": Counter(), "weekday": Counter()}
    elsewhere = {"hour": Counter(), "weekday": Counter()}
    reasons: Counter = Counter()
    for epoch, reason, status in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        hour, weekday = clock.hour_and_weekday(epoch)
        received["hour"][hour] += 1
        received["weekday"][weekday] += 1
        if reason is not None or status == IncidentStatus.ROUTED_ELSEWHERE:
            reasons[reason or NOT_RECORDED] += 1
            elsewhere["hour"][hour] += 1
            elsewhere["weekday"][weekday] += 1

    total, routed = sum(received["hour"].values()), sum(reasons.values())
    summary = Table("unmet-summary", "Calls HEART could not take",
                    ["Measure", "Calls", "Share (%)"],
                    [["Calls received", total, None],
                     ["Taken by HEART", total - routed, _share(total - routed, total)],
                     ["Routed elsewhere", routed, _share(routed, total)]],
                    chart_value=1, chart_title="Calls received, taken by HEART and routed elsewhere")
    labels = {**FALLBACK_REASONS, NOT_RECORDED: NOT_RECORDED}
    order = [r for r in labels if reasons[r] or r in FALLBACK_REASONS]
    order += [r for r in reasons if r not in labels]
    order.sort(key=lambda r: -reasons[r])
    by_reason = Table("unmet-by-reason", "Routed elsewhere, by reason",
                      ["Reason", "Calls", "Share of routed elsewhere (%)"],
                      [[labels.get(r, r), reasons[r], _share(reasons[r], routed)] for r in order],
                      chart_value=1, chart_title="Calls routed elsewhere, by reason")

    def by(dimension: str, keys, label) -> list[list]:
        return [[label(k), received[dimension][k], elsewhere[dimension][k],
                 _share(elsewhere[dimension][k], received[dimension][k])] for k in keys]

    columns = ["Calls received", "Routed elsewhere", "Share routed elsewhere (%)"]
    return UnmetNeed(
        summary=summary,
        by_reason=by_reason,
        by_hour=Table("unmet-by-hour", "Routed elsewhere, by hour of day (local time)",
                      ["Hour received", *columns], by("hour", range(24), lambda h: f"{h:02d}:00"),
                      chart_value=2, chart_kind="columns",
                      chart_title="Calls routed elsewhere, by hour received"),
        by_weekday=Table("unmet-by-weekday", "Routed elsewhere, by day of week",
                         ["Day received", *columns], by("weekday", range(7), WEEKDAYS.__getitem__),
                         chart_value=2, chart_kind="columns",
                         chart_title="Calls routed elsewhere, by day received"),
    )
