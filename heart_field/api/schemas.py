"""The API's request and response shapes. Pydantic validates requests with them, and the
same models produce the OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ..domain.routing import CALL_TYPES, FALLBACK_REASONS, UNIT_TYPES
from ..models import (
    DISPOSITIONS,
    NOTE_MAX_LENGTH,
    RESOLUTIONS,
    IncidentStatus,
    TeamStatus,
    UnitType,
)

# Row ids are 32-bit in both databases: a bigger number names nothing (404), never an overflow.
MAX_ID = 2**31 - 1

# Text without control characters (PostgreSQL refuses NUL; none belongs in a CAD field).
LINE = r"^[^\x00-\x1f\x7f]*$"
# Free text may keep tabs and line breaks.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

CallType = Literal[tuple(CALL_TYPES)]  # type: ignore[valid-type]
FallbackReason = Literal[tuple(FALLBACK_REASONS)]  # type: ignore[valid-type]
RecommendedUnit = Literal[tuple(UNIT_TYPES)]  # type: ignore[valid-type]
TeamUnit = Literal[tuple(UnitType)]  # type: ignore[valid-type]
TeamStatusName = Literal[tuple(TeamStatus)]  # type: ignore[valid-type]
IncidentStatusName = Literal[tuple(IncidentStatus)]  # type: ignore[valid-type]
DispositionCode = Literal[tuple(DISPOSITIONS)]  # type: ignore[valid-type]
ResolutionCode = Literal[tuple(RESOLUTIONS)]  # type: ignore[valid-type]

Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS 84 latitude, degrees.")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS 84 longitude, degrees.")]
Address = Annotated[
    str,
    Field(
        min_length=3,
        max_length=200,
        pattern=LINE,
        description="Street address, geocoded only when lat and lon are missing.",
    ),
]
CallSign = Annotated[str, Field(min_length=1, max_length=32, pattern=LINE, examples=["CR-1"])]

# Either both coordinates (an address may come too), or an address and no coordinates.
LOCATION_RULE = {
    "anyOf": [
        {"required": ["lat", "lon"]},
        {"required": ["address"], "not": {"anyOf": [{"required": ["lat"]}, {"required": ["lon"]}]}},
    ]
}


def _integral(value):
    """JSON Schema counts 3.0 as an integer, so the API does too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral)]


class Request(BaseModel):
    """Request bodies: JSON types exactly as documented, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Located(Request):
    """A body that gives a place: lat and lon together, or an address, or both."""

    @model_validator(mode="after")
    def _located(self):
        fields = self.model_fields_set
        if ("lat" in fields) != ("lon" in fields):
            raise ValueError("Give lat and lon together.")
        if "lat" not in fields and "address" not in fields:
            raise ValueError("Give an address, or lat and lon.")
        return self


class Safety(Request):
    """The ECC's safety screen. Every answer is required: a missing one is not a "no"."""

    weapons: bool
    violence: bool
    medical_emergency: bool


class IncidentIn(Located):
    model_config = ConfigDict(json_schema_extra=LOCATION_RULE, title="IncidentIn")

    cad_number: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[^\x00-\x20\x7f]+$",
        description="The CAD system's call number: the idempotency key.",
        examples=["2026-0112345"],
    )
    call_type: CallType
    priority: JsonInt = Field(ge=1, le=3, description="1 most urgent.")
    address: Address = None  # type: ignore[assignment]
    lat: Latitude = None  # type: ignore[assignment]
    lon: Longitude = None  # type: ignore[assignment]
    safety: Safety
    narrative: str = Field(None, max_length=4000, pattern=TEXT)  # type: ignore[assignment]
    callback_phone: str = Field(None, max_length=40, pattern=LINE)  # type: ignore[assignment]


class GeofenceIn(Located):
    model_config = ConfigDict(json_schema_extra=LOCATION_RULE, title="GeofenceIn")

    address: Address = None  # type: ignore[assignment]
    lat: Latitude = None  # type: ignore[assignment]
    lon: Longitude = None  # type: ignore[assignment]


class AssignIn(Request):
    team: CallSign = Field(description="Call sign of an available team.")


# A note: free text with at least one character that is not a space.
_TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
NOTE_TEXT = rf"^{_TEXT_CHAR}*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{_TEXT_CHAR}*$"


class CancelIn(Request):
    reason: str = Field(  # type: ignore[assignment]
        None, max_length=200, pattern=TEXT, description="Why the call is cancelled."
    )


class NoteIn(Request):
    text: str = Field(
        min_length=1,
        max_length=NOTE_MAX_LENGTH,
        pattern=NOTE_TEXT,
        description="The update, as the team will read it.",
        examples=["Caller now reports a weapon."],
    )
    urgent: bool = Field(False, description="The team must acknowledge it (`Got it`).")


def _whole_number(value):
    """Query strings are text: "12" is 12; "1.0", "+1" or "١" stay text and are refused."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


QueryInt = Annotated[int, BeforeValidator(_whole_number)]


class Query(BaseModel):
    """Query parameters, refused when unknown or not exactly of their documented type."""

    model_config = ConfigDict(strict=True, extra="forbid")


class IncidentQuery(Query):
    status: IncidentStatusName | None = Field(None, description="Only calls in this status.")
    limit: QueryInt = Field(100, ge=1, le=500)


class EventQuery(Query):
    after: QueryInt = Field(
        0, ge=0, le=MAX_ID, description="Cursor: the last event id already seen."
    )
    limit: QueryInt = Field(100, ge=1, le=500)


class Routing(BaseModel):
    unit_type: RecommendedUnit | None = Field(description="The eligible HEART unit, or null.")
    team: str | None = Field(description="Call sign of the recommended team, or null.")
    fallback: FallbackReason | None = Field(
        description="Why HEART cannot take the call (another responder goes), or null."
    )


class IncidentOut(BaseModel):
    """The incident as taken in: where it is and who should go."""

    id: int
    cad_number: str
    within_city_limits: bool | None = Field(
        description="Null when the location could not be found."
    )
    lat: float | None
    lon: float | None
    routing: Routing


class NoteOut(BaseModel):
    """An update on a call from dispatch or the CAD."""

    id: int
    text: str
    urgent: bool
    created_at: datetime
    acknowledged_at: datetime | None = Field(
        description="When a crew member tapped `Got it`; null until then."
    )


class ResolutionOut(BaseModel):
    """How a call ended without a team clearing it: cancelled, or resolved while waiting."""

    code: ResolutionCode
    reason: str | None
    resolved_at: datetime


class IncidentDetail(IncidentOut):
    """The incident with its status, assigned team, disposition and notes."""

    call_type: str
    priority: int
    address: str | None
    status: IncidentStatusName
    team: str | None = Field(description="Call sign of the team now assigned, or null.")
    disposition: DispositionCode | None
    received_at: datetime
    notes: list[NoteOut] = Field(description="Updates on the call, oldest first.")
    resolution: ResolutionOut | None = Field(
        description="How the call ended without a clear (cancelled, or resolved while "
        "waiting), or null."
    )


class IncidentList(BaseModel):
    """Incidents, oldest first."""

    incidents: list[IncidentDetail]


class TeamOut(BaseModel):
    call_sign: str
    unit_type: TeamUnit
    status: TeamStatusName
    since: datetime


class TeamList(BaseModel):
    """Every team, by call sign."""

    teams: list[TeamOut]


class GeofenceOut(BaseModel):
    """Whether the point is inside Durham city limits."""

    inside: bool
    lat: float
    lon: float


class EventOut(BaseModel):
    id: int = Field(description="Cursor position of this event.")
    team: str
    incident_id: int | None
    action: str
    from_status: TeamStatusName
    to_status: TeamStatusName
    occurred_at: datetime = Field(description="Device time.")
    received_at: datetime = Field(description="Server time.")


class EventPage(BaseModel):
    """A page of status events and the cursor to read on from."""

    events: list[EventOut]
    next: int = Field(description="Pass as `after` to get the events that follow.")


class FieldError(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    error: str = Field(examples=["invalid"])
    message: str
    fields: list[FieldError] | None = Field(None, description="Per-field problems (422).")
    current: dict[str, str] | None = Field(
        None,
        description="On some 409s: the current state (`incident_status`, `team`, `team_status`).",
    )
