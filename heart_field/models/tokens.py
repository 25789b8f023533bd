"""API bearer tokens for systems such as the ECC's CAD. Only a hash of each token is kept."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# What a token may do. GET operations need read_status; POST (and other writes) need
# create_incidents; personal details (callback number, narrative, notes) need read_personal.
SCOPES = {
    "create_incidents": "Create incidents",
    "read_status": "Read status",
    "read_personal": "Read personal details",
}
ALL_SCOPES = " ".join(SCOPES)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # which system holds it, e.g. "Durham ECC CAD"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Space-separated names from SCOPES (tokens made before scopes existed have all three).
    scopes: Mapped[str] = mapped_column(String(120), default=ALL_SCOPES, server_default=ALL_SCOPES)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def allows(self, scope: str) -> bool:
        return scope in self.scope_set

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {'active' if self.active else 'revoked'}>"
