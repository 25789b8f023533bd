"""Care Navigation follow-through for the supervisors' report: referrals made in a scope,
made -> claimed -> first contact within 48 hours -> connected, the time to first contact,
and what is overdue now. Nothing here knows of Flask requests.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Team
from ..models.referrals import Referral, ReferralStatus, Urgency
from .queries import Scope, _count_if, _share, _stream, epoch_seconds, local_text, percentile
from .tables import Table

FIRST_CONTACT_GOAL = timedelta(hours=48)
OPEN_STATUSES = [s.value for s in ReferralStatus if s != ReferralStatus.CLOSED]


@dataclass
class Referrals:
    funnel: Table
    contact_time: Table
    overdue: Table


def follow_through(session: Session, scope: Scope, now: datetime) -> Referrals:
    """Care Navigation follow-through for referrals made in the scope: made -> claimed ->
    first contact within 48 hours -> connected, the time to first contact, and every
    referral overdue now (whenever it was made)."""
    made_in_scope = [
        Referral.created_at >= scope.period.start,
        Referral.created_at < scope.period.end,
    ]
    unit = [Team.unit_type == scope.unit_type] if scope.unit_type else []
    to_contact = epoch_seconds(Referral.first_contact_at) - epoch_seconds(Referral.created_at)
    made, claimed, contacted, connected = session.execute(
        select(
            func.count(Referral.id),
            func.count(Referral.claimed_at),
            _count_if(to_contact <= FIRST_CONTACT_GOAL.total_seconds()),
            func.count(Referral.connected_at),
        )
        .join(Team, Team.id == Referral.team_id)
        .where(*made_in_scope, *unit)
    ).one()
    stages = [
        ("Referrals made", made),
        ("Claimed by a navigator", claimed),
        ("First contact within 48 hours", contacted),
        ("Connected to services", connected),
    ]
    funnel = Table(
        "referral-funnel",
        "Referral follow-through",
        ["Stage", "Referrals", "Share of referrals made (%)"],
        [[label, int(n), _share(int(n), int(made))] for label, n in stages],
        chart_value=1,
        chart_title="Referrals at each stage",
    )

    waits = sorted(
        v
        for (v,) in _stream(
            session,
            select(to_contact)
            .join(Team, Team.id == Referral.team_id)
            .where(*made_in_scope, *unit, Referral.first_contact_at.is_not(None)),
        )
    )
    hours = [
        None if v is None else round(v / 3600, 1)
        for v in (percentile(waits, 0.5), percentile(waits, 0.9))
    ]
    contact_time = Table(
        "referral-contact-time",
        "Time from referral to first contact",
        ["Measure", "Hours"],
        [["Referrals contacted", len(waits)], ["Median", hours[0]], ["90th percentile", hours[1]]],
    )

    zone = scope.period.zone
    rows = []
    for ref_id, created, urgency, status, due in session.execute(
        select(
            Referral.id,
            Referral.created_at,
            Referral.urgency,
            Referral.status,
            Referral.next_action_at,
        )
        .join(Team, Team.id == Referral.team_id)
        # Open statuses named (not "!= closed"): ix_referrals_status_next_action then reads
        # only the overdue ones, not every referral ever made.
        .where(Referral.status.in_(OPEN_STATUSES), Referral.next_action_at < now, *unit)
        .order_by(Referral.next_action_at)
    ):
        rows.append(
            [
                f"R-{ref_id}",
                local_text(created, zone),
                Urgency(urgency).label,
                ReferralStatus(status).label,
                local_text(due, zone),
                round((now - due).total_seconds() / 3600, 1),
            ]
        )
    overdue = Table(
        "referral-overdue",
        "Referrals overdue now",
        ["Referral", "Made", "Urgency", "Status", "Next step was due", "Overdue by (hours)"],
        rows,
        note="Open or claimed referrals whose next step is past due, whenever they were made.",
    )
    return Referrals(funnel, contact_time, overdue)
