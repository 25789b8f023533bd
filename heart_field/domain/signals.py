"""Feed entries that change no status: a backup request and the dispatcher's acknowledgements.

They ride the feed (status_events) so the board and the phone hear them live, with the team's
status and row version as they are: they are not status changes, and the status machine's
transitions do not know them. Add a kind to ``KINDS`` to make a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import StatusEvent, Team, utcnow
from . import feed
from .feed import FeedEvent

BACKUP = "backup"  # a responder asks for backup
BACKUP_ACK = "backup_ack"  # the dispatcher has seen it
WELFARE_ACK = "welfare_ack"  # the dispatcher checked on a team long on scene
KINDS = (BACKUP, BACKUP_ACK, WELFARE_ACK)


def record(
    session: Session,
    team: Team,
    kind: str,
    actor_id: int | None,
    client_uuid: str,
    incident_id: int | None = None,
    detail: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    occurred_at: datetime | None = None,
) -> FeedEvent:
    """Append one entry and commit. A client UUID seen before answers with its first entry
    (double taps, offline replays) and adds nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown signal {kind!r}")
    team_id = team.id
    now = utcnow()
    try:
        with feed.writing(session) as write:
            # The team as it is under the feed's lock, not as the caller read it before.
            status, version = write.connection.execute(
                select(Team.status, Team.version).where(Team.id == team_id)
            ).one()
            return write.add(
                team_id=team_id,
                incident_id=incident_id,
                actor_id=actor_id,
                action=kind,
                from_status=status,
                to_status=status,
                team_version=version,
                occurred_at=occurred_at or now,
                received_at=now,
                client_uuid=client_uuid,
                detail=detail,
                lat=lat,
                lon=lon,
            )
    except IntegrityError:
        earlier = feed.event_by_uuid(session, client_uuid)
        if earlier is None:
            raise
        return earlier


def open_backups(session: Session) -> dict[int, StatusEvent]:
    """team id -> its latest backup request not yet acknowledged."""
    latest: dict[str, dict[int, int]] = {BACKUP: {}, BACKUP_ACK: {}}
    rows = session.execute(
        select(StatusEvent.action, StatusEvent.team_id, func.max(StatusEvent.id))
        .where(StatusEvent.action.in_((BACKUP, BACKUP_ACK)))
        .group_by(StatusEvent.action, StatusEvent.team_id)
    ).all()
    for kind, team_id, event_id in rows:
        latest[kind][team_id] = event_id
    waiting = [
        event_id
        for team_id, event_id in latest[BACKUP].items()
        if event_id > latest[BACKUP_ACK].get(team_id, 0)
    ]
    if not waiting:
        return {}
    events = session.scalars(select(StatusEvent).where(StatusEvent.id.in_(waiting)))
    return {e.team_id: e for e in events}


def last_signal_times(session: Session, kind: str) -> dict[int, datetime]:
    """team id -> when it last had this kind of entry."""
    rows = session.execute(
        select(StatusEvent.team_id, func.max(StatusEvent.received_at))
        .where(StatusEvent.action == kind)
        .group_by(StatusEvent.team_id)
    ).all()
    return dict(rows)
