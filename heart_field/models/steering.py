"""What the dispatcher (or the CAD) does to a call after intake: updates to the team in the
field (notes), and how a call ended without a team clearing it (cancelled, or a waiting call
resolved another way).

Notes are personal data (they may name the person, give a gate code or a phone number): they
are shown only to those who may see the call, and never written to logs or to the live
stream, whose entries say only that a note exists (action `note`, detail `urgent`).
"""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .incidents import Incident
    from .people import User
    from .teams import Team


NOTE_MAX_LENGTH = 2000
# An urgent note unacknowledged this long is an alert on the board.
URGENT_ACK_SECONDS = 60


class CallNote(db.Model):
    """An update on a call from dispatch or the CAD: "caller now reports a weapon"."""

    __tablename__ = "call_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: posted by the CAD through the API.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The team holding the call when the note was written (the one expected to read it).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    incident: Mapped["Incident"] = relationship()
    created_by: Mapped[Optional["User"]] = relationship(foreign_keys=[created_by_id])
    acknowledged_by: Mapped[Optional["User"]] = relationship(foreign_keys=[acknowledged_by_id])
    team: Mapped[Optional["Team"]] = relationship()

    # The board asks for urgent notes still waiting for `Got it`.
    __table_args__ = (Index("ix_call_notes_urgent_open", "urgent", "acknowledged_at"),)

    @property
    def author_label(self) -> str:
        return self.created_by.display_name if self.created_by else "CAD"


# How a call ended without a team clearing it. `cancelled` is a cancel with a free-text reason
# (the CAD's, or the dispatcher's "other"); the rest are the dispatcher's coded outcomes.
RESOLUTIONS: dict[str, str] = {
    "handled_by_phone": "Handled by phone (Crisis Call Diversion)",
    "callback_arranged": "Callback arranged",
    "sent_to_co_response": "Sent to Co-Response",
    "sent_to_police": "Sent to police",
    "sent_to_ems": "Sent to EMS",
    "sent_to_fire": "Sent to fire",
    "sent_to_county": "Sent to county",
    "duplicate": "Duplicate call",
    "caller_cancelled": "Caller cancelled",
    "no_one_found": "No one found",
    "cancelled": "Cancelled",
}
# Served by HEART by phone (the headline report's "by phone").
BY_PHONE = ("handled_by_phone", "callback_arranged")
# Sent to another responder: the call becomes routed_elsewhere, with routed_to for these.
SENT_ELSEWHERE = {
    "sent_to_co_response": None,
    "sent_to_police": "police",
    "sent_to_ems": "ems",
    "sent_to_fire": "fire",
    "sent_to_county": "county",
}


class CallResolution(db.Model):
    """One per call that ended without a clear: cancelled (with or without a team on it) or
    a waiting call resolved with a coded outcome. Kept for the reports."""

    __tablename__ = "call_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))  # free text, when given
    # The call's status just before (open, assigned, en_route) and the team released, if any.
    from_status: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the CAD

    incident: Mapped["Incident"] = relationship()
    team: Mapped[Optional["Team"]] = relationship()

    @property
    def label(self) -> str:
        return RESOLUTIONS.get(self.code, self.code)
