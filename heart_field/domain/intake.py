"""Taking a call in: the one path by which incidents are created (dispatch form and API).

Intake locates the call, tests it against the city limits and routes it:

* Coordinates, when given, are used as they are; the address is geocoded only when they
  are missing. A failed geocode never blocks intake: the incident is saved with
  ``within_city_limits`` None ("location unverified") and the dispatcher places it
  (:func:`place_incident`), which re-runs the geofence and routing.
* An unverified location is not routed at all: no recommendation and no fallback reason
  until it is placed. Recording ``outside_city_limits`` for an unknown point would overstate
  unmet need, and any other reason could be wrong too (a call outside the city is not
  HEART's, whatever its safety screen says).
* Fallback reasons are kept on the incident (``fallback_reason``) as the routing verdict.
  ``outside_city_limits``, ``outside_service_hours`` and ``safety_risk`` mean the ECC sends
  someone else: the incident is stored as ``routed_elsewhere`` at once and never waits in
  HEART's queue; the dispatcher records who went (``routed_to``: police, EMS, fire,
  county). ``no_team_available`` means HEART is busy: the call stays ``open`` in the queue
  with that reason, and either a team takes it when one frees up or the dispatcher sends
  another responder (:func:`route_elsewhere`), which makes it ``routed_elsewhere``.
  Unmet need is therefore ``status = 'routed_elsewhere'`` grouped by ``fallback_reason``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Incident, IncidentStatus, Team, User, utcnow
from . import routing
from .geo import AddressLocator, CityLimits, load_city_limits, make_geocoder
from .routing import RoutingDecision, SafetyScreen, ServiceHours, TeamCandidate

# Fallbacks that mean the ECC sends another responder at once (the call is not HEART's).
NOT_HEART = frozenset(
    {
        routing.OUTSIDE_CITY_LIMITS,
        routing.OUTSIDE_SERVICE_HOURS,
        routing.SAFETY_RISK,
    }
)

# Who went instead, when HEART did not.
OTHER_RESPONDERS = {
    "police": "Police",
    "ems": "EMS",
    "fire": "Fire",
    "county": "County (sheriff or county services)",
}


@dataclass(frozen=True)
class IncidentInput:
    cad_number: str
    call_type: str
    priority: int
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    weapons: bool = False
    violence: bool = False
    medical_emergency: bool = False
    narrative: str | None = None
    callback_phone: str | None = None


@dataclass(frozen=True)
class Dispatching:
    """What intake needs from the configuration, built once per app (create_app)."""

    city_limits: CityLimits
    geocoder: AddressLocator
    service_hours: ServiceHours
    zone: ZoneInfo

    @classmethod
    def from_config(cls, config: Mapping) -> Dispatching:
        """Raises ValueError naming the setting that is wrong, so a bad one stops start-up."""
        try:
            hours = ServiceHours.parse(config.get("HEART_SERVICE_HOURS"))
        except ValueError as error:
            raise ValueError(f"HEART_SERVICE_HOURS: {error}") from error
        try:
            zone = ZoneInfo(config.get("HEART_TIMEZONE") or "America/New_York")
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"HEART_TIMEZONE: unknown time zone {config.get('HEART_TIMEZONE')!r}"
            ) from error
        try:
            limits = load_city_limits(config.get("HEART_CITY_LIMITS"))
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(f"HEART_CITY_LIMITS: {error}") from error
        try:
            geocoder = _geocoder(
                config.get("HEART_GEOCODER") or "gazetteer",
                config.get("HEART_GEOCODER_DOMAIN"),
                config.get("HEART_GAZETTEER"),
            )
        except ValueError as error:
            raise ValueError(f"HEART_GEOCODER: {error}") from error
        return cls(limits, geocoder, hours, zone)


@functools.lru_cache(maxsize=4)
def _geocoder(name: str, domain: str | None, gazetteer: str | None = None) -> AddressLocator:
    """One per process and setting: the gazetteer index and a service's rate limit are shared."""
    try:
        return make_geocoder(name, domain, gazetteer_path=gazetteer)
    except OSError as error:
        raise ValueError(f"HEART_GAZETTEER: {error}") from error


@dataclass(frozen=True)
class Assessment:
    """Where the call is, whether that is inside the city, and who should take it."""

    lat: float | None
    lon: float | None
    within_city_limits: bool | None  # None: location unverified
    decision: RoutingDecision | None  # None until the location is known
    geocoded: bool = False

    @property
    def located(self) -> bool:
        return self.within_city_limits is not None


def team_candidates(session: Session) -> list[TeamCandidate]:
    from .shifts import crews, missing

    crew = crews(session)
    return [
        TeamCandidate(
            t.call_sign,
            t.unit_type,
            t.status,
            t.last_lat,
            t.last_lon,
            full_crew=not missing(t, crew.get(t.id, [])),
        )
        for t in session.scalars(select(Team))
    ]


def assess(
    session: Session, data: IncidentInput, geo: Dispatching, received_at: datetime | None = None
) -> Assessment:
    """Locate and route a call without saving anything (also the intake form's preview)."""
    lat, lon, geocoded = data.lat, data.lon, False
    if lat is None or lon is None:
        point = geo.geocoder.geocode(data.address)
        lat, lon = point if point else (None, None)
        geocoded = point is not None
    if lat is None or lon is None:
        return Assessment(None, None, None, None)
    within = geo.city_limits.contains(lat, lon)
    decision = decide(
        session,
        geo,
        within,
        (lat, lon),
        data.call_type,
        SafetyScreen(data.weapons, data.violence, data.medical_emergency),
        received_at or utcnow(),
    )
    return Assessment(lat, lon, within, decision, geocoded)


def decide(session, geo, within, location, call_type, safety, received_at) -> RoutingDecision:
    return routing.route_call(
        within_city_limits=within,
        received_at=received_at,
        service_hours=geo.service_hours,
        tz=geo.zone,
        safety=safety,
        call_type=call_type,
        location=location,
        teams=team_candidates(session),
    )


def fingerprint(data: IncidentInput) -> str:
    """What the call was, as a hash: a re-post of the same CAD number is compared by it."""
    canonical = json.dumps(asdict(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_incident(
    session: Session,
    data: IncidentInput,
    actor: User | None,
    geo: Dispatching,
    received_at: datetime | None = None,
    commit: bool = True,
) -> Incident:
    """Locate, geofence, route and save one call; commits unless told not to (the caller then
    commits it with what it saves beside it). ``received_at`` defaults to now (a call handed
    over from another system, e.g. as EIDO, keeps the time it was first received)."""
    received_at = received_at or utcnow()
    found = assess(session, data, geo, received_at)
    incident = Incident(
        cad_number=data.cad_number,
        call_type=data.call_type,
        priority=data.priority,
        address=data.address,
        lat=found.lat,
        lon=found.lon,
        within_city_limits=found.within_city_limits,
        weapons=data.weapons,
        violence=data.violence,
        medical_emergency=data.medical_emergency,
        narrative=data.narrative,
        callback_phone=data.callback_phone,
        received_at=received_at,
        created_by_id=actor.id if actor else None,
        intake_fingerprint=fingerprint(data),
    )
    session.add(incident)
    _record_decision(session, incident, found.decision)
    if commit:
        session.commit()
    return incident


def revise_incident(
    session: Session,
    incident: Incident,
    data: IncidentInput,
    relocate: bool,
    geo: Dispatching,
) -> Incident:
    """A newer version of a call taken in (an EIDO update): its details change; when
    ``relocate`` (the location given changed) it is located and geofenced again. Routing runs
    again only while the call still waits for a team. Does not commit."""
    for name in ("call_type", "priority", "weapons", "violence", "medical_emergency"):
        setattr(incident, name, getattr(data, name))
    incident.narrative = data.narrative
    incident.callback_phone = data.callback_phone
    incident.intake_fingerprint = fingerprint(data)
    waiting = incident.status == IncidentStatus.OPEN.value
    if relocate:
        found = assess(session, data, geo, incident.received_at)
        incident.address = data.address
        incident.lat, incident.lon = found.lat, found.lon
        incident.within_city_limits = found.within_city_limits
        if waiting:
            _record_decision(session, incident, found.decision)
    elif waiting and incident.within_city_limits is not None:
        decision = decide(
            session,
            geo,
            incident.within_city_limits,
            (incident.lat, incident.lon),
            incident.call_type,
            SafetyScreen(incident.weapons, incident.violence, incident.medical_emergency),
            incident.received_at,
        )
        _record_decision(session, incident, decision)
    return incident


def place_incident(
    session: Session, incident: Incident, lat: float, lon: float, geo: Dispatching
) -> Incident:
    """The dispatcher places a call (coordinates or a gazetteer match): geofence and route again
    as of when the call was received; commits."""
    incident.lat, incident.lon = lat, lon
    incident.within_city_limits = geo.city_limits.contains(lat, lon)
    reroute(session, incident, geo)
    return incident


def reroute(session: Session, incident: Incident, geo: Dispatching) -> Incident:
    """Recompute the recommendation of a located call still waiting for a team; commits."""
    if incident.within_city_limits is None or incident.lat is None:
        raise ValueError("place the call before routing it")
    decision = decide(
        session,
        geo,
        incident.within_city_limits,
        (incident.lat, incident.lon),
        incident.call_type,
        SafetyScreen(incident.weapons, incident.violence, incident.medical_emergency),
        incident.received_at,
    )
    _record_decision(session, incident, decision)
    session.commit()
    return incident


def route_elsewhere(session: Session, incident: Incident, responder: str) -> Incident:
    """Record which responder went instead of HEART; commits. The caller checks the incident
    has a fallback reason and no HEART team on it."""
    if responder not in OTHER_RESPONDERS:
        raise ValueError(f"unknown responder {responder!r}")
    incident.routed_to = responder
    incident.status = IncidentStatus.ROUTED_ELSEWHERE.value
    session.commit()
    return incident


def _record_decision(session: Session, incident: Incident, decision: RoutingDecision | None):
    if decision is None:
        incident.recommended_unit_type = incident.recommended_team_id = incident.fallback_reason = (
            None
        )
        return
    incident.recommended_unit_type = decision.unit_type
    incident.recommended_team_id = (
        session.scalar(select(Team.id).where(Team.call_sign == decision.team))
        if decision.team
        else None
    )
    incident.fallback_reason = decision.fallback
    if decision.fallback in NOT_HEART:
        incident.status = IncidentStatus.ROUTED_ELSEWHERE.value
