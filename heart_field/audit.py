"""Recording who saw or exported personal details. Call record() in the same transaction
as the read it describes, then commit with it."""

from sqlalchemy.orm import Session

from .models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object = None,
    detail: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(event)
    return event
