"""Taking a call in: the one path by which incidents are created (dispatch form and API)."""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Optional

from sqlalchemy.orm import Session

from .models import Incident, User


@dataclass(frozen=True)
class IncidentInput:
    cad_number: str
    call_type: str
    priority: int
    address: Optional[str] = None
    lat: Optional[float] = None
    lon: Optional[float] = None
    weapons: bool = False
    violence: bool = False
    medical_emergency: bool = False
    narrative: Optional[str] = None
    callback_phone: Optional[str] = None


def fingerprint(data: IncidentInput) -> str:
    """What the call was, as a hash: a re-post of the same CAD number is compared by it."""
    canonical = json.dumps(asdict(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_incident(session: Session, data: IncidentInput, actor: Optional[User]) -> Incident:
    incident = Incident(
        cad_number=data.cad_number,
        call_type=data.call_type,
        priority=data.priority,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        weapons=data.weapons,
        violence=data.violence,
        medical_emergency=data.medical_emergency,
        narrative=data.narrative,
        callback_phone=data.callback_phone,
        created_by_id=actor.id if actor else None,
        intake_fingerprint=fingerprint(data),
    )
    session.add(incident)
    session.commit()
    return incident
