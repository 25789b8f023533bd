"""Shifts and crews: a person works a unit for one shift, in a crew role.

A unit's crew is the people with an open shift on it. The role a person takes comes from
their discipline (a social worker fills the clinician's place); the roles each kind of
unit needs are in REQUIRED_ROLES, and a crew missing one of them is short-staffed.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .teams import Team, UnitType
from .types import UTCDateTime, utcnow


class CrewRole(StrEnum):
    CLINICIAN = "clinician"
    PEER_SUPPORT = "peer_support"
    EMT = "emt"
    CIT_OFFICER = "cit_officer"

    @property
    def label(self) -> str:
        return CREW_ROLE_LABELS[self]


CREW_ROLE_LABELS = {
    CrewRole.CLINICIAN: "Clinician or social worker",
    CrewRole.PEER_SUPPORT: "Peer support",
    CrewRole.EMT: "EMT",
    CrewRole.CIT_OFFICER: "CIT officer",
}

# The roles a full crew has, per kind of unit.
REQUIRED_ROLES: dict[str, tuple[CrewRole, ...]] = {
    UnitType.COMMUNITY_RESPONSE: (CrewRole.CLINICIAN, CrewRole.PEER_SUPPORT, CrewRole.EMT),
    UnitType.CO_RESPONSE: (CrewRole.CLINICIAN, CrewRole.CIT_OFFICER),
}

# The crew role each discipline fills.
ROLE_OF_DISCIPLINE: dict[str, CrewRole] = {
    "clinician": CrewRole.CLINICIAN,
    "social_worker": CrewRole.CLINICIAN,
    "peer_support": CrewRole.PEER_SUPPORT,
    "emt": CrewRole.EMT,
    "cit_officer": CrewRole.CIT_OFFICER,
}


class Shift(db.Model):
    """One person's shift on one unit. Open while ended_at is None."""

    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_team_open", "team_id", "ended_at"),
        Index("ix_shifts_user_open", "user_id", "ended_at"),
        # Hours on duty per person: the shifts open at a period's start or ended after it.
        Index("ix_shifts_ended_started", "ended_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    team: Mapped["Team"] = relationship(lazy="joined", innerjoin=True)

    @property
    def role_label(self) -> str:
        return CrewRole(self.role).label

    def __repr__(self) -> str:
        return f"<Shift {self.id} user {self.user_id} team {self.team_id} {self.role}>"


# The shift a person is on now (None between shifts), loaded with the user, so a responder's
# request finds its unit without another query.
User.open_shift = relationship(
    Shift,
    primaryjoin=and_(User.id == Shift.user_id, Shift.ended_at.is_(None)),
    viewonly=True,
    uselist=False,
    lazy="joined",
)

# The people on the unit's crew now, in role order.
Team.crew = relationship(
    Shift,
    primaryjoin=and_(Team.id == Shift.team_id, Shift.ended_at.is_(None)),
    viewonly=True,
    order_by=Shift.role,
    lazy="select",
)


class SignInLink(db.Model):
    """A one-time sign-in link an admin issued: only its hash is kept."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])


__all__ = [
    "CREW_ROLE_LABELS",
    "REQUIRED_ROLES",
    "ROLE_OF_DISCIPLINE",
    "CrewRole",
    "Shift",
    "SignInLink",
]
