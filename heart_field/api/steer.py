"""The CAD steering a call: cancel it, add an update (a note) for the team."""

from ..access import api_token
from ..domain import steering
from ..extensions import db
from .openapi import ApiError, operation
from .routes import _incident_or_404, bp, incident_detail, note_out
from .schemas import CancelIn, IncidentDetail, NoteIn, NoteOut


@bp.post("/incidents/<int:incident_id>/cancel")
@api_token
@operation(
    "Cancel a call",
    body=CancelIn,
    responses={200: IncidentDetail},
    errors=(409,),
    description="The call becomes `cancelled`. Its team, if assigned or en route, is released "
    "to `available` and its phone says the call was cancelled, with the reason. 409 when a "
    "team is on scene (it clears the call) or the call has already ended; the answer's "
    "`current` gives the call's status and its team's.",
)
def cancel_incident(incident_id: int, body: CancelIn):
    incident = _incident_or_404(incident_id)
    reason = (body.reason or "").strip() or None
    try:
        steering.end_call(db.session, incident, "cancelled", actor=None, reason=reason)
    except steering.Refused as refused:
        raise ApiError(409, "conflict", refused.message, current=refused.current) from None
    db.session.refresh(incident)
    return incident_detail(incident)


@bp.post("/incidents/<int:incident_id>/notes")
@api_token
@operation(
    "Add an update to a call",
    body=NoteIn,
    responses={201: NoteOut},
    description="The note is kept with the call (listed in `GET /incidents/{id}`) and the "
    "assigned team's phone shows it at once; an `urgent` one must be acknowledged there "
    "with `Got it`, and the board sees who did and when.",
)
def add_note(incident_id: int, body: NoteIn):
    incident = _incident_or_404(incident_id)
    note = steering.add_note(db.session, incident, body.text, body.urgent, actor=None)
    return note_out(note), 201
