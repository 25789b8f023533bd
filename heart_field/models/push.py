"""Web Push: each device session's subscription, and the queue of alerts waiting to be sent.

A subscription belongs to one user and one device session (the marker kept in that session),
and is deleted when the session ends (heart_field.auth.sessions.end). The queue is a
table, so every worker process and instance drains the same queue with no broker; each row
is one alert for one subscription, claimed by one sender at a time.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class PushSubscription(db.Model):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The device session it belongs to: the id of its server-side session row (user_sessions).
    session_marker: Mapped[str] = mapped_column(String(64), index=True)
    # The push service's URL for this browser: unique, so a device re-subscribing (or a new
    # user signing in on it) takes the row over.
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the sign-in it belongs to ends by itself (HEART_SESSION_HOURS): nothing is sent after.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def info(self) -> dict:
        """The subscription as pywebpush takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushMessage(db.Model):
    """One alert for one subscription. `dedupe_key` makes each alert once however many
    processes read the same feed event (or find the same overdue assignment)."""

    __tablename__ = "push_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # assign, reminder, urgent, cancel, welfare
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    feed_event_id: Mapped[int | None]  # the status event that caused it, if one did
    payload: Mapped[dict] = mapped_column(JSON)  # no names, no address (see domain/alerts.py)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))

    subscription: Mapped[PushSubscription] = relationship()

    __table_args__ = (Index("ix_push_messages_waiting", "sent_at", "failed_at", "next_try_at"),)


class PushFeedCursor(db.Model):
    """One row: the last feed event the push senders have turned into alerts."""

    __tablename__ = "push_feed_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)
