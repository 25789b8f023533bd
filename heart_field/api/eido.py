"""NENA EIDO over the API: POST /api/v1/eido takes a call in (create, or update by the
document's `$id`), GET /api/v1/incidents/{id}/eido gives a call out. The mapping itself is
in domain/eido.py; this module parses, authorizes, stores the original and answers."""

import json
from typing import Annotated

from flask import current_app, g, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, settings
from ..access import api_token
from ..domain import eido, feed, intake, steering
from ..extensions import db
from ..models import EidoDocument, Incident, StatusEvent
from ..models.incidents import DISPOSITIONS
from ..tokens import api_scope
from .openapi import ApiError, operation
from .routes import _incident_by_cad, _incident_or_404, bp, incident_out
from .schemas import TEXT, IncidentOut, JsonInt

LINE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, Field(max_length=4000, pattern=TEXT)]
Moment = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        max_length=64,
        pattern=LINE,
        description="RFC 3339, with its UTC offset.",
    ),
]


class Open(BaseModel):
    """EIDO is extensible: fields HEART does not read are allowed and kept."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class EidoCallIn(Open):
    callStartTimestamp: Moment | None = None
    answerDate: Moment | None = None
    lastUpdateTimeStamp: Moment | None = None


class EidoCallbackIn(Open):
    callBackInformationUri: list[Annotated[str, Field(max_length=2000)]] | None = Field(
        None, description="`tel:` URIs give the callback number."
    )


class EidoLocationIn(Open):
    locationTypeDescriptionRegistryText: str | None = Field(None, max_length=80, pattern=LINE)
    locationByValue: str | None = Field(
        None,
        max_length=eido.MAX_XML_LENGTH,
        pattern=TEXT,
        description="A PIDF-LO XML document (civic address and/or gml:Point, gs:Circle). "
        "No DOCTYPE or entities.",
    )
    locationByReferenceUrl: str | None = Field(
        None, max_length=2000, pattern=LINE, description="Kept, never fetched."
    )


class EidoIncidentIn(Open):
    incidentTypeCommonRegistryText: str | None = Field(None, max_length=4000, pattern=LINE)
    incidentCommonPriorityNumber: JsonInt | None = None
    incidentPriorityInternalText: str | None = Field(None, max_length=40, pattern=LINE)


class EidoNoteIn(Open):
    notesActionComments: Text | None = None


class EidoIn(Open):
    """An EIDO document (NENA-STA-021.1b). Only the parts below are read; every other field
    is kept in the stored original."""

    model_config = ConfigDict(title="EidoIn")

    id: str = Field(
        alias="$id",
        min_length=1,
        max_length=eido.MAX_ID_LENGTH,
        pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$",
        description="The incident's id: the key for updates, and the CAD reference.",
        examples=["urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"],
    )
    lastUpdateTimeStamp: Moment | None = None
    incidentComponent: EidoIncidentIn | None = None
    callComponent: list[EidoCallIn] | None = None
    callbackComponent: list[EidoCallbackIn] | None = None
    locationComponent: list[EidoLocationIn] | None = None
    notesComponent: list[EidoNoteIn] | None = None


class EidoOut(Open):
    """The incident as an EIDO document (NENA-STA-021.1b, eidoVersion 1.0)."""

    model_config = ConfigDict(title="EidoOut", json_schema_extra={"required": ["$id"]})


def _agency() -> eido.Agency:
    return eido.Agency(
        agency_id=current_app.config["HEART_EIDO_AGENCY_ID"],
        element_id=current_app.config["HEART_EIDO_ELEMENT_ID"],
    )


def _latest_document(**where) -> EidoDocument | None:
    statement = select(EidoDocument).order_by(EidoDocument.id.desc()).limit(1)
    for name, value in where.items():
        statement = statement.where(getattr(EidoDocument, name) == value)
    return db.session.scalar(statement)


def _invalid(error: eido.EidoError) -> ApiError:
    return ApiError(
        422, error.code, str(error), fields=[{"field": error.part, "message": error.message}]
    )


@bp.post("/eido")
@api_token
@api_scope("create_incidents")
@operation(
    "Take a call in as a NENA EIDO document",
    body=EidoIn,
    responses={201: IncidentOut, 200: IncidentOut},
    errors=(409,),
    description=(
        "Creates the incident the EIDO describes (201), or updates the one taken in before "
        "with the same `$id` (200), through the same intake as `POST /incidents`: the "
        "location is geofenced and the call routed. The PIDF-LO location is read without "
        "any DOCTYPE or entity, and a location by reference is kept but never fetched; a "
        "document that cannot be read answers 422 naming the part. Each `notesComponent` "
        "entry becomes a call note once per `$id` (its HTML as plain text, cut to 2,000 "
        "characters; urgent with a `cautionReference`). Unknown fields are kept. "
        "409 when the CAD reference belongs to a call not taken in as EIDO, or when the "
        "document is older (`lastUpdateTimeStamp`) than the one already taken in."
    ),
)
def import_eido(body: EidoIn):
    original = json.loads(request.get_data())
    try:
        call = eido.read(original)
    except eido.EidoError as error:
        raise _invalid(error) from None
    db.session.commit()  # the feed's lock begins the transaction (feed.writing)
    try:
        with feed.writing(db.session) as write:
            incident, created = _take_in(write, call, original)
    except IntegrityError:  # the same incident raced in from another request
        previous = _latest_document(eido_id=call.eido_id)
        if previous is None:
            raise
        return incident_out(db.session.get(Incident, previous.incident_id)), 200
    return incident_out(incident), 201 if created else 200


def _take_in(write: feed.FeedWrite, call: eido.EidoCall, original: dict) -> tuple[Incident, bool]:
    """Create or update the incident, keep the original and add its new notes: one
    transaction under the feed's lock, so the same note posted twice at once is added once."""
    previous = _latest_document(eido_id=call.eido_id)
    seen: set[str] = set()  # the note ids of the documents taken in before
    if previous is None:
        incident = _create(call)
    else:
        incident = _update(previous, call)
        stored = select(EidoDocument.document).where(EidoDocument.eido_id == call.eido_id)
        for document in db.session.scalars(stored):
            seen |= eido.note_keys(document)
    if previous is None or previous.document != original:
        _keep(incident, call, original, "eido_update" if previous else "eido_import")
    ours = _agency().agency_id
    for note in call.notes:
        # HEART's own notes (an export taken in again) and empty ones are not call notes.
        if note.key in seen or note.agency == ours or not note.text:
            continue
        seen.add(note.key)
        steering.write_note(write, incident, note.text, note.urgent, actor=None)
    return incident, previous is None


def _update(previous: EidoDocument, call: eido.EidoCall) -> Incident:
    incident = db.session.get(Incident, previous.incident_id)
    if call.last_update and previous.last_update and call.last_update < previous.last_update:
        raise ApiError(
            409,
            "stale_eido",
            f"Incident {call.eido_id} was already updated by a newer document "
            f"({previous.last_update.isoformat()}).",
        )
    data = call.incident_input
    if incident.intake_fingerprint != intake.fingerprint(data):
        try:
            before = eido.read(previous.document).incident_input
            moved = (before.address, before.lat, before.lon) != (data.address, data.lat, data.lon)
        except eido.EidoError:  # kept by an older, stricter reader: locate it again
            moved = True
        intake.revise_incident(
            db.session, incident, data, relocate=moved, geo=settings.dispatching()
        )
    return incident


def _create(call: eido.EidoCall) -> Incident:
    if _incident_by_cad(call.cad_number) is not None:
        raise ApiError(
            409,
            "cad_number_conflict",
            f"Call {call.cad_number} was already taken in, not as this EIDO incident.",
        )
    incident = intake.create_incident(
        db.session,
        call.incident_input,
        actor=None,
        geo=settings.dispatching(),
        received_at=call.received_at,
        commit=False,
    )
    db.session.flush()
    return incident


def _keep(incident: Incident, call: eido.EidoCall, original: dict, action: str) -> None:
    db.session.add(
        EidoDocument(
            eido_id=call.eido_id,
            incident_id=incident.id,
            document=original,
            last_update=call.last_update,
            token_id=g.api_token.id,
        )
    )
    audit.record(db.session, None, action, "incident", incident.id, detail=g.api_token.name)


@bp.get("/incidents/<int:incident_id>/eido")
@api_token
@api_scope("read_status")
@operation(
    "One call as a NENA EIDO document",
    responses={200: EidoOut},
    description=(
        "The incident with HEART's units (emergencyResourceComponent, dispatchComponent), "
        "its status changes (notes), disposition (dispositionComponent, with the NEMSIS "
        "eDisposition.27 code) and location (PIDF-LO). The callback number, narrative, call "
        "notes and outcome notes are included only when the token may read personal details. "
        "Validates "
        "against NENA's EIDO schema (NENA911/EIDO-JSON, Schema/openapi.yaml)."
    ),
)
def export_eido(incident_id: int):
    incident = _incident_or_404(incident_id)
    personal = g.api_token.allows("read_personal")
    original = _latest_document(incident_id=incident.id)
    document = eido.write(
        incident_record(incident, original.document if original else None),
        _agency(),
        personal=personal,
    )
    if personal:
        audit.record(
            db.session, None, "export_eido", "incident", incident.id, detail=g.api_token.name
        )
        db.session.commit()
    return EidoOut.model_validate(document)


def incident_record(incident: Incident, original: dict | None) -> eido.IncidentRecord:
    """What the export needs from the models."""
    events = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.incident_id == incident.id)
        .order_by(StatusEvent.occurred_at, StatusEvent.id)
    ).all()
    outcome = incident.outcome
    known = DISPOSITIONS.get(outcome.disposition) if outcome else None
    return eido.IncidentRecord(
        id=incident.id,
        cad_number=incident.cad_number,
        call_type=incident.call_type,
        call_type_label=incident.call_type_label,
        priority=incident.priority,
        status=incident.status,
        address=incident.address,
        lat=incident.lat,
        lon=incident.lon,
        received_at=incident.received_at,
        narrative=incident.narrative,
        callback_phone=incident.callback_phone,
        units=[
            eido.UnitOnCall(
                call_sign=a.team.call_sign,
                unit_type=a.team.unit_type,
                unit_label=a.team.unit_type.replace("_", " ").capitalize(),
                team_status=a.team.status,
                assigned_at=a.assigned_at,
                ended_at=a.ended_at,
                end_reason=a.end_reason,
            )
            for a in incident.assignments
        ],
        changes=[
            eido.StatusChange(e.team.call_sign, e.action, e.from_status, e.to_status, e.occurred_at)
            for e in events
        ],
        disposition=outcome.disposition if outcome else None,
        disposition_label=known.label if known else None,
        disposition_nemsis=known.nemsis_code if known else None,
        outcome_recorded_at=outcome.recorded_at if outcome else None,
        outcome_notes=outcome.notes if outcome else None,
        original=original,
        notes=[
            (n.created_at, n.text)
            for n in steering.notes_of(db.session, [incident.id]).get(incident.id, [])
        ],
    )
