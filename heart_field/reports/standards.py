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
        select(Incident, Team, Outcome, exists().where(Referral.incident_id == Incident.id))
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
    for incident, team, outcome, referred in session.execute(
        calls.execution_options(yield_per=STREAM_BATCH)
    ):
        key = (incident.received_at, incident.id)
        # Both streams are ordered by (received_at, id); skip calls the unit filter left out.
        while pending is not None and pending[0] < key:
            pending = next(taps_by_call, None)
        taps = []
        if pending is not None and pending[0] == key:
            taps = [(e.action, e.occurred_at) for e in pending[1] if team and e.team_id == team.id]
            pending = next(taps_by_call, None)
        yield gpl.row(_facts(incident, team, outcome, bool(referred), taps), zone)


def _facts(incident, team, outcome, referred: bool, taps) -> gpl.CallFacts:
    known = DISPOSITIONS.get(outcome.disposition) if outcome else None
    return gpl.CallFacts(
        cad_number=incident.cad_number,
        received_at=incident.received_at,
        call_type_label=CALL_TYPES.get(incident.call_type, incident.call_type_label),
        priority=incident.priority,
        within_city_limits=incident.within_city_limits,
        eligible=None
        if incident.within_city_limits is None
        else incident.recommended_unit_type is not None,
        fallback_label=FALLBACK_REASONS.get(incident.fallback_reason or "", ""),
        call_sign=team.call_sign if team else None,
        unit_label=UNIT_TYPES.get(team.unit_type, team.unit_type) if team else "",
        times=nemsis.times(incident.received_at, taps),
        disposition_label=known.label if known else (outcome.disposition if outcome else None),
        nemsis=nemsis.disposition(
            known.nemsis_code,
            known.nemsis_label,
            outcome.disposition,
            outcome.services,
            outcome.transport,
        )
        if known
        else None,
        people_served=outcome.people_served if outcome else None,
        services=[SERVICES.get(s, s) for s in (outcome.services or [])] if outcome else [],
        transport=outcome.transport if outcome else None,
        police_requested=outcome.police_requested if outcome else None,
        ems_requested=outcome.ems_requested if outcome else None,
        referral_made=referred,
        referral_declined=outcome.referral_declined if outcome else None,
    )
