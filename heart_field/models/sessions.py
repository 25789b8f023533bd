"""Signed-in sessions kept on the server, and failed sign-ins counted where every worker sees them.

The browser's cookie carries only a random session key (signed by Flask); its SHA-256 finds the
row. Signing out, a remote "Sign out this device", too many wrong unlock passwords and the end of
a shift all end the row, so a copy of the cookie taken earlier opens nothing. The idle lock and
its failed-unlock counter live in the row too: a cookie from before the lock is just as locked.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .people import User


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the cookie's key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device: Mapped[str] = mapped_column(String(80))  # e.g. "Chrome on Android", from the User-Agent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last tap, form or page load (polls are not activity): the idle lock counts from here.
    active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked: Mapped[bool] = mapped_column(default=False)
    unlock_failures: Mapped[int] = mapped_column(default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sign_out, signed_out_remotely, unlock_failures, expired
    end_reason: Mapped[str | None] = mapped_column(String(24))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])

    @property
    def open(self) -> bool:
        return self.ended_at is None

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user {self.user_id} {'open' if self.open else 'ended'}>"


class SignInFailure(db.Model):
    """One failed (or in-flight) sign-in or unlock, per key: "account:<hash of the username>"
    or "address:<client address>". Counted over the limit's window by every worker alike."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
