"""Places HEART has been to: the incidents' place keys and the safety and approach notes
that travel with a place (issue 23). Prior contacts are counted from incidents and outcomes
already kept; only the notes are new data."""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.geo import normalize_address
from ..extensions import db
from .incidents import Incident
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .people import User

NOTE_MAX_CHARS = 200
PLACE_KEY_CHARS = 200

# Prior contacts look for earlier calls near a point (a bounding box on lat, then lon) or at
# the same normalised address: these indexes keep that lookup's cost flat as calls pile up.
Index("ix_incidents_place_point", Incident.lat, Incident.lon, Incident.received_at)
Index("ix_incidents_place_key", Incident.place_key, Incident.received_at)


def place_key_for(address: str | None) -> str | None:
    """The normalised street line of an address ('737 Ninth St, Durham, NC' -> '737 ninth st'),
    or None when there is no address or nothing of it is left."""
    if not address:
        return None
    street = address.split(",")[0]
    key = normalize_address(street)[:PLACE_KEY_CHARS]
    return key or None


@event.listens_for(Incident, "before_insert")
@event.listens_for(Incident, "before_update")
def _keep_place_key(_mapper, _connection, incident: Incident) -> None:
    incident.place_key = place_key_for(incident.address)


class PlaceNote(db.Model):
    """A short safety or approach note on a place ("dog on premises"). Shown only to the crew
    sent to a call there, and to supervisors reviewing notes; every view is audited."""

    __tablename__ = "place_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(NOTE_MAX_CHARS))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    place_key: Mapped[str | None] = mapped_column(String(PLACE_KEY_CHARS))
    # The call the author attended there (what entitles them to write the note).
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    removed_by: Mapped[Optional["User"]] = relationship(foreign_keys=[removed_by_id])
    incident: Mapped[Incident] = relationship()

    __table_args__ = (
        Index("ix_place_notes_point", "lat", "lon"),
        Index("ix_place_notes_place_key", "place_key"),
    )

    def is_live(self, now: datetime) -> bool:
        return self.removed_at is None and self.expires_at > now


class ReferralLink(db.Model):
    """A later call linked by a navigator to the person of a referral they consented to: the
    only person-level link between calls. Without one, calls are linked by place alone."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()

    __table_args__ = (UniqueConstraint("referral_id", "incident_id"),)
