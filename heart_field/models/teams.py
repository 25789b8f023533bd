"""Field teams. Only heart_field.domain.status changes a team's status."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .people import User


class UnitType(StrEnum):
    COMMUNITY_RESPONSE = "community_response"
    CO_RESPONSE = "co_response"

    @property
    def label(self) -> str:
        return {"community_response": "Community Response", "co_response": "Co-Response"}[self]


class TeamStatus(StrEnum):
    OFF_DUTY = "off_duty"  # no crew logged on (heart_field.domain.status: log_on / log_off)
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OUT_OF_SERVICE = "out_of_service"

    @property
    def label(self) -> str:
        """The status in words, as the board and the field screen show it."""
        return self.value.replace("_", " ").capitalize()


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sign: Mapped[str] = mapped_column(String(32), unique=True)
    unit_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default=TeamStatus.AVAILABLE.value)
    status_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Row version for optimistic concurrency: every status change bumps it.
    version: Mapped[int] = mapped_column(default=1)
    last_lat: Mapped[float | None]
    last_lon: Mapped[float | None]
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list["User"]] = relationship(back_populates="team", order_by="User.discipline")

    @property
    def status_label(self) -> str:
        return TeamStatus(self.status).label

    @property
    def unit_label(self) -> str:
        return UnitType(self.unit_type).label

    def __repr__(self) -> str:
        return f"<Team {self.call_sign} {self.status} v{self.version}>"
