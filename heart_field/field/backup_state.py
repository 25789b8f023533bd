"""Backup closes its loop: the phone shows its request until dispatch acknowledges it, then
"Dispatch acknowledged at HH:MM" until the call clears."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import signals
from ..domain.status import LATE_AFTER
from ..models import Assignment, StatusEvent


@dataclass(frozen=True)
class BackupState:
    asked_at: datetime  # when the request reached the server
    acknowledged_at: datetime | None  # when dispatch acknowledged it, if it has


def backup_state(
    session: Session, team_id: int, assignment: Assignment | None
) -> BackupState | None:
    """The team's latest backup request on its current call, and dispatch's answer to it."""
    if assignment is None:
        return None
    asked = session.execute(
        select(StatusEvent.id, StatusEvent.received_at)
        .where(
            StatusEvent.action == signals.BACKUP,
            StatusEvent.team_id == team_id,
            StatusEvent.incident_id == assignment.incident_id,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    ).first()
    if asked is None:
        return None
    acknowledged_at = session.scalar(
        select(StatusEvent.received_at)
        .where(
            StatusEvent.action == signals.BACKUP_ACK,
            StatusEvent.team_id == team_id,
            StatusEvent.id > asked.id,
        )
        .order_by(StatusEvent.id)
        .limit(1)
    )
    return BackupState(asked.received_at, acknowledged_at)


def arrived_late(event: StatusEvent) -> bool:
    """A feed entry that reached the server well after the device made it (sent from the
    phone's outbox when the signal returned)."""
    return event.received_at - event.occurred_at > LATE_AFTER
