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
from datetime import UTC, date, datetime, time, timedelta
from math import floor
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ..domain.routing import CALL_TYPES, FALLBACK_REASONS, UNIT_TYPES
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
from .tables import Table

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
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
    return (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"
    )


class epoch_whole_seconds(FunctionElement):
    """Whole seconds since 1970 (rounded down) of a stored UTC datetime, as an integer."""

    type = Integer()
    name = "epoch_whole_seconds"
    inherit_cache = True


@compiles(epoch_whole_seconds, "sqlite")
def _whole_sqlite(element, compiler, **kw):
    # julianday is several times faster than strftime('%s'); SQLite keeps milliseconds, and
    # the half millisecond added absorbs the float error before truncating.
    column = compiler.process(element.clauses, **kw)
    return f"CAST((julianday({column}) - 2440587.5) * 86400.0 + 0.0005 AS INTEGER)"


@compiles(epoch_whole_seconds, "postgresql")
def _whole_postgresql(element, compiler, **kw):
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class hour_of_week(FunctionElement):
    """The local hour of the week (Monday 00:00-00:59 is 0, Sunday 23:00 is 167) of a stored
    UTC datetime, in SQL that SQLite and PostgreSQL both run. The period's UTC offsets,
    found with zoneinfo so daylight-saving changes fall where they really are, become a
    CASE on the stored time; the rest is integer arithmetic. Grouping by it keeps the
    counting in the database."""

    type = Integer()
    name = "hour_of_week"
    inherit_cache = False  # the offsets are literals that differ by period

    def __init__(self, column, stretches: list[tuple[datetime, int]]):
        super().__init__(column)
        self.stretches = stretches


def _time_literal(value: datetime, dialect_name: str) -> str:
    """A UTC instant as a literal that compares with the stored column."""
    if dialect_name == "sqlite":  # stored as naive UTC text, which sorts as time does
        return "'" + value.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
    return "TIMESTAMPTZ '" + value.strftime("%Y-%m-%d %H:%M:%S+00") + "'"


@compiles(hour_of_week)
def _hour_of_week(element, compiler, **kw):
    column = compiler.process(*element.clauses, **kw)
    seconds = compiler.process(epoch_whole_seconds(*element.clauses), **kw)
    (_, offset), *changes = element.stretches
    whens = []
    for start, next_offset in changes:
        whens.append(f"WHEN {column} < {_time_literal(start, compiler.dialect.name)} THEN {offset}")
        offset = next_offset
    shift = f"CASE {' '.join(whens)} ELSE {offset} END" if whens else str(offset)
    mod = "%%" if compiler.dialect.paramstyle in ("format", "pyformat") else "%"
    # 1 January 1970 00:00 was a Thursday: 72 hours after the start of its week.
    return f"(((({seconds}) + ({shift})) / 3600 + 72) {mod} 168)"


@dataclass(frozen=True)
class Period:
    """Whole local days, first_day to last_day inclusive."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        after = self.last_day + timedelta(days=1)
        return datetime.combine(after, time(0), self.zone).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def utc_offsets(self) -> list[tuple[datetime, int]]:
        """(from when, UTC offset in seconds) for each stretch of the period with one
        offset: one stretch, or more when clocks change inside the period."""
        start, end = int(self.start.timestamp()), int(self.end.timestamp())

        def offset(epoch: int) -> int:
            return int(datetime.fromtimestamp(epoch, self.zone).utcoffset().total_seconds())

        stretches = [(start, offset(start))]
        day = start
        while day < end:
            later = min(day + 86400, end)
            if offset(later) != stretches[-1][1]:
                low, high = day, later  # the change is after low and at or before high
                while high - low > 1:
                    middle = (low + high) // 2
                    low, high = (
                        (middle, high) if offset(middle) == stretches[-1][1] else (low, middle)
                    )
                stretches.append((high, offset(high)))
            day = later
        return [(datetime.fromtimestamp(t, UTC), o) for t, o in stretches]

    def hour_of_week(self, column) -> hour_of_week:
        return hour_of_week(column, self.utc_offsets())


@dataclass(frozen=True)
class Scope:
    period: Period
    unit_type: str | None = None  # None: every unit type

    @property
    def unit_label(self) -> str:
        return UnitType(self.unit_type).label if self.unit_type else "All units"


def local_text(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _in_period(scope: Scope):
    return and_(Incident.received_at >= scope.period.start, Incident.received_at < scope.period.end)


# Percentiles -----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (see the module docstring); None when empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    h = (n - 1) * p
    low = floor(h)
    if low + 1 >= n:
        return float(sorted_values[low])
    return sorted_values[low] + (h - low) * (sorted_values[low + 1] - sorted_values[low])


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# 1. Response times -----------------------------------------------------------------------

INTERVALS = (
    ("received_assigned", "Received → assigned"),
    ("assigned_en_route", "Assigned → en route"),
    ("en_route_on_scene", "En route → on scene"),
    ("received_on_scene", "Received → on scene"),
)
RECEIVED_ASSIGNED, ASSIGNED_EN_ROUTE, EN_ROUTE_ON_SCENE, RECEIVED_ON_SCENE = range(4)


def _first_tap(action: str):
    """The device time (epoch seconds) of a call's first tap of this kind, as an aggregate."""
    return func.min(case((StatusEvent.action == action, epoch_seconds(StatusEvent.occurred_at))))


def _last_tap(action: str):
    return func.max(case((StatusEvent.action == action, epoch_seconds(StatusEvent.occurred_at))))


# Every tap query below reads ALL the status events of the calls in scope and picks the kinds
# it wants with CASE, never with a WHERE on the action: given one, the planner would start
# from the (action, team) index and read every tap ever made (500,000 at 100x) instead of
# finding the calls by time received and their taps through ix_status_events_incident_team.


def call_taps(scope: Scope):
    """Per call received in the scope that has status events: the device times (epoch
    seconds) of its first and latest assignment, first En route and first On scene, and how
    many On scene taps it had. The one definition of a call's tap times, for every table."""
    ev = StatusEvent
    return (
        select(
            ev.incident_id.label("incident_id"),
            _first_tap("assign").label("first_assigned"),
            _last_tap("assign").label("assigned"),
            _first_tap("en_route").label("en_route"),
            _first_tap("on_scene").label("on_scene"),
            func.count(case((ev.action == "on_scene", 1))).label("arrivals"),
        )
        .join(Incident, Incident.id == ev.incident_id)
        .where(_in_period(scope))
        .group_by(ev.incident_id)
        .subquery()
    )


def _team_times(session: Session, scope: Scope):
    """One row per (call, team sent), ordered by call: the local hour and weekday received,
    the team's unit, and in seconds: receipt to this team's first assignment, its latest
    assignment to its first En route, En route to On scene, and receipt to On scene."""
    ev = StatusEvent
    received = epoch_seconds(Incident.received_at)
    first_assigned = _first_tap("assign")
    assigned = _last_tap("assign")
    en_route = _first_tap("en_route")
    on_scene = _first_tap("on_scene")
    period = scope.period
    stmt = (
        select(
            Incident.id,
            period.hour_of_week(Incident.received_at),
            func.min(
                Team.unit_type
            ),  # one team, one unit: an aggregate keeps the grouping sort-free
            first_assigned - received,
            en_route - assigned,
            on_scene - en_route,
            on_scene - received,
        )
        .join(Incident, Incident.id == ev.incident_id)
        .join(Team, Team.id == ev.team_id)
        .where(_in_period(scope))
        # Received time first: SQLite then reads the calls in its index order and groups
        # without sorting; each call's rows come out together.
        .group_by(Incident.received_at, Incident.id, ev.team_id)
        # A team counts once it was sent, drove or arrived (not for a note or a backup call).
        .having(or_(first_assigned.is_not(None), en_route.is_not(None), on_scene.is_not(None)))
        .order_by(Incident.received_at, Incident.id)
    )
    if scope.unit_type:
        stmt = stmt.where(Team.unit_type == scope.unit_type)
    return _stream(session, stmt)


def _stream(session: Session, stmt):
    """Rows as plain tuples, fetched in batches (Core, without the ORM's per-row work)."""
    return session.connection().execute(stmt.execution_options(yield_per=STREAM_BATCH))


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


def _seconds(value: float | None) -> int | None:
    """An interval in whole seconds; None when missing or negative (a clock running behind)."""
    if value is None or value < 0:
        return None
    return round(value)


def _new_cell() -> list[array]:
    return [array("l") for _ in INTERVALS]


class _Samples:
    """Interval samples in whole seconds, kept in cells by (unit, hour, weekday) and merged
    into table rows at the end, so each team row costs four appends.

    A call answered by one unit's teams (nearly all) is filed once, in `single`. A call
    that several units were sent to looks different per unit (received -> assigned is the
    wait for that unit) and as a whole, so it is filed in `multi_unit` per unit and in
    `multi_all` whole."""

    def __init__(self):
        self.single: dict[tuple, list[array]] = defaultdict(_new_cell)
        self.multi_unit: dict[tuple, list[array]] = defaultdict(_new_cell)
        self.multi_all: dict[tuple, list[array]] = defaultdict(_new_cell)
        self.calls: Counter = Counter()  # same keys, tagged with the family's name

    def add_call(self, rows: list) -> None:
        _, how, unit = rows[0][:3]
        hour, weekday = how % 24, how // 24
        if len(rows) == 1 or all(r[2] == unit for r in rows):
            self._file(self.single, ("single", unit, hour, weekday), rows)
            return
        for each in {r[2] for r in rows}:
            self._file(
                self.multi_unit,
                ("multi_unit", each, hour, weekday),
                [r for r in rows if r[2] == each],
            )
        self._file(self.multi_all, ("multi_all", hour, weekday), rows)

    def _file(self, family: dict, key: tuple, rows: list) -> None:
        self.calls[key] += 1
        cell = family[key[1:]]
        if len(rows) == 1:
            _, _, _, to_assign, to_en_route, to_scene, to_arrive = rows[0]
        else:
            to_assign, to_arrive = _first(r[3] for r in rows), _first(r[6] for r in rows)
            for row in rows[1:]:
                for which, value in ((ASSIGNED_EN_ROUTE, row[4]), (EN_ROUTE_ON_SCENE, row[5])):
                    if value is not None and value >= 0:
                        cell[which].append(round(value))
            to_en_route, to_scene = rows[0][4], rows[0][5]
        for which, value in (
            (RECEIVED_ASSIGNED, to_assign),
            (ASSIGNED_EN_ROUTE, to_en_route),
            (EN_ROUTE_ON_SCENE, to_scene),
            (RECEIVED_ON_SCENE, to_arrive),
        ):
            if value is not None and value >= 0:
                cell[which].append(round(value))

    def row(self, label: str, unit=None, hour=None, weekday=None) -> list:
        """Merge the matching cells (None matches anything). A unit's row reads each call
        as that unit saw it; every other row reads calls whole."""
        if unit is not None:
            sources = (
                ("single", self.single, (unit, hour, weekday)),
                ("multi_unit", self.multi_unit, (unit, hour, weekday)),
            )
        else:
            sources = (
                ("single", self.single, (None, hour, weekday)),
                ("multi_all", self.multi_all, (hour, weekday)),
            )
        merged, calls = _new_cell(), 0
        for name, family, wanted in sources:
            for key, cell in family.items():
                if all(want is None or got == want for want, got in zip(wanted, key)):
                    calls += self.calls[(name, *key)]
                    for which, values in enumerate(cell):
                        merged[which].extend(values)
        cells: list = [label, calls]
        for values in merged:
            ordered = sorted(values)
            cells += [_minutes(percentile(ordered, 0.5)), _minutes(percentile(ordered, 0.9))]
        return cells


def response_times(session: Session, scope: Scope) -> ResponseTimes:
    samples = _Samples()
    pending: list = []
    for row in _team_times(session, scope):
        if pending and row[0] != pending[0][0]:
            samples.add_call(pending)
            pending = []
        pending.append(row)
    if pending:
        samples.add_call(pending)

    units = [UnitType(scope.unit_type)] if scope.unit_type else list(UnitType)
    unit_rows = [samples.row(u.label, unit=u.value) for u in units]
    if not scope.unit_type:
        unit_rows.append(samples.row("All units"))
    chart = dict(
        chart_value=2 + 2 * RECEIVED_ON_SCENE,
        chart_title="Median minutes from call received to a team on scene",
    )
    return ResponseTimes(
        by_unit=Table(
            "response-by-unit",
            "Response times by unit type",
            _response_columns("Unit type"),
            unit_rows,
            **chart,
        ),
        by_hour=Table(
            "response-by-hour",
            "Response times by hour of day (local time)",
            _response_columns("Hour received"),
            [samples.row(f"{h:02d}:00", hour=h) for h in range(24)],
            chart_kind="columns",
            **chart,
        ),
        by_weekday=Table(
            "response-by-weekday",
            "Response times by day of week",
            _response_columns("Day received"),
            [samples.row(name, weekday=d) for d, name in enumerate(WEEKDAYS)],
            chart_kind="columns",
            **chart,
        ),
    )


def _first(values) -> float | None:
    """The earliest of the values that are present and not negative."""
    present = [v for v in values if v is not None and v >= 0]
    return min(present) if present else None


# 2. Outcomes -----------------------------------------------------------------------------

# A team was sent and the call has not been cancelled, reopened or sent elsewhere.
_EXPECTS_OUTCOME = (
    IncidentStatus.ASSIGNED,
    IncidentStatus.EN_ROUTE,
    IncidentStatus.ON_SCENE,
    IncidentStatus.CLOSED,
)


def _latest_assignments(scope: Scope):
    """Each call in scope with the id of its latest assignment: the one that kept the call."""
    return (
        select(Assignment.incident_id, func.max(Assignment.id).label("assignment_id"))
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(_in_period(scope))
        .group_by(Assignment.incident_id)
        .subquery()
    )


def _attended(scope: Scope):
    """Calls in scope that a team was sent to, joined to the team of their latest
    assignment (the one that kept the call) and to their outcome, if any."""
    latest = _latest_assignments(scope)
    stmt = (
        select()
        .select_from(Incident)
        .join(latest, latest.c.incident_id == Incident.id)
        .join(Assignment, Assignment.id == latest.c.assignment_id)
        .join(Team, Team.id == Assignment.team_id)
        .outerjoin(Outcome, Outcome.incident_id == Incident.id)
        # Said again of the calls themselves (the subquery already keeps only these): without
        # it PostgreSQL reads every call ever received to join the few in the period.
        .where(_in_period(scope))
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
    # One pass: the totals per disposition (None: no outcome yet), summed here.
    groups = session.execute(
        base.add_columns(
            Outcome.disposition,
            func.count(Incident.id),
            func.count(Outcome.id),
            func.coalesce(func.sum(Outcome.people_served), 0),
            _count_if(Outcome.transport.is_(True)),
            _count_if(Outcome.police_requested.is_(True)),
            _count_if(Outcome.ems_requested.is_(True)),
            _count_if(_MISSING),
        ).group_by(Outcome.disposition)
    ).all()
    totals = [sum(int(g[i]) for g in groups) for i in range(1, 8)]
    labels = (
        "Calls a team was sent to",
        "Calls with an outcome",
        "People served",
        "Transports",
        "Police requested",
        "EMS requested",
        "Still missing an outcome",
    )
    summary = Table(
        "outcome-summary",
        "Outcomes",
        ["Measure", "Count"],
        [[label, value] for label, value in zip(labels, totals)],
        chart_value=1,
        chart_title="Calls and people, in this range",
    )

    counts = {g[0]: g[2] for g in groups if g[0] is not None}
    recorded = sum(counts.values())
    order = sorted(DISPOSITIONS, key=lambda code: -counts.get(code, 0))
    rows = [
        [
            DISPOSITIONS[c].label,
            DISPOSITIONS[c].nemsis_code,
            counts.get(c, 0),
            _share(counts.get(c, 0), recorded),
        ]
        for c in order
    ]
    rows += [
        [code, "", n, _share(n, recorded)] for code, n in counts.items() if code not in DISPOSITIONS
    ]
    dispositions = Table(
        "dispositions",
        "Dispositions",
        ["Disposition", "NEMSIS eDisposition.27", "Calls", "Share (%)"],
        rows,
        chart_value=2,
        chart_title="Calls by disposition",
    )
    missing = missing_outcomes(session, scope)
    missing.rows = list(missing.rows)
    return Outcomes(summary, dispositions, missing)


def missing_outcomes(session: Session, scope: Scope) -> Table:
    """One row per call; its rows stream from the database as they are read."""
    return Table(
        "missing-outcomes",
        "Calls still missing an outcome",
        ["CAD number", "Received", "Call type", "Team", "Status", "Missing"],
        _missing_outcome_rows(session, scope),
        note="A team was sent and the call is not cancelled, but no outcome, "
        "or no count of people served, is recorded yet.",
    )


def _missing_outcome_rows(session: Session, scope: Scope) -> Iterator[list]:
    stmt = (
        _attended(scope)
        .add_columns(
            Incident.cad_number,
            Incident.received_at,
            Incident.call_type,
            Team.call_sign,
            Incident.status,
            Outcome.id,
        )
        .where(_MISSING)
        .order_by(Incident.received_at, Incident.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    zone = scope.period.zone
    for cad, received, call_type, call_sign, status, outcome_id in session.execute(stmt):
        yield [
            cad,
            local_text(received, zone),
            CALL_TYPES.get(call_type, call_type),
            call_sign,
            IncidentStatus(status).label,
            "Outcome" if outcome_id is None else "People served",
        ]


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
    hour_of_week = scope.period.hour_of_week(Incident.received_at)
    stmt = (
        select(hour_of_week, Incident.fallback_reason, Incident.status, func.count())
        .where(_in_period(scope))
        .group_by(hour_of_week, Incident.fallback_reason, Incident.status)
    )
    if scope.unit_type:
        stmt = stmt.where(Incident.recommended_unit_type == scope.unit_type)
    received = {"hour": Counter(), "weekday": Counter()}
    elsewhere = {"hour": Counter(), "weekday": Counter()}
    reasons: Counter = Counter()
    for how, reason, status, calls in _stream(session, stmt):
        hour, weekday = how % 24, how // 24
        received["hour"][hour] += calls
        received["weekday"][weekday] += calls
        if reason is not None or status == IncidentStatus.ROUTED_ELSEWHERE:
            reasons[reason or NOT_RECORDED] += calls
            elsewhere["hour"][hour] += calls
            elsewhere["weekday"][weekday] += calls

    total, routed = sum(received["hour"].values()), sum(reasons.values())
    summary = Table(
        "unmet-summary",
        "Calls HEART could not take",
        ["Measure", "Calls", "Share (%)"],
        [
            ["Calls received", total, None],
            ["Taken by HEART", total - routed, _share(total - routed, total)],
            ["Routed elsewhere", routed, _share(routed, total)],
        ],
        chart_value=1,
        chart_title="Calls received, taken by HEART and routed elsewhere",
    )
    labels = {**FALLBACK_REASONS, NOT_RECORDED: NOT_RECORDED}
    order = [r for r in labels if reasons[r] or r in FALLBACK_REASONS]
    order += [r for r in reasons if r not in labels]
    order.sort(key=lambda r: -reasons[r])
    by_reason = Table(
        "unmet-by-reason",
        "Routed elsewhere, by reason",
        ["Reason", "Calls", "Share of routed elsewhere (%)"],
        [[labels.get(r, r), reasons[r], _share(reasons[r], routed)] for r in order],
        chart_value=1,
        chart_title="Calls routed elsewhere, by reason",
    )

    def by(dimension: str, keys, label) -> list[list]:
        return [
            [
                label(k),
                received[dimension][k],
                elsewhere[dimension][k],
                _share(elsewhere[dimension][k], received[dimension][k]),
            ]
            for k in keys
        ]

    columns = ["Calls received", "Routed elsewhere", "Share routed elsewhere (%)"]
    return UnmetNeed(
        summary=summary,
        by_reason=by_reason,
        by_hour=Table(
            "unmet-by-hour",
            "Routed elsewhere, by hour of day (local time)",
            ["Hour received", *columns],
            by("hour", range(24), lambda h: f"{h:02d}:00"),
            chart_value=2,
            chart_kind="columns",
            chart_title="Calls routed elsewhere, by hour received",
        ),
        by_weekday=Table(
            "unmet-by-weekday",
            "Routed elsewhere, by day of week",
            ["Day received", *columns],
            by("weekday", range(7), WEEKDAYS.__getitem__),
            chart_value=2,
            chart_kind="columns",
            chart_title="Calls routed elsewhere, by day received",
        ),
    )


# Every call ------------------------------------------------------------------------------

CALL_COLUMNS = [
    "CAD number",
    "Received",
    "Call type",
    "Priority",
    "Status",
    "Routed elsewhere because",
    "Recommended unit",
    "Team",
    "Team unit",
    *[f"{label} (min)" for _, label in INTERVALS],
    "Disposition",
    "NEMSIS eDisposition.27",
    "People served",
    "Transport",
    "Police requested",
    "EMS requested",
]


def every_call(session: Session, scope: Scope) -> Table:
    """One row per call received in the scope: the data behind every table, streamed.
    No personal details (no narrative, address or phone). A call's intervals follow the
    definitions above, with assigned -> en route from its latest assignment."""
    times = call_taps(scope)
    latest = _latest_assignments(scope)
    received = epoch_seconds(Incident.received_at)
    stmt = (
        select(
            Incident.cad_number,
            Incident.received_at,
            Incident.call_type,
            Incident.priority,
            Incident.status,
            Incident.fallback_reason,
            Incident.recommended_unit_type,
            Team.call_sign,
            Team.unit_type,
            times.c.first_assigned - received,
            times.c.en_route - times.c.assigned,
            times.c.on_scene - times.c.en_route,
            times.c.on_scene - received,
            Outcome.disposition,
            Outcome.people_served,
            Outcome.transport,
            Outcome.police_requested,
            Outcome.ems_requested,
        )
        .outerjoin(times, times.c.incident_id == Incident.id)
        .outerjoin(latest, latest.c.incident_id == Incident.id)
        .outerjoin(Assignment, Assignment.id == latest.c.assignment_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .outerjoin(Outcome, Outcome.incident_id == Incident.id)
        .where(_in_period(scope))
        .order_by(Incident.received_at, Incident.id)
    )
    if scope.unit_type:
        stmt = stmt.where(
            or_(
                Team.unit_type == scope.unit_type,
                and_(Team.id.is_(None), Incident.recommended_unit_type == scope.unit_type),
            )
        )
    return Table("calls", "Every call", CALL_COLUMNS, _call_rows(session, stmt, scope.period.zone))


_STATUS_LABELS = {s.value: s.label for s in IncidentStatus}


def _unit_label(unit: str | None) -> str:
    return UNIT_TYPES.get(unit, unit) if unit else ""


def _call_rows(session: Session, stmt, zone: ZoneInfo) -> Iterator[list]:
    for (
        cad,
        received,
        call_type,
        priority,
        status,
        reason,
        recommended,
        call_sign,
        unit,
        to_assign,
        to_en_route,
        to_scene,
        to_arrive,
        disposition,
        people,
        transport,
        police,
        ems,
    ) in session.execute(stmt.execution_options(yield_per=STREAM_BATCH)):
        known = DISPOSITIONS.get(disposition) if disposition else None
        yield [
            cad,
            local_text(received, zone),
            CALL_TYPES.get(call_type, call_type),
            priority,
            _STATUS_LABELS.get(status, status),
            FALLBACK_REASONS.get(reason, reason) if reason else "",
            _unit_label(recommended),
            call_sign,
            _unit_label(unit),
            *[_minutes(_seconds(v)) for v in (to_assign, to_en_route, to_scene, to_arrive)],
            known.label if known else disposition,
            known.nemsis_code if known else None,
            people,
            transport,
            police,
            ems,
        ]
