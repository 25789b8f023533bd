"""NENA EIDO (Emergency Incident Data Object, NENA-STA-021.1b, JSON) in and out.

Reading (:func:`read`) turns one EIDO document into what intake needs
(:class:`intake.IncidentInput`) plus the parts HEART keeps beside it; writing
(:func:`write`) turns an incident, its teams' status changes and its outcome into an EIDO
document that validates against NENA's schema (tests/data/eido/openapi.yaml).

What is mapped on the way in:

* the document's ``$id`` -> the CAD reference (``cad_number``; the URN prefix
  ``urn:emergency:uid:incidentid:`` is dropped, and an id longer than the column keeps its
  start and a hash); the full ``$id`` is the key for updates;
* ``callComponent`` ``callStartTimestamp`` (else ``answerDate``, else the component's
  ``lastUpdateTimeStamp``), the earliest of all calls -> the time the call was received;
* ``locationComponent``: the PIDF-LO document by value, parsed with defusedxml (no DTD, no
  entities, nothing fetched): a civic address (A1 state, A3 city, HNO/HNS, PRD, RD, STS,
  POD, PC) -> an address to geocode; a ``gml:Point`` or the centre of a ``gs:Circle`` ->
  coordinates used as given. A location by reference (a URL) is kept, never fetched;
* ``callbackComponent`` ``tel:`` URIs -> the callback number;
* ``incidentComponent.incidentTypeCommonRegistryText`` (the EIDO-IncidentType-Common
  registry, APCO ANS 2.103.2 codes) -> our call type where the mapping is clear, else
  ``other`` (the original stays in the stored document and goes out again on export);
  the registry's violent, weapon and medical types set the safety screen;
* ``incidentCommonPriorityNumber`` (1-3; else ``incidentPriorityInternalText``) -> priority;
* ``notesComponent`` -> call notes (:class:`EidoNote`): the HTML5 text as plain text, cut to
  the notes' limit, urgent when the note has a ``cautionReference``; each note's ``$id`` is
  taken in once per incident (the stored originals say which were seen).

Everything else (agents, agencies, persons, additional data, cautions, ...) is kept
unmapped in the stored original document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import defusedxml
from defusedxml.ElementTree import fromstring as parse_xml

from ..models.steering import NOTE_MAX_LENGTH
from .intake import IncidentInput

EIDO_VERSION = "1.0"
INCIDENT_URN = "urn:emergency:uid:incidentid:"
CAD_NUMBER_LENGTH = 40
MAX_ID_LENGTH = 255
MAX_XML_LENGTH = 100_000

NS = {
    "civic": "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr",
    "gml": "http://www.opengis.net/gml",
    "gs": "http://www.opengis.net/pidflo/1.0",
}

# Which location to take when a document has several (EIDO-LocationType registry).
LOCATION_PREFERENCE = ("CurrentIncident", "InitialIncident", "Caller", "RoutingLocation")

# EIDO-IncidentType-Common registry (APCO ANS 2.103.2-2019 codes) -> HEART call type.
INCIDENT_TYPES: dict[str, str] = {
    "TRESPASS": "trespass",
    "MNTL": "mental_health_crisis",  # Mental Person Non-Violent
    "EDP": "mental_health_crisis",  # Emotional Disturbance, Abnormal Behavior
    "WELFARE": "welfare_check",  # Man Down Check, Welfare Check
    "SUICTHRT": "suicidal_ideation",  # Attempt Or Threatening Suicide
    "DRUGS": "substance_use",
    "INTOX": "intoxicated_person",
    "VAG": "homelessness",  # Vagrant/Panhandler
    "PHANDLE": "panhandling",
    "DISORD": "disturbance_nonviolent",  # Disorderly
    "SCRM": "disturbance_nonviolent",  # Person Screaming
}
# Our call type -> the registry code we send (the first above, or the nearest the registry has).
CALL_TYPE_CODES: dict[str, str] = {
    "trespass": "TRESPASS",
    "mental_health_crisis": "MNTL",
    "welfare_check": "WELFARE",
    "suicidal_ideation": "SUICTHRT",
    "substance_use": "DRUGS",
    "intoxicated_person": "INTOX",
    "homelessness": "VAG",
    "panhandling": "PHANDLE",
    "disturbance_nonviolent": "DISORD",
    "crisis_line": "MNTL",
    "phone_followup": "NONEMERG",
}
OTHER_CALL_TYPE = "other"
# Registry types whose name says there is violence, a weapon, or a medical emergency.
VIOLENT_TYPES = frozenset(
    "ACTSHOOT ASSAULT BARICADE DVA FASX FIGHT HOMICIDE HOSTAGE MTLV NCRASLTWF ROBBERY "
    "SHOOT STABBING CU1 CARJACK".split()
)
WEAPON_TYPES = frozenset("ACTSHOOT NCRASLTWF SHOOT STABBING WEAPON".split())
MEDICAL_TYPES = frozenset(
    "ALS CARDIAC CHOKE DIABETIC DROWN HEMRG NCRCPRF OD PERUNCON RESP RESPARR SEIZURE "
    "STROKE TRAUMA TRAUMAP BLEEDING BURN ALLERGIC".split()
)

# HEART incident status -> EIDO-IncidentStatus-Common registry.
INCIDENT_STATUSES = {
    "open": "Active",
    "assigned": "ResourcesAssigned",
    "en_route": "ResourcesEnroute",
    "on_scene": "ResourcesOnscene",
    "closed": "Closed",
    "cancelled": "Cancelled",
    "routed_elsewhere": "Closed",
}
# HEART team status -> EIDO-PrimaryUnitStatus-Common and EIDO-SecondaryUnitStatus-Common.
UNIT_STATUSES = {
    "available": ("Available", ["InService"]),
    "assigned": ("NotAvailable", ["Assigned"]),
    "en_route": ("NotAvailable", ["EnRoute"]),
    "on_scene": ("NotAvailable", ["OnScene"]),
    "out_of_service": ("NotAvailable", ["OutofService"]),
    "off_duty": ("NotAvailable", ["OffDuty"]),
}
# What a team's assignment ended as -> secondary unit status for a unit no longer on the call.
ENDED_ASSIGNMENT = {
    "cleared": "Cleared",
    "declined": "AssignmentCancelled",
    "cancelled": "AssignmentCancelled",
    "call_cancelled": "AssignmentCancelled",  # the call was cancelled (steer's cancel_call)
    "reassigned": "AssignmentCancelled",
    "diverted": "AssignmentCancelled",
    "out_of_service": "OutofService",
}
# HEART disposition -> EIDO-CommonDispositionCode registry (APCO ANS 1.111.2-2018).
DISPOSITION_CODES = {
    "resolved_on_scene": "18",  # Assignment Completed/Settled By Contact
    "referred_care_navigation": "15",  # Referred to partner agency
    "transported_voluntary": "16",  # Transport/Escort Given
    "handed_to_ems": "15",
    "handed_to_police": "15",
    "declined_services": "42",  # Patient Refused Evaluation/Care
    "no_person_found": "14",  # Gone On Arrival (GOA)/Unable To Locate (UATL)
    "cancelled_on_scene": "10",  # Event Cancelled
    "cancelled_prior_to_arrival": "32",  # Cancelled (Prior to Arrival at Scene)
    "non_patient_incident": "13",  # Information/Administrative
}


class EidoError(ValueError):
    """The document cannot be taken in; ``part`` names where (e.g. ``locationComponent[0]``)."""

    def __init__(self, part: str, message: str, code: str = "invalid_eido"):
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Place:
    """Where a location component puts the call."""

    address: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class EidoNote:
    """One ``notesComponent`` entry as a call note."""

    key: str  # the note's `$id` (or, without one, a hash of its text): taken in once
    text: str  # plain text, at most NOTE_MAX_LENGTH characters; "" when it holds none
    urgent: bool  # it has a cautionReference
    agency: str | None  # updatedByAgencyReference: HEART's own notes come back on re-import


@dataclass(frozen=True)
class EidoCall:
    """What one EIDO document says about the call, in HEART's terms."""

    eido_id: str
    cad_number: str
    last_update: datetime | None
    received_at: datetime | None
    incident_input: IncidentInput
    incident_type: str | None  # the registry text as sent
    location_references: tuple[str, ...] = ()
    notes: tuple[EidoNote, ...] = field(default=())  # notesComponent, in document order


# Reading -----------------------------------------------------------------------------------


def read(document: Any) -> EidoCall:
    """Map one EIDO document; raises EidoError naming the part that is wrong."""
    if not isinstance(document, Mapping):
        raise EidoError("document", "An EIDO document is a JSON object.")
    eido_id = _text(document, "$id", "document", required=True, limit=MAX_ID_LENGTH)
    incident = _object(document, "incidentComponent")
    incident_type = _text(incident, "incidentTypeCommonRegistryText", "incidentComponent")
    call_type = INCIDENT_TYPES.get((incident_type or "").strip().upper(), OTHER_CALL_TYPE)
    code = (incident_type or "").strip().upper()
    place, references = _location(document)
    data = IncidentInput(
        cad_number=cad_reference(eido_id),
        call_type=call_type,
        priority=_priority(incident),
        address=place.address,
        lat=place.lat,
        lon=place.lon,
        weapons=code in WEAPON_TYPES,
        violence=code in VIOLENT_TYPES,
        medical_emergency=code in MEDICAL_TYPES,
        callback_phone=_callback(document),
    )
    return EidoCall(
        eido_id=eido_id,
        cad_number=data.cad_number,
        last_update=_time(document, "lastUpdateTimeStamp", "document"),
        received_at=_received(document),
        incident_input=data,
        incident_type=incident_type,
        location_references=references,
        notes=tuple(
            _note(note, f"notesComponent[{i}]")
            for i, note in enumerate(_components(document, "notesComponent"))
        ),
    )


def _note(note: Mapping, part: str) -> EidoNote:
    comments = _text(note, "notesActionComments", part) or ""
    text = plain_text(comments)[:NOTE_MAX_LENGTH].strip()
    key = note.get("$id")
    if not isinstance(key, str) or not key.strip():
        key = "sha256:" + hashlib.sha256(comments.encode()).hexdigest()
    agency = note.get("updatedByAgencyReference")
    agency = agency.get("$ref") if isinstance(agency, Mapping) else None
    return EidoNote(
        key=key,
        text=text,
        urgent=bool(note.get("cautionReference")),
        agency=agency if isinstance(agency, str) else None,
    )


def note_keys(document: Any) -> set[str]:
    """The note keys of a stored document (as :func:`read` gives them); a document an older
    reader kept that no longer reads gives its notes' `$id`s, or nothing."""
    try:
        return {note.key for note in read(document).notes}
    except EidoError:
        notes = document.get("notesComponent") if isinstance(document, Mapping) else None
        if not isinstance(notes, list):
            return set()
        return {n["$id"] for n in notes if isinstance(n, Mapping) and isinstance(n.get("$id"), str)}


class _TextOnly(HTMLParser):
    BREAKS = frozenset("br p div li tr h1 h2 h3 h4 h5 h6 ul ol table blockquote pre".split())

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """EIDO notes are HTML5; HEART shows text only: tags dropped (script and style with their
    content), entities decoded, block elements as line breaks, spaces and blank lines folded."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = _CONTROL.sub("", "".join(parser.parts).replace("\r\n", "\n").replace("\r", "\n"))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def cad_reference(eido_id: str) -> str:
    """The CAD number shown for an EIDO incident id: the id without its URN prefix, and an id
    too long for the column keeps its start and an 8-character hash of the whole."""
    reference = eido_id.removeprefix(INCIDENT_URN)
    reference = re.sub(r"\s+", "-", reference.strip()) or "eido"
    if len(reference) <= CAD_NUMBER_LENGTH:
        return reference
    digest = hashlib.sha256(eido_id.encode()).hexdigest()[:8]
    return f"{reference[: CAD_NUMBER_LENGTH - 9]}~{digest}"


def _components(document: Mapping, name: str) -> list[Mapping]:
    value = document.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise EidoError(name, "must be a list of objects.")
    return value


def _object(document: Mapping, name: str) -> Mapping:
    value = document.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise EidoError(name, "must be an object.")
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(
    obj: Mapping, key: str, part: str, required: bool = False, limit: int = 4000
) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise EidoError(f"{part}.{key}" if part != "document" else key, "is required.")
        return None
    where = key if part == "document" else f"{part}.{key}"
    if not isinstance(value, str) or (required and not value.strip()):
        raise EidoError(where, "must be a non-empty string." if required else "must be a string.")
    if len(value) > limit:
        raise EidoError(where, f"is longer than {limit} characters.")
    if _CONTROL.search(value):
        raise EidoError(where, "holds control characters.")
    return value


def _time(obj: Mapping, key: str, part: str) -> datetime | None:
    text = _text(obj, key, part, limit=64)
    if text is None:
        return None
    # RFC 3339 allows any number of fractional digits; Python reads up to six.
    iso = re.sub(r"(\.\d{6})\d+", r"\1", text.strip()).replace("z", "Z").replace("Z", "+00:00")
    iso = re.sub(r"(T\d\d:\d\d):60", r"\1:59", iso, flags=re.I)  # a leap second
    try:
        moment = datetime.fromisoformat(iso.replace("t", "T", 1))
    except ValueError:
        raise EidoError(f"{part}.{key}", "is not an ISO 8601 date and time.") from None
    if moment.tzinfo is None:
        raise EidoError(f"{part}.{key}", "needs a UTC offset.")
    return moment.astimezone(UTC)


def _received(document: Mapping) -> datetime | None:
    times = []
    for i, call in enumerate(_components(document, "callComponent")):
        part = f"callComponent[{i}]"
        for key in ("callStartTimestamp", "answerDate", "lastUpdateTimeStamp"):
            moment = _time(call, key, part)
            if moment is not None:
                times.append(moment)
                break
    return min(times) if times else None


def _priority(incident: Mapping) -> int:
    number = incident.get("incidentCommonPriorityNumber")
    if isinstance(number, float) and number.is_integer():
        number = int(number)  # JSON has one number type: 2.0 is 2
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= 3:
        return number
    text = _text(incident, "incidentPriorityInternalText", "incidentComponent", limit=40)
    if text and text.strip() in ("1", "2", "3"):
        return int(text.strip())
    return 2


def _callback(document: Mapping) -> str | None:
    for i, callback in enumerate(_components(document, "callbackComponent")):
        uris = callback.get("callBackInformationUri") or []
        if not isinstance(uris, list):
            raise EidoError(f"callbackComponent[{i}].callBackInformationUri", "must be a list.")
        for uri in uris:
            if isinstance(uri, str) and uri.lower().startswith("tel:"):
                number = uri[4:].split(";", 1)[0].strip()
                if number and len(number) <= 40 and not _CONTROL.search(number):
                    return number
    return None


def _location(document: Mapping) -> tuple[Place, tuple[str, ...]]:
    """The best location by value, and every location by reference (kept, never fetched)."""
    components = _components(document, "locationComponent")
    places: list[tuple[int, Place]] = []
    references: list[str] = []
    for i, component in enumerate(components):
        part = f"locationComponent[{i}]"
        kind = _text(component, "locationTypeDescriptionRegistryText", part, limit=80) or ""
        url = _text(component, "locationByReferenceUrl", part, limit=2000)
        if url:
            references.append(url)
        xml = _text(component, "locationByValue", part, limit=MAX_XML_LENGTH)
        if xml:
            place = read_pidf_lo(xml, f"{part}.locationByValue")
            if place.address or place.lat is not None:
                rank = (
                    LOCATION_PREFERENCE.index(kind)
                    if kind in LOCATION_PREFERENCE
                    else len(LOCATION_PREFERENCE)
                )
                places.append((rank, place))
    best = min(places, key=lambda p: p[0])[1] if places else Place()
    return best, tuple(references)


def read_pidf_lo(xml: str, part: str = "locationByValue") -> Place:
    """A PIDF-LO document's civic address and point. No DTD, entity or external reference is
    allowed, so nothing is expanded and nothing is fetched from the network or the disk."""
    try:
        root = parse_xml(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise EidoError(part, "a DOCTYPE is not allowed in PIDF-LO.", "xml_forbidden") from None
    except defusedxml.EntitiesForbidden:
        raise EidoError(part, "XML entities are not allowed.", "xml_forbidden") from None
    except defusedxml.ExternalReferenceForbidden:
        raise EidoError(part, "external references are not allowed.", "xml_forbidden") from None
    except ElementTree.ParseError as error:
        raise EidoError(part, f"is not well-formed XML ({error}).", "malformed_xml") from None
    return Place(address=_civic_address(root), **_point(root, part))


def _civic_address(root) -> str | None:
    civic = root.find(".//civic:civicAddress", NS)
    if civic is None:
        return None

    def get(tag: str) -> str:
        element = civic.find(f"civic:{tag}", NS)
        return " ".join((element.text or "").split()) if element is not None else ""

    if not any(get(t) for t in ("HNO", "RD", "A3", "A1")) and get("LOC"):
        return _checked_address(get("LOC"))
    street = " ".join(
        p for p in (get("HNO") + get("HNS"), get("PRD"), get("RD"), get("STS"), get("POD")) if p
    )
    unit = get("UNIT")
    place = ", ".join(p for p in (street, f"Unit {unit}" if unit else "", get("A3")) if p)
    region = " ".join(p for p in (get("A1"), get("PC")) if p)
    return _checked_address(", ".join(p for p in (place, region) if p))


def _checked_address(address: str) -> str | None:
    if not address:
        return None
    if len(address) > 200 or _CONTROL.search(address):
        raise EidoError("locationByValue", "the civic address is longer than 200 characters.")
    return address


def _point(root, part: str) -> dict:
    for path in (".//gml:Point/gml:pos", ".//gs:Circle/gml:pos"):
        pos = root.find(path, NS)
        if pos is not None:
            try:
                lat, lon = (float(v) for v in (pos.text or "").split()[:2])
            except ValueError:
                raise EidoError(part, "gml:pos must hold a latitude and a longitude.") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise EidoError(part, "gml:pos is not a WGS 84 latitude and longitude.")
            return {"lat": lat, "lon": lon}
    return {}


# Writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    """Who HEART is in the documents it writes."""

    agency_id: str = "heart.durhamnc.gov"
    element_id: str = "heart-field.durhamnc.gov"


@dataclass(frozen=True)
class StatusChange:
    team: str
    action: str
    from_status: str
    to_status: str
    occurred_at: datetime


@dataclass(frozen=True)
class UnitOnCall:
    call_sign: str
    unit_type: str
    unit_label: str
    team_status: str
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True)
class IncidentRecord:
    """An incident as the export needs it (built by the caller from the models)."""

    id: int
    cad_number: str
    call_type: str
    call_type_label: str
    priority: int
    status: str
    address: str | None
    lat: float | None
    lon: float | None
    received_at: datetime
    narrative: str | None
    callback_phone: str | None
    units: list[UnitOnCall]
    changes: list[StatusChange]
    disposition: str | None = None
    disposition_label: str | None = None
    disposition_nemsis: str | None = None
    outcome_recorded_at: datetime | None = None
    outcome_notes: str | None = None
    original: Mapping | None = None  # the latest EIDO document taken in for this incident
    notes: list[tuple[datetime, str]] = field(default_factory=list)  # call notes, when they exist


def write(record: IncidentRecord, agency: Agency, personal: bool) -> dict:
    """The incident as an EIDO document. Personal details (callback number, narrative, notes)
    only when ``personal`` is true."""
    original = record.original or {}
    eido_id = original.get("$id") or f"{INCIDENT_URN}heart-{record.id}:{agency.element_id}"
    times = [record.received_at, *(c.occurred_at for c in record.changes)]
    if personal:
        times.extend(when for when, _text in record.notes)
    if record.outcome_recorded_at:
        times.append(record.outcome_recorded_at)
    updated = max(times)

    def prologue(component_id: str, when: datetime) -> dict:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": _iso(when),
            "updatedByAgencyReference": {"$ref": agency.agency_id},
        }

    document: dict[str, Any] = {
        **prologue(eido_id, updated),
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": agency.element_id,
        "agencyComponent": [
            {
                **prologue(agency.agency_id, updated),
                "agencyRoleDescriptionRegistryText": ["Dispatched"],
                "agencyType": [AGENCY_TYPE],
            }
        ],
    }
    notes: list[dict] = []

    def note(suffix: str, when: datetime, text: str) -> dict:
        component = {**prologue(f"{eido_id}:note:{suffix}", when), "notesActionComments": text}
        notes.append(component)
        return {"$ref": component["$id"]}

    location_refs = []
    locations = []
    if record.address or record.lat is not None:
        location_id = f"{eido_id}:location:heart"
        locations.append(
            {
                **prologue(location_id, record.received_at),
                "locationTypeDescriptionRegistryText": "CurrentIncident",
                "locationByValue": pidf_lo(location_id, record.address, record.lat, record.lon),
            }
        )
        location_refs.append({"$ref": location_id})
    for i, component in enumerate(original.get("locationComponent") or []):
        url = component.get("locationByReferenceUrl") if isinstance(component, Mapping) else None
        if isinstance(url, str) and url:
            location_id = f"{eido_id}:location:reference:{i}"
            locations.append(
                {
                    **prologue(location_id, record.received_at),
                    "locationTypeDescriptionRegistryText": str(
                        component.get("locationTypeDescriptionRegistryText") or "Other"
                    ),
                    "locationByReferenceUrl": url,
                }
            )
    if locations:
        document["locationComponent"] = locations

    incident_type = CALL_TYPE_CODES.get(record.call_type)
    original_type = (original.get("incidentComponent") or {}).get("incidentTypeCommonRegistryText")
    incident: dict[str, Any] = {
        **prologue(f"{eido_id}:incident", updated),
        "incidentTypeCommonRegistryText": incident_type or str(original_type or "NONEMERG"),
        "incidentTypeInternalCode": record.call_type,
        "incidentTypeInternalText": record.call_type_label,
        "incidentStatusInternalText": [record.status],
        "incidentStatusCommonRegistryText": [INCIDENT_STATUSES.get(record.status, "Active")],
        "internalIncidentId": record.cad_number,
        "incidentPriorityInternalText": str(record.priority),
    }
    if location_refs:
        incident["locationReference"] = location_refs
    if record.disposition:
        disposition: dict[str, Any] = {
            **prologue(f"{eido_id}:disposition", record.outcome_recorded_at or updated),
            "dispositionCommonRegistryCode": DISPOSITION_CODES.get(record.disposition, "13"),
            "dispositionPrimaryIndicator": True,
            "dispositionCategoryText": record.disposition,
            "dispositionDescriptionText": " ".join(
                p
                for p in (
                    record.disposition_label,
                    f"(NEMSIS eDisposition.27 {record.disposition_nemsis})"
                    if record.disposition_nemsis
                    else "",
                )
                if p
            ),
        }
        if personal and record.outcome_notes:
            when = record.outcome_recorded_at or updated
            disposition["notesReference"] = [note("outcome", when, record.outcome_notes)]
        incident["dispositionComponent"] = [disposition]
    incident_notes = []
    if personal and record.narrative:
        incident_notes.append(note("narrative", record.received_at, record.narrative))
    if personal:
        for n, (when, text) in enumerate(record.notes):
            incident_notes.append(note(f"call-note:{n}", when, text))
    for n, change in enumerate(record.changes):
        text = f"{change.team}: {change.action.replace('_', ' ')} ({change.from_status} -> {change.to_status})"
        incident_notes.append(note(f"status:{n}", change.occurred_at, text))
    if incident_notes:
        incident["notesReference"] = incident_notes
    document["incidentComponent"] = incident

    resources, dispatches = [], []
    for unit in record.units:
        resource_id = f"{eido_id}:unit:{unit.call_sign}"
        on_call = unit.ended_at is None
        primary, secondary = UNIT_STATUSES.get(unit.team_status, ("NotAvailable", []))
        if not on_call:
            primary, secondary = (
                "Available",
                [ENDED_ASSIGNMENT.get(unit.end_reason or "", "Cleared")],
            )
        resource = {
            **prologue(resource_id, unit.ended_at or updated),
            "agentReference": [],
            "emergencyResourceTypeCommonRegistryText": "CrisisInterventionUnit",
            "emergencyResourceTypeInternalText": unit.unit_type,
            "emergencyResourceName": unit.call_sign,
            "resourceAttributeRegistryText": [],
            "resourceAttributeInternalText": [unit.unit_label],
            "primaryUnitStatusRegistryText": primary,
            "secondaryUnitStatusRegistryText": secondary,
            "unitStatusInternal": [unit.team_status if on_call else unit.end_reason or "cleared"],
        }
        if on_call:
            resource["activeOnIncidentId"] = eido_id
        resources.append(resource)
        dispatches.append(
            {
                **prologue(f"{resource_id}:dispatch:{_iso(unit.assigned_at)}", unit.assigned_at),
                "agencyReference": {"$ref": agency.agency_id},
                "emergencyResourceReference": [{"$ref": resource_id}],
            }
        )
    if resources:
        document["emergencyResourceComponent"] = resources
        document["dispatchComponent"] = dispatches

    if personal and record.callback_phone:
        document["callbackComponent"] = [
            {
                **prologue(f"{eido_id}:callback", record.received_at),
                "callBackInformationUri": [f"tel:{record.callback_phone}"],
            }
        ]
    if notes:
        document["notesComponent"] = notes
    return document


# The IANA urn:emergency:service:responder sub-registry has no crisis-response entry; NENA's
# examples ("police.federal.fbi", "poison_control") show the form. HEART is dispatched by the
# city's ECC alongside police, fire and EMS: "other" is the honest fit.
AGENCY_TYPE = "other"


def pidf_lo(entity: str, address: str | None, lat: float | None, lon: float | None) -> str:
    """A PIDF-LO document (RFC 4119, 5139, 5491) with the point when known and the address
    as one line: HEART keeps addresses as text, so the civic address's LOC element holds it."""
    point = (
        '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326">'
        f"<gml:pos>{lat:.6f} {lon:.6f}</gml:pos></gml:Point>"
        if lat is not None and lon is not None
        else ""
    )
    civic = (
        f"<ca:civicAddress><ca:LOC>{escape(address)}</ca:LOC></ca:civicAddress>" if address else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf"'
        ' xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"'
        ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"'
        f' xmlns:gml="{NS["gml"]}" xmlns:ca="{NS["civic"]}"'
        f" entity={quoteattr('pres:' + entity)}>"
        '<dm:device id="heart"><gp:geopriv>'
        f"<gp:location-info>{point}{civic}</gp:location-info>"
        "<gp:usage-rules/></gp:geopriv></dm:device></presence>"
    )


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
