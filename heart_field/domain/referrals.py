"""Care Navigation: making a referral from a cleared call, and working it to a close.

The only code that changes a referral. Each function commits, or raises ReferralRefused
having changed nothing (the web layer answers 409, or 422 when `field` names a form field).
Knows nothing of Flask requests; times are aware UTC, the local zone is passed in.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    ATTEMPT_METHODS,
    ATTEMPT_RESULTS,
    CLOSE_REASONS,
    CONNECTION_SERVICES,
    NEEDS,
    FollowUpAttempt,
    Incident,
    Outcome,
    Referral,
    ReferralClosure,
    ReferralStatus,
    Role,
    ServiceConnection,
    Team,
    Urgency,
    User,
    utcnow,
)
from . import dates

END_OF_DAY = time(23, 59, 59)


class ReferralRefused(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def due_time(urgency: str, made_at: datetime, zone: ZoneInfo) -> datetime:
    """When first contact is due: same day by the end of the local day; within 48 hours
    exactly 48 hours on (a clock change moves the local time, not the wait); routine by the
    end of the seventh local day after."""
    made_utc = made_at.astimezone(UTC)  # aware arithmetic in one zone is wall-clock
    local_date = made_utc.astimezone(zone).date()
    match Urgency(urgency):
        case Urgency.SAME_DAY:
            due = datetime.combine(local_date, END_OF_DAY, tzinfo=zone)
        case Urgency.WITHIN_48_HOURS:
            return made_utc + timedelta(hours=48)
        case Urgency.ROUTINE:
            due = datetime.combine(local_date + timedelta(days=7), END_OF_DAY, tzinfo=zone)
    return due.astimezone(UTC)


def local_when(moment: datetime, zone: ZoneInfo) -> str:
    """A due time as people say it, in the local zone: "Fri 27 Nov 15:00"."""
    return dates.when(moment, zone)


def overdue(now: datetime):
    """SQL condition: referrals not closed whose next step was due before `now`."""
    return and_(Referral.status != ReferralStatus.CLOSED.value, Referral.next_action_at < now)


@dataclass(frozen=True)
class ReferralInput:
    client_uuid: str
    person_name: str
    needs: tuple[str, ...]
    urgency: str
    phone: str | None = None
    other_contact: str | None = None
    best_time: str | None = None
    may_leave_message: bool = False
    notes: str | None = None
    sensitive_notes: str | None = None


def outcome_for_referral(session: Session, incident: Incident, team: Team) -> Outcome:
    """The outcome this team recorded when it cleared the call; referrals hang off it."""
    outcome = session.scalar(select(Outcome).where(Outcome.incident_id == incident.id))
    if outcome is None or outcome.team_id != team.id:
        raise ReferralRefused("not_cleared", "Clear the call with an outcome first, then refer.")
    return outcome


def make_referral(
    session: Session,
    incident: Incident,
    team: Team,
    data: ReferralInput,
    actor: User,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Referral:
    """Create a consented referral from a call the team cleared. A client UUID seen before
    answers with the referral it made."""
    earlier = session.scalar(select(Referral).where(Referral.client_uuid == data.client_uuid))
    if earlier is not None:
        if earlier.made_by_id != actor.id:
            raise ReferralRefused("invalid", "That form was already used. Reload and try again.")
        return earlier
    outcome_for_referral(session, incident, team)
    if not data.needs or set(data.needs) - NEEDS.keys():
        raise ReferralRefused("invalid", "Choose at least one need.", field="needs")
    if not (data.phone or data.other_contact):
        raise ReferralRefused(
            "invalid", "Give a phone number or another way to reach them.", field="phone"
        )
    now = now or utcnow()
    due = due_time(data.urgency, now, zone)
    referral = Referral(
        incident_id=incident.id,
        team_id=team.id,
        made_by_id=actor.id,
        client_uuid=data.client_uuid,
        consented_at=now,
        person_name=data.person_name,
        phone=data.phone,
        other_contact=data.other_contact,
        best_time=data.best_time,
        may_leave_message=data.may_leave_message,
        needs=list(data.needs),
        urgency=Urgency(data.urgency).value,
        notes=data.notes,
        sensitive_notes=data.sensitive_notes if "substance_use" in data.needs else None,
        status=ReferralStatus.OPEN.value,
        created_at=now,
        due_at=due,
        next_action_at=due,
    )
    session.add(referral)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        earlier = session.scalar(select(Referral).where(Referral.client_uuid == data.client_uuid))
        if earlier is None:
            raise
        return earlier
    return referral


def record_refusal(session: Session, incident: Incident, team: Team) -> Outcome:
    """No consent, no referral: the call's outcome says the person declined."""
    outcome = outcome_for_referral(session, incident, team)
    outcome.referral_declined = True
    session.commit()
    return outcome


def claim(
    session: Session, referral: Referral, navigator: User, now: datetime | None = None
) -> Referral:
    """Take an unclaimed referral. Claiming one already yours changes nothing."""
    if referral.status == ReferralStatus.CLAIMED and referral.claimed_by_id == navigator.id:
        return referral
    _claim(session, referral, navigator, now or utcnow())
    session.commit()
    return referral


def _claim(session: Session, referral: Referral, navigator: User, now: datetime) -> None:
    # Compare-and-swap, so two navigators pressing Claim together cannot both win.
    swapped = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.OPEN.value)
        .values(status=ReferralStatus.CLAIMED.value, claimed_by_id=navigator.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(referral)
    if swapped.rowcount == 1:
        return
    session.rollback()
    session.refresh(referral)
    _refuse_if_closed(referral)
    name = referral.claimed_by.display_name if referral.claimed_by else "someone else"
    raise ReferralRefused("already_claimed", f"{referral.reference} is already claimed by {name}.")


def _refuse_if_closed(referral: Referral) -> None:
    if referral.status == ReferralStatus.CLOSED:
        raise ReferralRefused("closed", f"{referral.reference} is closed. Reopen it to work on it.")


def _working_on(session: Session, referral: Referral, navigator: User, now: datetime) -> None:
    """Any navigator may work a referral (colleagues cover for each other); working on an
    unclaimed one claims it."""
    _refuse_if_closed(referral)
    if referral.status == ReferralStatus.OPEN:
        _claim(session, referral, navigator, now)


def log_attempt(
    session: Session,
    referral: Referral,
    navigator: User,
    method: str,
    result: str,
    next_attempt_at: datetime | None = None,
    note: str | None = None,
    now: datetime | None = None,
    attempted_at: datetime | None = None,
) -> FollowUpAttempt:
    """An attempt made now, or at `attempted_at` (a visit logged afterwards): between the
    referral's creation and now. The first-attempt and first-contact times are the earliest."""
    now = now or utcnow()
    if method not in ATTEMPT_METHODS:
        raise ReferralRefused("invalid", "Choose how you tried.", field="method")
    if result not in ATTEMPT_RESULTS:
        raise ReferralRefused("invalid", "Choose what happened.", field="result")
    if attempted_at is not None and attempted_at > now:
        raise ReferralRefused("invalid", "The time cannot be in the future.", field="attempted_at")
    if attempted_at is not None and attempted_at < referral.created_at:
        raise ReferralRefused(
            "invalid", "The referral was made after that time.", field="attempted_at"
        )
    if next_attempt_at is not None and next_attempt_at <= now:
        raise ReferralRefused("invalid", "Choose a time in the future.", field="next_attempt_at")
    when = attempted_at or now
    _working_on(session, referral, navigator, now)
    attempt = FollowUpAttempt(
        referral_id=referral.id,
        navigator_id=navigator.id,
        method=method,
        result=result,
        note=note,
        attempted_at=when,
        next_attempt_at=next_attempt_at,
    )
    session.add(attempt)
    referral.first_attempt_at = min(referral.first_attempt_at or when, when)
    if result == "reached":
        referral.first_contact_at = min(referral.first_contact_at or when, when)
    if next_attempt_at is not None:
        referral.next_action_at = next_attempt_at
    session.commit()
    return attempt


def connect(
    session: Session,
    referral: Referral,
    navigator: User,
    service: str,
    organisation: str,
    connected_on: date,
    today: date,
    now: datetime | None = None,
) -> ServiceConnection:
    """Record a service the person was connected to. `today` is the local date."""
    now = now or utcnow()
    if service not in CONNECTION_SERVICES:
        raise ReferralRefused("invalid", "Choose a service.", field="service")
    if connected_on > today:
        raise ReferralRefused("invalid", "The date cannot be in the future.", field="connected_on")
    _working_on(session, referral, navigator, now)
    connection = ServiceConnection(
        referral_id=referral.id,
        service=service,
        organisation=organisation,
        connected_on=connected_on,
        recorded_by_id=navigator.id,
        recorded_at=now,
    )
    session.add(connection)
    referral.connected_at = referral.connected_at or now
    session.commit()
    return connection


def close(
    session: Session,
    referral: Referral,
    navigator: User,
    reason: str,
    note: str | None = None,
    now: datetime | None = None,
) -> Referral:
    now = now or utcnow()
    _refuse_if_closed(referral)
    if reason not in CLOSE_REASONS:
        raise ReferralRefused("invalid", "Choose a reason.", field="reason")
    if reason == "connected" and not referral.connections:
        raise ReferralRefused(
            "invalid", "Record the service they were connected to first.", field="reason"
        )
    if reason == "unreachable" and not referral.attempts:
        raise ReferralRefused("invalid", "Log the attempts to reach them first.", field="reason")
    swapped = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status != ReferralStatus.CLOSED.value)
        .values(
            status=ReferralStatus.CLOSED.value,
            closed_at=now,
            closed_by_id=navigator.id,
            close_reason=reason,
            close_note=note,
            claimed_by_id=func.coalesce(Referral.claimed_by_id, navigator.id),
            claimed_at=func.coalesce(Referral.claimed_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:
        session.rollback()
        session.refresh(referral)
        _refuse_if_closed(referral)
    session.add(
        ReferralClosure(
            referral_id=referral.id,
            closed_at=now,
            closed_by_id=navigator.id,
            reason=reason,
            note=note,
        )
    )
    session.commit()
    session.refresh(referral)
    return referral


def reopen(
    session: Session,
    referral: Referral,
    navigator: User,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Referral:
    """Back to the queue, due again by its urgency from now. The close it undoes stays in
    the referral's closures."""
    now = now or utcnow()
    if referral.status != ReferralStatus.CLOSED:
        raise ReferralRefused("not_closed", f"{referral.reference} is not closed.")
    for closure in referral.closures:
        if closure.reopened_at is None:
            closure.reopened_at, closure.reopened_by_id = now, navigator.id
    referral.status = (
        ReferralStatus.CLAIMED if referral.claimed_by_id else ReferralStatus.OPEN
    ).value
    referral.closed_at = referral.closed_by_id = referral.close_reason = referral.close_note = None
    referral.reopened_at = now
    referral.next_action_at = due_time(referral.urgency, now, zone)
    session.commit()
    return referral


QUEUE_VIEWS = {
    "open": "All open",
    "mine": "Mine",
    "unclaimed": "Unclaimed",
    "overdue": "Overdue",
    "closed": "Closed",
}


def queue(session: Session, view: str, user: User, now: datetime) -> list[Referral]:
    """The referrals in one view of the queue, the next due first."""
    query = select(Referral)
    if view == "closed":
        return list(
            session.scalars(
                query.where(Referral.status == ReferralStatus.CLOSED.value)
                .order_by(Referral.closed_at.desc())
                .limit(100)
            )
        )
    query = query.where(Referral.status != ReferralStatus.CLOSED.value)
    if view == "mine":
        query = query.where(Referral.claimed_by_id == user.id)
    elif view == "unclaimed":
        query = query.where(Referral.status == ReferralStatus.OPEN.value)
    elif view == "overdue":
        query = query.where(overdue(now))
    return list(session.scalars(query.order_by(Referral.next_action_at, Referral.id)))


@dataclass(frozen=True)
class NavigatorLoad:
    navigator: User
    open: int
    overdue: int


def navigator_load(session: Session, now: datetime) -> list[NavigatorLoad]:
    """Each active navigator's claimed, not-closed referrals, and how many are overdue."""
    navigators = session.scalars(
        select(User)
        .where(User.role == Role.NAVIGATOR.value, User.active.is_(True))
        .order_by(User.display_name)
    ).all()
    not_closed = Referral.status != ReferralStatus.CLOSED.value
    counts = dict(
        session.execute(
            select(Referral.claimed_by_id, func.count())
            .where(not_closed)
            .group_by(Referral.claimed_by_id)
        ).all()
    )
    late = dict(
        session.execute(
            select(Referral.claimed_by_id, func.count())
            .where(overdue(now))
            .group_by(Referral.claimed_by_id)
        ).all()
    )
    return [NavigatorLoad(n, counts.get(n.id, 0), late.get(n.id, 0)) for n in navigators]
