"""Call alerts by Web Push: which feed events alert a team's phones, what an alert says, and
who receives it. Flask-free; heart_field/alerts/ sends what this module queues.

An alert says the least that lets the responder act: the call type, its priority and the
part of the city (never the address, a name or a note's text), and opens the responder
screen on the call. Each alert is queued once per subscription under a `dedupe_key`, so
several processes reading the same feed, or finding the same overdue assignment, queue it
once between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import (
    Assignment,
    Incident,
    PushFeedCursor,
    PushMessage,
    PushSubscription,
    Role,
    StatusEvent,
    Team,
    TeamStatus,
    User,
)

ASSIGN = "assign"  # a new call for the team
REMINDER = "reminder"  # the same call, not accepted in time: sent once more
URGENT = "urgent"  # an urgent call update
CANCEL = "cancel"  # the call was cancelled
UNASSIGN = "unassign"  # the team was taken off the call (the call waits for another team)
WELFARE = "welfare"  # on scene long enough for dispatch to check on the team


def kind_of(event: StatusEvent) -> str | None:
    """The alert a feed event raises, if any (feed actions: see COMMON contracts)."""
    if event.action == "assign":
        return ASSIGN
    if event.action == "cancel_call":
        return CANCEL
    if event.action == "cancel":
        return UNASSIGN
    if event.action == "note" and event.detail == "urgent":
        return URGENT
    return None


_DIRECTIONS = ("North", "Northeast", "East", "Southeast", "South", "Southwest", "West", "Northwest")


def area_of(lat: float | None, lon: float | None, centre: tuple[float, float], place: str) -> str:
    """The part of the city a point is in, coarse enough to name no one: "Central Durham"
    within 2 km of the centre, otherwise one of eight compass sectors ("Northeast Durham")."""
    if lat is None or lon is None:
        return "Location to be confirmed"
    north_km = (lat - centre[0]) * 111.0
    east_km = (lon - centre[1]) * 111.0 * math.cos(math.radians(centre[0]))
    if math.hypot(north_km, east_km) < 2.0:
        return f"Central {place}"
    bearing = math.degrees(math.atan2(east_km, north_km)) % 360
    return f"{_DIRECTIONS[int((bearing + 22.5) // 45) % 8]} {place}"


@dataclass(frozen=True)
class Place:
    """Where areas are measured from, and the name they carry."""

    centre: tuple[float, float]
    name: str = "Durham"


_TITLES = {
    ASSIGN: "New call: {call_type}",
    REMINDER: "Not accepted yet: {call_type}",
    URGENT: "Urgent update: {call_type}",
    CANCEL: "Call cancelled: {call_type}",
    UNASSIGN: "Taken off the call: {call_type}",
    WELFARE: "Welfare check: {call_type}",
}
_NEXT = {
    ASSIGN: "Open to accept.",
    REMINDER: "Open to accept or decline.",
    URGENT: "Open to read it.",
    CANCEL: "Your team is released.",
    UNASSIGN: "Dispatch has released your team.",
    WELFARE: "Dispatch is checking on you: answer the radio.",
}


def payload(kind: str, incident: Incident, place: Place) -> dict:
    """What the notification shows, and where a tap on it goes."""
    call_type = incident.call_type_label
    area = area_of(incident.lat, incident.lon, place.centre, place.name)
    return {
        "kind": kind,
        "title": _TITLES[kind].format(call_type=call_type),
        "body": f"P{incident.priority} · {area}. {_NEXT[kind]}",
        "call_type": call_type,
        "priority": incident.priority,
        "area": area,
        "incident": incident.id,
        "url": f"/field/#call-{incident.id}",
        "tag": f"call-{incident.id}",
    }


def recipients(session: Session, team_id: int, now: datetime) -> list[PushSubscription]:
    """The team's signed-in responders' devices."""
    return list(
        session.scalars(
            select(PushSubscription)
            .join(User, User.id == PushSubscription.user_id)
            .where(
                User.team_id == team_id,
                User.role == Role.RESPONDER,
                User.active.is_(True),
                PushSubscription.expires_at > now,
            )
            .order_by(PushSubscription.id)
        )
    )


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).values(rows).on_conflict_do_nothing())


def queue(
    session: Session,
    kind: str,
    team_id: int,
    incident: Incident,
    key: str,
    place: Place,
    now: datetime,
    feed_event_id: int | None = None,
) -> int:
    """Queue one alert for each of the team's devices (not committed); answers how many
    devices. `key` names the alert; a key queued before is not queued again."""
    devices = recipients(session, team_id, now)
    body = payload(kind, incident, place)
    _insert_ignoring_duplicates(
        session,
        PushMessage,
        [
            dict(
                subscription_id=device.id,
                dedupe_key=f"{key}:{device.id}",
                kind=kind,
                incident_id=incident.id,
                feed_event_id=feed_event_id,
                payload=body,
                created_at=now,
                next_try_at=now,
                attempts=0,
            )
            for device in devices
        ],
    )
    return len(devices)


def queue_from_feed(session: Session, place: Place, now: datetime, max_age: timedelta) -> int:
    """Turn feed events after the shared cursor into alerts, advance the cursor, commit.
    Answers how many events were read. The first run starts at the newest event (no alerts
    for the past); an event older than `max_age` (the senders were all down) alerts no one."""
    cursor = session.get(PushFeedCursor, 1)
    if cursor is None:
        latest = session.scalar(select(func.max(StatusEvent.id))) or 0
        _insert_ignoring_duplicates(session, PushFeedCursor, [{"id": 1, "last_event_id": latest}])
        session.commit()
        return 0
    start = cursor.last_event_id
    events = list(
        session.scalars(
            select(StatusEvent).where(StatusEvent.id > start).order_by(StatusEvent.id).limit(200)
        )
    )
    if not events:
        session.rollback()  # end the read transaction: nothing held between polls
        return 0
    for event in events:
        kind = kind_of(event)
        if kind is None or event.incident_id is None or now - event.received_at > max_age:
            continue
        incident = session.get(Incident, event.incident_id)
        key = f"{kind}:{event.id}"
        if kind in (CANCEL, UNASSIGN):
            # A cancelled call may also write the team's release: one alert per assignment.
            assignment_id = session.scalar(
                select(func.max(Assignment.id)).where(
                    Assignment.incident_id == event.incident_id,
                    Assignment.team_id == event.team_id,
                )
            )
            key = f"ended:{assignment_id}"
        queue(session, kind, event.team_id, incident, key, place, now, feed_event_id=event.id)
    session.execute(
        update(PushFeedCursor)
        .where(PushFeedCursor.id == 1, PushFeedCursor.last_event_id < events[-1].id)
        .values(last_event_id=events[-1].id)
    )
    session.commit()
    return len(events)


def queue_overdue(
    session: Session,
    place: Place,
    now: datetime,
    remind_after: timedelta,
    welfare_after: timedelta,
    max_age: timedelta,
) -> None:
    """Time-driven alerts, then commit: an assignment not accepted after `remind_after` is
    sent once more (the board alerts at the accept time-out, as before); a team on scene
    for `welfare_after` since arriving or since dispatch last checked gets the welfare check."""
    waiting = session.execute(
        select(Assignment, Incident)
        .join(Incident, Incident.id == Assignment.incident_id)
        .join(Team, Team.id == Assignment.team_id)
        .where(
            Assignment.ended_at.is_(None),
            Assignment.accepted_at.is_(None),
            Team.status == TeamStatus.ASSIGNED,
            Assignment.assigned_at <= now - remind_after,
            Assignment.assigned_at > now - max_age,
        )
    ).all()
    for assignment, incident in waiting:
        queue(
            session, REMINDER, assignment.team_id, incident, f"remind:{assignment.id}", place, now
        )

    on_scene = session.execute(
        select(Team, Assignment, Incident)
        .join(Assignment, (Assignment.team_id == Team.id) & Assignment.ended_at.is_(None))
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(Team.status == TeamStatus.ON_SCENE, Team.status_since <= now - welfare_after)
    ).all()
    if on_scene:
        checked = dict(
            session.execute(
                select(StatusEvent.team_id, func.max(StatusEvent.received_at))
                .where(StatusEvent.action == "welfare_ack")
                .group_by(StatusEvent.team_id)
            ).all()
        )
        for team, _assignment, incident in on_scene:
            since = max(team.status_since, checked.get(team.id) or team.status_since)
            due = since + welfare_after
            if now >= due and now - due <= max_age:
                key = f"welfare:{team.id}:{int(since.timestamp())}"
                queue(session, WELFARE, team.id, incident, key, place, now)
    session.commit()


def subscribe(
    session: Session,
    user: User,
    marker: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    expires_at: datetime,
) -> PushSubscription:
    """Keep this device's subscription for this user and session (commits). The endpoint is
    the device's: a new sign-in on the same browser takes it over."""
    values = dict(
        user_id=user.id, session_marker=marker, p256dh=p256dh, auth=auth, expires_at=expires_at
    )
    found = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if found is None:
        found = PushSubscription(endpoint=endpoint, **values)
        session.add(found)
    else:
        for name, value in values.items():
            setattr(found, name, value)
    session.commit()
    return found


def forget(session: Session, subscriptions) -> int:
    """Delete subscriptions and whatever is queued for them (not committed)."""
    ids = [s.id for s in subscriptions]
    if not ids:
        return 0
    from sqlalchemy import delete

    session.execute(delete(PushMessage).where(PushMessage.subscription_id.in_(ids)))
    session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ids)))
    return len(ids)


def end_session_alerts(session: Session, user_id: int, marker: str | None) -> int:
    """Alerts off for one device session (its subscriptions deleted). Commits."""
    count = forget_session_alerts(session, user_id, marker)
    session.commit()
    return count


def forget_session_alerts(session: Session, user_id: int, marker: str | None) -> int:
    """The device session ended (sign-out, lock-screen sign-out, remote sign-out): its
    subscriptions are deleted, so nothing more is sent to it. The caller commits."""
    if not marker:
        return 0
    found = session.scalars(
        select(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.session_marker == marker
        )
    ).all()
    return forget(session, found)
