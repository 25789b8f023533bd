"""Every call in outside terms: "Measuring What Matters" columns with NEMSIS v3.5 codes
(/reports/calls.csv?format=gpl). No personal details, like the other exports.

Two streamed queries in the same order (time received, then id): the calls with the team
that kept each one, its outcome and whether a referral was made; and every status event of
those calls. They are walked side by side, so memory stays flat however long the period."""

from collections.abc import Iterator
from itertools import groupby

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..domain import gpl, nemsis
from ..domain.routing import CALL_TYPES, FALLBACK_REASONS, UNIT_TYPES
from ..models import DISPOSITIONS, SERVICES, Assignment, Incident, Outcome, StatusEvent, Team
from ..models.referrals import Referral
from .queries import STREAM_BATCH, Scope, _in_period, _latest_assignments
from .tables import Table


def gpl_calls(session: Session, scope: Scope) -> Table:
    rows = _rows(session, scope)
    return Table("calls", "Every call (Measuring What Matters)", gpl.COLUMNS, rows)


def _rows(session: Session, scope: Scope) -> Iterator[list]:
    latest = _latest_assignments(scope)
    calls = (
        select(
            Incident.id,
            Incident.cad_number,
            Incident.received_at,
            Incident.call_type,
            Incident.priority,
            Incident.within_city_limits,
            Incident.recommended_unit_type,
            Incident.fallback_reason,
            Team.id.label("team_id"),
            Team.call_sign,
            Team.unit_type,
            Outcome.disposition,
            Outcome.people_served,
            Outcome.services,
            Outcome.transport,
            Outcome.police_requested,
            Outcome.ems_requested,
            Outcome.referral_declined,
            exists().where(Referral.incident_id == Incident.id).label("referred"),
        )
        .outerjoin(latest, latest.c.incident_id == Incident.id)
        .outerjoin(Assignment, Assignment.id == latest.c.assignment_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .outerjoin(Outcome, Outcome.incident_id == Incident.id)
        .where(_in_period(scope))
        .order_by(Incident.received_at, Incident.id)
    )
    if scope.unit_type:
        calls = calls.where(
            (Team.unit_type == scope.unit_type)
            | (Team.id.is_(None) & (Incident.recommended_unit_type == scope.unit_type))
        )
    events = (
        select(
            Incident.received_at,
            StatusEvent.incident_id,
            StatusEvent.team_id,
            StatusEvent.action,
            StatusEvent.occurred_at,
        )
        .join(Incident, Incident.id == StatusEvent.incident_id)
        .where(_in_period(scope))
        .order_by(Incident.received_at, Incident.id, StatusEvent.occurred_at, StatusEvent.id)
    )
    taps_by_call = groupby(
        session.execute(events.execution_options(yield_per=STREAM_BATCH)), key=lambda e: e[:2]
    )
    pending = next(taps_by_call, None)
    zone = scope.period.zone
    for call in session.execute(calls.execution_options(yield_per=STREAM_BATCH)):
        key = (call.received_at, call.id)
        # Both streams are ordered by (received_at, id); skip calls the unit filter left out.
        while pending is not None and pending[0] < key:
            pending = next(taps_by_call, None)
        taps = []
        if pending is not None and pending[0] == key:
            taps = [(e.action, e.occurred_at) for e in pending[1] if e.team_id == call.team_id]
            pending = next(taps_by_call, None)
        yield gpl.row(_facts(call, taps), zone)


def _facts(call, taps) -> gpl.CallFacts:
    """One row of the calls query (labelled columns) and its team's taps, as the row needs."""
    known = DISPOSITIONS.get(call.disposition) if call.disposition else None
    outcome = call.disposition is not None
    return gpl.CallFacts(
        cad_number=call.cad_number,
        received_at=call.received_at,
        call_type_label=CALL_TYPES.get(
            call.call_type, call.call_type.replace("_", " ").capitalize()
        ),
        priority=call.priority,
        within_city_limits=call.within_city_limits,
        eligible=None
        if call.within_city_limits is None
        else call.recommended_unit_type is not None,
        fallback_label=FALLBACK_REASONS.get(call.fallback_reason or "", ""),
        call_sign=call.call_sign,
        unit_label=UNIT_TYPES.get(call.unit_type, call.unit_type) if call.unit_type else "",
        times=nemsis.times(call.received_at, taps),
        disposition_label=known.label if known else call.disposition,
        nemsis=nemsis.disposition(
            known.nemsis_code,
            known.nemsis_label,
            call.disposition,
            call.services or [],
            call.transport,
        )
        if known
        else None,
        people_served=call.people_served,
        services=[SERVICES.get(s, s) for s in (call.services or [])],
        transport=call.transport if outcome else None,
        police_requested=call.police_requested if outcome else None,
        ems_requested=call.ems_requested if outcome else None,
        referral_made=bool(call.referred),
        referral_declined=call.referral_declined if outcome else None,
    )
