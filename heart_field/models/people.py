"""Users and their roles."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..passwords import hash_password, verify_password
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .teams import Team


class Role(StrEnum):
    RESPONDER = "responder"
    DISPATCHER = "dispatcher"
    NAVIGATOR = "navigator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Discipline(StrEnum):
    CLINICIAN = "clinician"
    SOCIAL_WORKER = "social_worker"
    PEER_SUPPORT = "peer_support"
    EMT = "emt"
    CIT_OFFICER = "cit_officer"

    @property
    def label(self) -> str:
        return DISCIPLINE_LABELS[self]


DISCIPLINE_LABELS = {
    Discipline.CLINICIAN: "Clinician",
    Discipline.SOCIAL_WORKER: "Social worker",
    Discipline.PEER_SUPPORT: "Peer support",
    Discipline.EMT: "EMT",
    Discipline.CIT_OFFICER: "CIT officer",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    discipline: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin gives a temporary password: the next sign-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Optional["Team"]] = relationship(back_populates="members")

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def discipline_label(self) -> str:
        return DISCIPLINE_LABELS[Discipline(self.discipline)] if self.discipline else ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
