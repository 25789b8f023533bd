"""Calls for service, who was sent, what happened, and the append-only status log."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.routing import CALL_TYPES, FALLBACK_REASONS, UNIT_TYPES
from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .people import User
    from .teams import Team


class IncidentStatus(StrEnum):
    OPEN = "open"  # waiting for a team
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLOSED = "closed"  # cleared with an outcome
    CANCELLED = "cancelled"
    ROUTED_ELSEWHERE = "routed_elsewhere"  # fallback: police, EMS, fire or county went

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


ACTIVE_INCIDENT_STATUSES = (
    IncidentStatus.ASSIGNED,
    IncidentStatus.EN_ROUTE,
    IncidentStatus.ON_SCENE,
)


@dataclass(frozen=True)
class Disposition:
    code: str
    label: str
    nemsis_code: str  # NEMSIS v3.5 eDisposition.27 (Unit Disposition)
    nemsis_label: str


_CONTACT = ("4227001", "Patient Contact Made")
DISPOSITIONS: dict[str, Disposition] = {
    d.code: d
    for d in (
        Disposition("resolved_on_scene", "Resolved on scene", *_CONTACT),
        Disposition("referred_care_navigation", "Referred to Care Navigation", *_CONTACT),
        Disposition("transported_voluntary", "Transported (voluntary)", *_CONTACT),
        Disposition("handed_to_ems", "Handed over to EMS", *_CONTACT),
        Disposition("handed_to_police", "Handed over to police", *_CONTACT),
        Disposition("declined_services", "Person declined services", *_CONTACT),
        Disposition("no_person_found", "No person found", "4227009", "No Patient Found"),
        Disposition("cancelled_on_scene", "Cancelled on scene", "4227003", "Cancelled on Scene"),
        Disposition(
            "cancelled_prior_to_arrival",
            "Cancelled before arrival",
            "4227005",
            "Cancelled Prior to Arrival at Scene",
        ),
        Disposition(
            "non_patient_incident",
            "No person needed help",
            "4227011",
            "Non-Patient Incident (Not Otherwise Listed)",
        ),
    )
}

SERVICES = {
    "crisis_counseling": "Crisis counselling",
    "safety_planning": "Safety planning",
    "peer_support": "Peer support",
    "basic_needs": "Food, water or clothing",
    "medical_check": "Basic medical check",
    "shelter_connection": "Shelter connection",
    "resource_information": "Resource information",
}


class Incident(db.Model):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    cad_number: Mapped[str] = mapped_column(String(40), unique=True)
    call_type: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int]
    address: Mapped[str | None] = mapped_column(String(200))
    place_key: Mapped[str | None] = mapped_column(String(200))  # normalised street (places.py)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # None until a point is known; a failed geocode leaves the location unverified.
    within_city_limits: Mapped[bool | None]
    weapons: Mapped[bool] = mapped_column(default=False)
    violence: Mapped[bool] = mapped_column(default=False)
    medical_emergency: Mapped[bool] = mapped_column(default=False)
    narrative: Mapped[str | None] = mapped_column(Text)
    callback_phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN.value, index=True)
    recommended_unit_type: Mapped[str | None] = mapped_column(String(32))
    recommended_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # The routing verdict when HEART could not take the call (routing.FALLBACK_REASONS); see
    # intake.py for how fallbacks are stored. Unmet need: status routed_elsewhere by reason.
    fallback_reason: Mapped[str | None] = mapped_column(String(32), index=True)
    # Who went instead (intake.OTHER_RESPONDERS: police, ems, fire, county), once recorded.
    routed_to: Mapped[str | None] = mapped_column(String(20))
    # What the intake was, for idempotent re-posts of the same CAD number.
    intake_fingerprint: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="incident", order_by="Assignment.id"
    )
    outcome: Mapped[Optional["Outcome"]] = relationship(back_populates="incident")
    recommended_team: Mapped[Optional["Team"]] = relationship()

    # Reports count calls by time received straight from this index (no table reads).
    __table_args__ = (
        Index(
            "ix_incidents_received_report",
            "received_at",
            "status",
            "fallback_reason",
            "recommended_unit_type",
        ),
        # The board's page of waiting calls, most urgent first (domain/board.py).
        Index("ix_incidents_queue", "status", "priority", "received_at"),
    )

    @property
    def status_label(self) -> str:
        return IncidentStatus(self.status).label

    @property
    def current_assignment(self) -> Optional["Assignment"]:
        return next((a for a in reversed(self.assignments) if a.ended_at is None), None)

    @property
    def call_type_label(self) -> str:
        return CALL_TYPES.get(self.call_type, self.call_type.replace("_", " ").capitalize())

    @property
    def location_unverified(self) -> bool:
        return self.within_city_limits is None

    @property
    def fallback_label(self) -> str:
        return FALLBACK_REASONS.get(self.fallback_reason or "", self.fallback_reason or "")

    @property
    def recommended_unit_label(self) -> str:
        return UNIT_TYPES.get(self.recommended_unit_type or "", "")

    @property
    def safety_flags(self) -> list[str]:
        flags = [
            ("weapons", "Weapons reported"),
            ("violence", "Violence reported"),
            ("medical_emergency", "Medical emergency"),
        ]
        return [label for attr, label in flags if getattr(self, attr)]

    def __repr__(self) -> str:
        return f"<Incident {self.id} {self.status}>"


class Assignment(db.Model):
    """One team sent to one incident, from assignment until it clears, declines or is cancelled."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # cleared, declined, cancelled
    decline_reason: Mapped[str | None] = mapped_column(String(200))

    incident: Mapped[Incident] = relationship(back_populates="assignments")
    team: Mapped["Team"] = relationship()

    __table_args__ = (
        Index("ix_assignments_team_open", "team_id", "ended_at"),
        # Every open assignment (ended_at IS NULL), for the board, without reading them all.
        Index("ix_assignments_ended", "ended_at"),
    )


class StatusEvent(db.Model):
    """Append-only: one row per status change. Its id is the live feed's cursor."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    team_version: Mapped[int]  # the team's row version after this event
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # device time
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # server time
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    detail: Mapped[str | None] = mapped_column(String(200))

    team: Mapped["Team"] = relationship()
    actor: Mapped[Optional["User"]] = relationship()

    __table_args__ = (
        # Reports read each call's tap times per team from this index alone.
        Index("ix_status_events_incident_team", "incident_id", "team_id", "action", "occurred_at"),
        # The board and the responder's card ask for each team's latest entry of a kind
        # (backup, acknowledgements): without this they read the whole feed every time.
        Index("ix_status_events_action_team", "action", "team_id"),
        # Each team's current status event (late_statuses): one entry per team.
        Index("ix_status_events_team_version", "team_id", "team_version"),
        # Hours on duty per unit: each unit's log-ons and log-offs in a period, and its latest
        # before it, as index ranges (the index above keeps its id order for the board).
        Index("ix_status_events_action_team_received", "action", "team_id", "received_at"),
    )


class Outcome(db.Model):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    disposition: Mapped[str] = mapped_column(String(40))
    people_served: Mapped[int | None]
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    transport: Mapped[bool] = mapped_column(default=False)
    police_requested: Mapped[bool] = mapped_column(default=False)
    ems_requested: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    # The person was offered a Care Navigation referral and did not consent (no referral made).
    referral_declined: Mapped[bool] = mapped_column(default=False, server_default=false())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="outcome")

    @property
    def disposition_label(self) -> str:
        return DISPOSITIONS[self.disposition].label
