"""EIDO documents taken in: each one kept whole (unknown fields included), by its incident."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class EidoDocument(db.Model):
    """Append-only: one row per EIDO document posted. The newest for an incident is the
    original its export starts from; ``eido_id`` (the document's ``$id``) finds the incident
    an update is for."""

    __tablename__ = "eido_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    eido_id: Mapped[str] = mapped_column(String(255), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    document: Mapped[dict] = mapped_column(JSON)
    last_update: Mapped[datetime | None] = mapped_column(UTCDateTime)  # lastUpdateTimeStamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
