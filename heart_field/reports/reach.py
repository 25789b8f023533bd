"""HEART's reach: of the calls HEART was eligible for, the share it served in person, by phone,
and not at all (by reason); how long calls waited for a team; and how calls ended without a
team clearing them (cancellations and the waiting queue's coded outcomes). Nothing here knows
of Flask requests.

Definitions (also shown on the page):

- Eligible: inside city limits (the location verified), and not refused by routing for being
  outside service hours or a safety risk; a call that waited because no team was free is
  eligible. Calls closed as duplicates are not counted.
- In person: a HEART team reached the scene (an On scene tap) or cleared the call with an
  outcome, whatever happened after.
- By phone: resolved as handled by phone (Crisis Call Diversion) or callback arranged.
- Not served: the rest that have ended, by how they ended (sent to another responder,
  cancelled, no one found). Calls still waiting or with a team not yet on scene are "still
  open".
- Waiting before assignment: from the call's receipt to the first team assigned (device time
  of the assignment), for eligible calls that got a team; calls that never got one are
  counted apart, with their wait until they were resolved.
"""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..domain.intake import OTHER_RESPONDERS
from ..domain.routing import NO_TEAM_AVAILABLE
from ..models import (
    RESOLUTIONS,
    CallResolution,
    Incident,
    IncidentStatus,
    Outcome,
)
from ..models.steering import BY_PHONE
from .queries import (
    Scope,
    _in_period,
    _minutes,
    _share,
    _stream,
    call_taps,
    epoch_seconds,
    percentile,
)
from .tables import Table

IN_PERSON, BY_PHONE_ROW, STILL_OPEN = "in_person", "by_phone", "still_open"
NOT_SERVED = {
    "sent_to_co_response": "Sent to Co-Response",
    "sent_to_police": "Sent to police",
    "sent_to_ems": "Sent to EMS",
    "sent_to_fire": "Sent to fire",
    "sent_to_county": "Sent to county",
    "sent_elsewhere": "Sent to another responder (who not recorded)",
    "caller_cancelled": "Caller cancelled",
    "cancelled": "Cancelled (other reason)",
    "no_one_found": "No one found",
    "closed_without_arrival": "Closed before a team arrived",
}
FROM_STATUS = {"open": "While waiting", "assigned": "Team assigned", "en_route": "Team en route"}


@dataclass
class Reach:
    served: Table
    waiting: Table
    endings: Table


def _calls(scope: Scope):
    """One row per call received in the scope: eligibility, how it ended, and its waits."""
    taps = call_taps(scope)
    received = epoch_seconds(Incident.received_at)
    stmt = (
        select(
            Incident.within_city_limits,
            Incident.fallback_reason,
            Incident.status,
            Incident.routed_to,
            CallResolution.code,
            CallResolution.from_status,
            taps.c.first_assigned - received,
            # Whether an outcome exists, from its call's id alone: the unique index on
            # outcomes.incident_id answers it without reading the outcomes themselves.
            func.coalesce(taps.c.arrivals, 0) + case((Outcome.incident_id.is_(None), 0), else_=1),
            epoch_seconds(CallResolution.resolved_at) - received,
        )
        .outerjoin(taps, taps.c.incident_id == Incident.id)
        .outerjoin(CallResolution, CallResolution.incident_id == Incident.id)
        .outerjoin(Outcome, Outcome.incident_id == Incident.id)
        .where(_in_period(scope))
    )
    if scope.unit_type:
        stmt = stmt.where(Incident.recommended_unit_type == scope.unit_type)
    return stmt


def _eligible(within, fallback) -> bool:
    return within is True and fallback in (None, NO_TEAM_AVAILABLE)


def _how(status, routed_to, code, arrivals) -> str:
    if arrivals:
        return IN_PERSON
    if code in BY_PHONE:
        return BY_PHONE_ROW
    if code is not None:
        return code
    if status == IncidentStatus.ROUTED_ELSEWHERE:
        return f"sent_to_{routed_to}" if routed_to in OTHER_RESPONDERS else "sent_elsewhere"
    if status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        return "closed_without_arrival"
    return STILL_OPEN


def reach(session: Session, scope: Scope) -> Reach:
    how: Counter = Counter()
    endings: Counter = Counter()
    assigned_waits: list[float] = []
    unassigned_waits: list[float] = []
    duplicates = 0
    for (
        within,
        fallback,
        status,
        routed_to,
        code,
        from_status,
        to_assign,
        arrivals,
        to_end,
    ) in _stream(session, _calls(scope)):
        if code is not None:
            endings[(code, from_status)] += 1
        if not _eligible(within, fallback):
            continue
        if code == "duplicate":
            duplicates += 1
            continue
        how[_how(status, routed_to, code, arrivals)] += 1
        if to_assign is not None and to_assign >= 0:
            assigned_waits.append(to_assign)
        elif to_end is not None and to_end >= 0:
            unassigned_waits.append(to_end)

    eligible = sum(how.values())
    not_served = sum(n for key, n in how.items() if key in NOT_SERVED)
    rows = [
        ["Eligible calls", eligible, None],
        ["Served in person", how[IN_PERSON], _share(how[IN_PERSON], eligible)],
        ["Served by phone", how[BY_PHONE_ROW], _share(how[BY_PHONE_ROW], eligible)],
        ["Not served by HEART", not_served, _share(not_served, eligible)],
        *[
            [f"Not served: {label}", how[key], _share(how[key], eligible)]
            for key, label in NOT_SERVED.items()
            if how[key]
        ],
        ["Still open", how[STILL_OPEN], _share(how[STILL_OPEN], eligible)],
    ]
    served = Table(
        "reach",
        "Eligible calls HEART served",
        ["Measure", "Calls", "Share (%)"],
        rows,
        chart_value=1,
        chart_title="Eligible calls: in person, by phone, not served",
        note=f"Eligible: inside city limits, within service hours, passing the safety screen. "
        f"Duplicates left out: {duplicates}.",
    )

    def summary(label: str, waits: list[float]) -> list:
        ordered = sorted(waits)
        return [
            label,
            len(ordered),
            _minutes(percentile(ordered, 0.5)),
            _minutes(percentile(ordered, 0.9)),
        ]

    waiting = Table(
        "waiting-time",
        "Waiting before a team was assigned",
        ["Calls", "Count", "Median (min)", "90th percentile (min)"],
        [
            summary("Eligible calls that got a team: wait until assigned", assigned_waits),
            summary("Eligible calls that never got a team: wait until resolved", unassigned_waits),
        ],
    )

    ending_rows = [
        [
            RESOLUTIONS[c],
            *[endings[(c, s)] for s in FROM_STATUS],
            sum(endings[(c, s)] for s in FROM_STATUS),
        ]
        for c in RESOLUTIONS
    ]
    ending_rows.sort(key=lambda row: -row[-1])
    endings_table = Table(
        "cancellations",
        "Cancellations and waiting calls resolved, by reason",
        ["Reason", *FROM_STATUS.values(), "Total"],
        ending_rows,
        chart_value=len(FROM_STATUS) + 1,
        chart_title="Calls ended without a team clearing them, by reason",
        note="Every call received in the range that was cancelled, or resolved while it "
        "waited, by the coded reason and what the call was doing then.",
    )
    return Reach(served, waiting, endings_table)
